import Foundation

/// The files of one commit, as a renderer may read them: paths are relative
/// to the repository's root, links are followed only while they stay inside
/// it, and only regular files are read.
public protocol SourceFiles: Sendable {
    /// A read-only directory holding the tree, for renderers that run a
    /// program on it (kustomize); nil when the tree is not on disk.
    var root: String? { get }
    /// What is at `path` once links are resolved; nil when nothing is, or
    /// when a link leads outside the tree (`escapes` says so).
    func entry(at path: String) throws -> SourceEntry?
    /// The names in a directory, sorted.
    func list(_ directory: String) throws -> [String]
    /// A regular file's bytes; refuses anything larger than `limit`.
    func read(_ file: String, limit: Int) throws -> Data
}

public enum SourceEntry: Sendable, Hashable {
    case file(size: Int)
    case directory
}

/// Why a path of the tree cannot be read.
public struct SourceFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

extension SourceFiles {
    /// The regular files under `directory`, recursively, in name order;
    /// entries whose name starts with a dot are skipped, as `serin validate`
    /// skips them.
    public func files(under directory: String, where include: (String) -> Bool = { _ in true }) throws -> [String] {
        var found: [String] = []
        var pending = [directory]
        var visited = 0
        while let folder = pending.popLast() {
            for name in try list(folder) where !name.hasPrefix(".") {
                visited += 1
                if visited > Self.maximumEntries {
                    throw SourceFileError(directory, "more than \(Self.maximumEntries) entries; point the source's path at a smaller folder")
                }
                let path = folder.isEmpty ? name : "\(folder)/\(name)"
                switch try entry(at: path) {
                case .directory?: pending.append(path)
                case .file?: if include(path) { found.append(path) }
                case nil: continue
                }
            }
        }
        return found.sorted()
    }

    static var maximumEntries: Int { 100_000 }
}

/// A read-only snapshot of a tree on disk, read through a
/// `FencedDirectory`: every path is resolved below `root`, links included
/// (`openat2` with `RESOLVE_BENEATH` where the kernel has it, an
/// equivalent walk under folder descriptors otherwise), so no name or link
/// in the tree reaches a file outside it; only regular files are read, and
/// nothing else (a FIFO, a device) is ever opened for reading.
public struct SnapshotFiles: SourceFiles {
    public let directory: String
    public var root: String? { directory }
    let fence: FencedDirectory

    /// `resolution` nil: the kernel's where it can.
    public init(root: String, resolution: FencedDirectory.Resolution? = nil) {
        fence = FencedDirectory(root: root, resolution: resolution)
        directory = fence.root
    }

    public func entry(at path: String) throws -> SourceEntry? {
        guard let info = try fence.status(of: path) else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file(size: Int(info.st_size))
        default: return nil
        }
    }

    public func list(_ folder: String) throws -> [String] {
        try fence.list(folder)
    }

    public func read(_ file: String, limit: Int) throws -> Data {
        try fence.read(file, limit: limit)
    }
}

/// A tree held in memory, for tests and for renderers' own fakes.
public struct InMemoryFiles: SourceFiles {
    public var files: [String: Data]
    public var root: String? { nil }

    public init(_ files: [String: String]) {
        self.files = files.mapValues { Data($0.utf8) }
    }

    public func entry(at path: String) throws -> SourceEntry? {
        let path = path.split(separator: "/").joined(separator: "/")
        if let data = files[path] { return .file(size: data.count) }
        let prefix = path.isEmpty ? "" : path + "/"
        return files.keys.contains { $0.hasPrefix(prefix) } ? .directory : nil
    }

    public func list(_ directory: String) throws -> [String] {
        let directory = directory.split(separator: "/").joined(separator: "/")
        let prefix = directory.isEmpty ? "" : directory + "/"
        var names: Set<String> = []
        for path in files.keys where path.hasPrefix(prefix) {
            if let name = path.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(name)) }
        }
        return names.sorted()
    }

    public func read(_ file: String, limit: Int) throws -> Data {
        guard let data = files[file.split(separator: "/").joined(separator: "/")] else { throw SourceFileError(file, "no such file") }
        guard data.count <= limit else { throw SourceFileError(file, "is larger than the limit of \(limit) bytes") }
        return data
    }
}
