import Foundation

/// The `kustomize` program Serin runs: Debian's package, pinned to one
/// upstream version and checked when the operator starts. Debian's build
/// answers `kustomize version` with "(devel)", so its version is the
/// package's: `kustomize.version` beside the binary (written by
/// `scripts/kustomize/install.sh`), or dpkg's record for `/usr/bin/kustomize`.
public struct KustomizeBinary: Sendable, Hashable {
    /// The upstream version Serin's builds are tested against.
    public static let pinnedVersion = "5.6.0"
    public static let installHint = "run `make kustomize` (scripts/kustomize/install.sh installs Debian's kustomize \(pinnedVersion)) or set SERIN_KUSTOMIZE to a kustomize \(pinnedVersion) binary"
    /// Where `make kustomize` puts it when the machine's Debian has no such package.
    public static let cachedPath = "/var/cache/serin-kustomize/bin/kustomize"

    /// The binary itself, links resolved.
    public var path: String
    /// The upstream version (`5.6.0`).
    public var version: String
    /// The Debian package's version when known (`5.6.0+ds-1+b2`).
    public var packageVersion: String?

    public init(path: String, version: String, packageVersion: String? = nil) {
        self.path = path
        self.version = version
        self.packageVersion = packageVersion
    }

    /// One line for `serin version` and the operator's start.
    public var description: String {
        "kustomize \(version)" + (packageVersion.map { " (Debian \($0))" } ?? "") + " at \(path)"
    }

    /// Finds the pinned kustomize: `$SERIN_KUSTOMIZE` when set (and then only
    /// it), else `kustomize` on PATH, else the cache `make kustomize` fills.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<KustomizeBinary, KustomizeUnavailable> {
        var candidates: [String] = []
        if let explicit = environment["SERIN_KUSTOMIZE"], !explicit.isEmpty {
            candidates = [explicit]
        } else {
            for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                candidates.append("\(directory)/kustomize")
            }
            candidates.append(cachedPath)
        }
        var problems: [String] = []
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            switch inspect(candidate) {
            case .success(let binary) where binary.version == pinnedVersion: return .success(binary)
            case .success(let binary): problems.append("\(candidate) is kustomize \(binary.version), not \(pinnedVersion)")
            case .failure(let problem): problems.append(problem.message)
            }
        }
        if problems.isEmpty {
            let place = environment["SERIN_KUSTOMIZE"].map { "SERIN_KUSTOMIZE=\($0) is not an executable" } ?? "kustomize is not installed (looked on PATH and in \(cachedPath))"
            return .failure(KustomizeUnavailable(place + "; " + installHint))
        }
        return .failure(KustomizeUnavailable(problems.joined(separator: "; ") + "; " + installHint))
    }

    /// The version of one binary.
    static func inspect(_ candidate: String) -> Result<KustomizeBinary, KustomizeUnavailable> {
        let real = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
        guard let run = try? KustomizeProcess.runSimple(real, ["version"], timeout: .seconds(20)), run.status == 0 else {
            return .failure(KustomizeUnavailable("\(candidate) does not run (`kustomize version` failed)"))
        }
        let said = run.stdout.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let trimmed = said.hasPrefix("v") ? String(said.dropFirst()) : said
        if trimmed.split(separator: ".").count == 3, trimmed.allSatisfy({ $0.isNumber || $0 == "." }) {
            return .success(KustomizeBinary(path: real, version: trimmed))
        }
        if let recorded = try? String(contentsOfFile: real + ".version", encoding: .utf8) {
            let package = recorded.trimmingCharacters(in: .whitespacesAndNewlines)
            return .success(KustomizeBinary(path: real, version: upstream(package), packageVersion: package))
        }
        if real == "/usr/bin/kustomize", let package = dpkgVersion(of: "kustomize") {
            return .success(KustomizeBinary(path: real, version: upstream(package), packageVersion: package))
        }
        return .failure(KustomizeUnavailable("cannot tell the version of \(candidate) (it says \"\(said)\")"))
    }

    /// `1:5.6.0+ds-1+b2` → `5.6.0`.
    static func upstream(_ package: String) -> String {
        var version = Substring(package)
        if let colon = version.firstIndex(of: ":") { version = version[version.index(after: colon)...] }
        if let plus = version.firstIndex(of: "+") { version = version[..<plus] }
        if let dash = version.firstIndex(of: "-") { version = version[..<dash] }
        return String(version)
    }

    private static func dpkgVersion(of package: String) -> String? {
        guard let status = try? String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8) else { return nil }
        for stanza in status.components(separatedBy: "\n\n") where stanza.hasPrefix("Package: \(package)\n") {
            for line in stanza.split(separator: "\n") where line.hasPrefix("Version: ") {
                return String(line.dropFirst("Version: ".count))
            }
        }
        return nil
    }
}

/// kustomize cannot run here; raised only for a source that needs it.
public struct KustomizeUnavailable: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
