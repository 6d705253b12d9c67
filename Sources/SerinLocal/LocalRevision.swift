import Crypto
import Foundation
import SerinEngine
import SerinSpec

/// One revision of a Workload on the local platform: what to run and from
/// where. Its id is a hash of the normalized template and of the files under
/// its working directory, so a code change is a new revision even when the
/// YAML is unchanged, and a commit that touches neither is not.
public struct LocalRevision: PlatformRevision {
    public var id: String
    public var workload: WorkloadID
    public var template: ProcessTemplate
    public var replicas: Int
    /// The router listens on 127.0.0.1:port for the workload.
    public var port: Int
    /// The revision's read-only checkout.
    public var snapshot: String
    public var origin: RevisionOrigin

    public init(workload: WorkloadID, template: ProcessTemplate, replicas: Int, port: Int, snapshot: String, origin: RevisionOrigin) {
        id = Self.identify(workload: LocalPlatform.key(workload), template: template, snapshot: snapshot)
        self.workload = workload
        self.template = template
        self.replicas = replicas
        self.port = port
        self.snapshot = snapshot
        self.origin = origin
    }

    /// The workload's name is part of it: two workloads with the same
    /// template are still two revisions.
    static func identify(workload: String, template: ProcessTemplate, snapshot: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(workload.utf8))
        hasher.update(data: Data([0]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        hasher.update(data: (try? encoder.encode(template)) ?? Data())
        // The files under the working directory, found inside the snapshot
        // only: a link is hashed as the link it is (its target's text), and
        // only regular files are read, so nothing outside the checkout (a
        // file elsewhere, /dev/zero, a FIFO) is ever opened.
        let fence = FencedDirectory(root: snapshot)
        guard let root = (try? fence.resolve(template.workingDir ?? "")) ?? nil else {
            return hasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(12).description
        }
        let base = String(root.dropFirst(fence.root.count))
        for (relative, kind) in Self.entries(under: root) {
            hasher.update(data: Data(relative.utf8))
            hasher.update(data: Data([0]))
            switch kind {
            case .link(let target): hasher.update(data: Data("link:\(target)".utf8))
            case .file: hash(base + "/" + relative, in: fence, into: &hasher)
            case .other: hasher.update(data: Data("special".utf8))
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(12).description
    }

    enum EntryKind { case file, link(String), other }

    /// A regular file's bytes into `hasher`, read in pieces.
    static func hash(_ path: String, in fence: FencedDirectory, into hasher: inout SHA256) {
        guard let descriptor = try? fence.open(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY) else { return }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            hasher.update(data: buffer[..<count])
        }
    }

    /// Every entry under `root` but folders, sorted, found without following links.
    static func entries(under root: String) -> [(String, EntryKind)] {
        var found: [(String, EntryKind)] = []
        var pending = [""]
        while let folder = pending.popLast() {
            let path = folder.isEmpty ? root : root + "/" + folder
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                let relative = folder.isEmpty ? name : folder + "/" + name
                var info = stat()
                guard lstat(root + "/" + relative, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: pending.append(relative)
                case S_IFREG: found.append((relative, .file))
                case S_IFLNK:
                    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + relative)) ?? ""
                    found.append((relative, .link(target)))
                default: found.append((relative, .other))
                }
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }
}
