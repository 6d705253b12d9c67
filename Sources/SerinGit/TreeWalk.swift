import Foundation

/// Visits a commit's trees as Serin reads them, refusing what it never
/// reads or writes: entry names that are not plain names (`..`, `.git`, a
/// slash), a name twice in one folder, trees and blobs over the source's
/// limits. Sizes come from object headers, so a refused object is never
/// loaded. Not `Sendable`: it runs on its source's `GitThread`.
struct TreeWalk {
    let repository: GitRepository
    let limits: GitTreeLimits
    /// Prefixes every refusal: `<url> at commit <id>`.
    let context: String
    /// Entries visited so far, across every tree of the walk.
    private(set) var visited = 0

    init(repository: GitRepository, limits: GitTreeLimits, context: String) {
        self.repository = repository
        self.limits = limits
        self.context = context
    }

    /// One checked entry: `path` is relative to the walk's root.
    struct Entry {
        var name: String
        var path: String
        var kind: GitRepository.EntryKind
        var id: ObjectID
    }

    func refusal(_ path: String, _ message: String) -> GitError {
        GitError(.refusedTree, "\(context): \(path.isEmpty ? "the root folder" : path): \(message)")
    }

    /// The checked entries of the tree `id` found at `path`.
    mutating func entries(of id: ObjectID, at path: String, depth: Int) throws -> [Entry] {
        guard depth <= limits.maxDepth else {
            throw refusal(path, "folders nested more than \(limits.maxDepth) deep; Serin reads no deeper")
        }
        let size = try repository.size(of: id)
        guard size <= limits.maxFileBytes else {
            throw refusal(path, "a tree object of \(size) bytes, larger than the limit of \(limits.maxFileBytes) bytes "
                + "(sources[].limits.maxFileSize); split the folder")
        }
        let raw: [GitRepository.RawEntry]
        do {
            raw = try repository.entries(of: id)
        } catch let error as GitError {
            throw refusal(path, "the tree \(id.short) cannot be read (\(error.message)); rewrite the commit with `git fsck` clean")
        }
        guard visited + raw.count <= limits.maxEntries else {
            throw refusal(path, "more than \(limits.maxEntries) entries in the commit (sources[].limits.maxEntries); "
                + "point the source's path at a smaller folder or raise the limit")
        }
        visited += raw.count
        var names = Set<String>()
        var checked: [Entry] = []
        for entry in raw {
            guard let name = entry.name else { throw refusal(path, "an entry whose name is not UTF-8; rename it") }
            let entryPath = path.isEmpty ? name : "\(path)/\(name)"
            if let why = Self.refusal(ofName: name) {
                throw refusal(path, "a tree entry named \(Self.quoted(name)) is refused: \(why); rewrite the commit without it")
            }
            guard names.insert(name).inserted else {
                throw refusal(path, "the name \(Self.quoted(name)) appears twice in one folder; rewrite the commit with `git fsck` clean")
            }
            guard let kind = entry.kind else { continue } // a submodule: not followed
            checked.append(Entry(name: name, path: entryPath, kind: kind, id: entry.id))
        }
        return checked
    }

    /// Visits every entry under `tree`, depth first, folders before what they hold.
    mutating func walk(_ tree: ObjectID, prefix: String = "", depth: Int = 0, _ visit: (Entry) throws -> Void) throws {
        for entry in try entries(of: tree, at: prefix, depth: depth) {
            try visit(entry)
            if entry.kind == .directory { try walk(entry.id, prefix: entry.path, depth: depth + 1, visit) }
        }
    }

    /// A blob's bytes once its header says it is within the limit.
    func blob(_ id: ObjectID, at path: String) throws -> Data {
        let size = try repository.size(of: id)
        guard size <= limits.maxFileBytes else {
            throw refusal(path, "\(size) bytes, larger than the limit of \(limits.maxFileBytes) bytes (sources[].limits.maxFileSize); "
                + "keep large files out of the repository, or raise the limit")
        }
        return try repository.blob(id)
    }

    /// Why a tree entry's name is never written; nil for a plain name.
    static func refusal(ofName name: String) -> String? {
        if name.isEmpty { return "an empty name" }
        if name == "." || name == ".." { return "it names a folder itself or its parent, and would write outside the checkout" }
        if name.contains("/") { return "a name holds no slash; it would write into another folder" }
        if name.contains("\u{0}") { return "a name holds no NUL byte" }
        if name.utf8.count > 255 { return "longer than 255 bytes, more than a file name can be" }
        // Any case, and as Windows and macOS file systems read it (trailing dots and spaces ignored).
        var trimmed = Substring(name)
        while let last = trimmed.last, last == "." || last == " " { trimmed = trimmed.dropLast() }
        if trimmed.lowercased() == ".git" { return "it is Git's own folder (hooks and configuration run by Git)" }
        return nil
    }

    static func quoted(_ name: String) -> String {
        "\"" + name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "\""
    }
}
