import Foundation

/// Writes a commit's tree into an empty folder for workloads to run from.
/// The whole tree is checked first (names, sizes, entries, where every
/// link leads), so a refused commit writes nothing; then every file,
/// folder and link is created under a descriptor of its parent folder
/// (`openat`, `mkdirat`, `symlinkat`, with `O_NOFOLLOW | O_EXCL`), never
/// through a path string that a name or a link could redirect.
struct SnapshotExport {
    var walk: TreeWalk

    private indirect enum Node {
        case folder([(name: String, node: Node)])
        case file(ObjectID, executable: Bool)
        case link(String)
    }

    /// Exports `tree` into `directory`, which exists and is empty.
    mutating func export(_ tree: ObjectID, into directory: String) throws {
        var kinds: [String: LinkCheck.Kind] = [:]
        var links: [(path: String, target: String)] = []
        let root = try model(tree, at: "", depth: 0, kinds: &kinds, links: &links)
        for link in links {
            if let why = LinkCheck.refusal(at: link.path.split(separator: "/"), target: link.target, kind: { kinds[$0] }) {
                throw walk.refusal(link.path, "a symbolic link refused: \(why)")
            }
        }
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.failure(directory, "cannot open") }
        defer { close(descriptor) }
        guard case .folder(let entries) = root else { return }
        try write(entries, in: descriptor, at: "")
    }

    /// The tree as it will be written, every entry checked; blobs are not
    /// read, only their headers (and link targets, which are small).
    private mutating func model(_ tree: ObjectID, at path: String, depth: Int, kinds: inout [String: LinkCheck.Kind],
                                links: inout [(path: String, target: String)]) throws -> Node {
        var entries: [(name: String, node: Node)] = []
        for entry in try walk.entries(of: tree, at: path, depth: depth) {
            switch entry.kind {
            case .directory:
                kinds[entry.path] = .directory
                entries.append((entry.name, try model(entry.id, at: entry.path, depth: depth + 1, kinds: &kinds, links: &links)))
            case .file(let executable):
                let size = try walk.repository.size(of: entry.id)
                guard size <= walk.limits.maxFileBytes else {
                    throw walk.refusal(entry.path, "\(size) bytes, larger than the limit of \(walk.limits.maxFileBytes) bytes "
                        + "(sources[].limits.maxFileSize); keep large files out of the repository, or raise the limit")
                }
                kinds[entry.path] = .file
                entries.append((entry.name, .file(entry.id, executable: executable)))
            case .symlink:
                guard try walk.repository.size(of: entry.id) <= LinkCheck.maximumTarget else {
                    throw walk.refusal(entry.path, "a symbolic link refused: its target is longer than \(LinkCheck.maximumTarget) bytes")
                }
                let bytes = try walk.repository.blob(entry.id)
                guard let target = String(data: bytes, encoding: .utf8) else {
                    throw walk.refusal(entry.path, "a symbolic link refused: its target is not UTF-8")
                }
                kinds[entry.path] = .link(target: target)
                links.append((entry.path, target))
                entries.append((entry.name, .link(target)))
            }
        }
        return .folder(entries)
    }

    private func write(_ entries: [(name: String, node: Node)], in folder: Int32, at path: String) throws {
        for (name, node) in entries {
            let entryPath = path.isEmpty ? name : "\(path)/\(name)"
            switch node {
            case .folder(let children):
                guard mkdirat(folder, name, 0o755) == 0 else { throw Self.failure(entryPath, "cannot create the folder") }
                let descriptor = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard descriptor >= 0 else { throw Self.failure(entryPath, "cannot open the folder") }
                defer { close(descriptor) }
                try write(children, in: descriptor, at: entryPath)
                // Read-only once full (the snapshot is never written again).
                fchmod(descriptor, 0o555)
            case .file(let id, let executable):
                let data = try walk.blob(id, at: entryPath)
                let descriptor = openat(folder, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0o555 : 0o444)
                guard descriptor >= 0 else { throw Self.failure(entryPath, "cannot create the file") }
                defer { close(descriptor) }
                try Self.write(data, to: descriptor, path: entryPath)
            case .link(let target):
                guard symlinkat(target, folder, name) == 0 else { throw Self.failure(entryPath, "cannot create the link") }
            }
        }
    }

    private static func write(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "cannot write the file")
                }
                offset += written
            }
        }
    }

    private static func failure(_ path: String, _ what: String) -> GitError {
        GitError(.snapshot, "\(path): \(what): \(String(cString: strerror(errno)))")
    }
}
