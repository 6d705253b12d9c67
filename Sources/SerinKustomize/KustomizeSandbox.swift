import Foundation

/// How kustomize is confined while it runs, on top of the walk that vets
/// every file it may read (`KustomizationWalker`) and the private copy it
/// builds from:
///
/// * `bubblewrap`: a mount namespace holding only `/usr` (read-only, for
///   libc), the kustomize binary and the build's copy (read-only), a fresh
///   `/tmp`, and no network (`--unshare-all`: net, pid, ipc, uts, user);
///   nothing else of the host is visible.
/// * `unshareNetwork`: `unshare --net` (root, or `--map-root-user`); the
///   host's files are visible, so the walk's checks are the fence.
/// * `none`: the checks alone, where neither works (a container without
///   the privilege to make namespaces). `serin version` says which is in force.
public enum KustomizeSandbox: String, Sendable, Hashable, CaseIterable {
    case bubblewrap
    case unshareNetwork = "unshare-net"
    case none

    /// Where the binary and the copy appear inside bubblewrap.
    static let binaryInside = "/opt/serin/kustomize"
    static let sourceInside = "/src"

    /// The strongest sandbox that runs this binary here: each is tried
    /// with `kustomize version`.
    public static func strongest(for binary: KustomizeBinary) -> KustomizeSandbox {
        for sandbox in [KustomizeSandbox.bubblewrap, .unshareNetwork] {
            guard let (executable, arguments) = sandbox.commandLine(binary: binary, copy: "/nonexistent-serin-probe", kustomize: ["version"], outputLimit: nil, probe: true),
                  let run = try? KustomizeProcess.runSimple(executable, arguments, timeout: .seconds(20)), run.status == 0 else { continue }
            return sandbox
        }
        return .none
    }

    /// The program and arguments that run `kustomize <arguments>` on the
    /// copy at `copy`; nil when the sandbox's program is not installed.
    func commandLine(binary: KustomizeBinary, copy: String, kustomize arguments: [String], outputLimit: Int?,
                     probe: Bool = false) -> (String, [String])? {
        let limit = outputLimit.flatMap { limit in Self.prlimit.map { [$0, "--fsize=\(limit + 1)", "--"] } } ?? []
        switch self {
        case .bubblewrap:
            guard let bwrap = Self.find("bwrap") else { return nil }
            var command = ["--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
                           "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
                           "--ro-bind", "/usr", "/usr"]
            for top in ["/bin", "/lib", "/lib64", "/sbin"] {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: top) {
                    command += ["--symlink", target, top]
                } else if FileManager.default.fileExists(atPath: top) {
                    command += ["--ro-bind", top, top]
                }
            }
            command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", binary.path, Self.binaryInside]
            if !probe { command += ["--ro-bind", copy, Self.sourceInside, "--chdir", Self.sourceInside] }
            return (bwrap, command + ["--"] + limit + [Self.binaryInside] + arguments.map { probe ? $0 : $0.replacingOccurrences(of: copy, with: Self.sourceInside) })
        case .unshareNetwork:
            guard let unshare = Self.find("unshare") else { return nil }
            let mapRoot = getuid() == 0 ? [] : ["--map-root-user"]
            return (unshare, ["--net"] + mapRoot + ["--"] + limit + [binary.path] + arguments)
        case .none:
            if limit.isEmpty { return (binary.path, arguments) }
            return (limit[0], Array(limit.dropFirst()) + [binary.path] + arguments)
        }
    }

    /// The path kustomize sees for the copy's root, to turn its messages
    /// back into paths of the repository.
    func rootInside(copy: String) -> String {
        self == .bubblewrap ? Self.sourceInside : copy
    }

    private static let prlimit = find("prlimit")

    private static func find(_ program: String) -> String? {
        for directory in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(program)") {
            return "\(directory)/\(program)"
        }
        return nil
    }
}
