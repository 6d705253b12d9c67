import CLibGit2
import Foundation

/// A bare repository on disk, opened through libgit2. Owns its pointer; not
/// `Sendable`: every call, and the libgit2 error it may leave behind, stays
/// on the thread that made it (see `GitThread`).
final class GitRepository {
    private let pointer: OpaquePointer
    let path: String

    private init(pointer: OpaquePointer, path: String) {
        self.pointer = pointer
        self.path = path
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Opens the bare repository at `path`, creating it when missing.
    static func openOrCreateBare(at path: String) throws -> GitRepository {
        LibGit2.initialize()
        var repository: OpaquePointer?
        if FileManager.default.fileExists(atPath: path + "/HEAD") {
            try git("opening the repository at \(path)") { git_repository_open_bare(&repository, path) }
        } else {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try git("creating a repository at \(path)") { git_repository_init(&repository, path, 1) }
        }
        return GitRepository(pointer: repository!, path: path)
    }

    /// The refs a remote advertises (`git ls-remote`), without fetching.
    static func listRemote(_ url: GitURL, auth: GitAuth) throws -> [RemoteHead] {
        LibGit2.initialize()
        var remote: OpaquePointer?
        try git("reading \(url.redacted)") { git_remote_create_detached(&remote, url.address) }
        defer { git_remote_free(remote) }
        let context = CallbackContext(auth: auth, url: url)
        var callbacks = context.callbacks()
        try withStringArray(auth.headers) { headers in
            let code = git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, headers)
            if code < 0 { throw context.error(code, doing: "connecting to \(url.redacted)") }
        }
        defer { git_remote_disconnect(remote) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try git("listing the refs of \(url.redacted)") { git_remote_ls(&heads, &count, remote) }
        guard let heads else { return [] }
        return (0..<count).compactMap { index in
            heads[index].map { RemoteHead(name: String(cString: $0.pointee.name), target: ObjectID($0.pointee.oid)) }
        }
    }

    /// Fetches `refspecs` from `url` into this repository.
    func fetch(_ url: GitURL, refspecs: [String], auth: GitAuth) throws {
        var remote: OpaquePointer?
        try git("reading \(url.redacted)") { git_remote_create_anonymous(&remote, pointer, url.address) }
        defer { git_remote_free(remote) }
        let context = CallbackContext(auth: auth, url: url)
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.callbacks = context.callbacks()
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        try withStringArray(auth.headers) { headers in
            if let headers { options.custom_headers = headers.pointee }
            try withStringArray(refspecs) { specs in
                let code = git_remote_fetch(remote, specs, &options, nil)
                if code < 0 { throw context.error(code, doing: "fetching from \(url.redacted)") }
            }
        }
    }

    func hasCommit(_ id: ObjectID) -> Bool {
        var oid = id.raw
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, pointer, &oid) == 0 else {
            git_error_clear()
            return false
        }
        git_commit_free(commit)
        return true
    }

    func commit(_ id: ObjectID) throws -> CommitInfo {
        var oid = id.raw
        var commit: OpaquePointer?
        try git("reading commit \(id.short)") { git_commit_lookup(&commit, pointer, &oid) }
        defer { git_commit_free(commit) }
        return CommitInfo(
            id: id,
            author: Signature(git_commit_author(commit)),
            committer: Signature(git_commit_committer(commit)),
            message: git_commit_message(commit).map { String(cString: $0) } ?? "",
            tree: ObjectID(git_commit_tree_id(commit))
        )
    }

    /// The id of the tree at `path` inside `tree` (the tree itself for ""),
    /// nil when there is no directory there.
    func subtree(of tree: ObjectID, at path: String) throws -> ObjectID? {
        let trimmed = path.split(separator: "/").joined(separator: "/")
        if trimmed.isEmpty || trimmed == "." { return tree }
        return try withTree(tree) { root in
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, root, trimmed) == 0 else {
                git_error_clear()
                return nil
            }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return nil }
            return ObjectID(git_tree_entry_id(entry))
        }
    }

    enum EntryKind: Equatable { case file(executable: Bool), symlink, directory }

    /// One entry of a tree as libgit2 reads it, before any check.
    struct RawEntry {
        /// Nil when the name is not UTF-8.
        var name: String?
        var kind: EntryKind?
        var id: ObjectID
    }

    /// The entries of `tree`, in the tree's order; submodules (commits)
    /// have no kind and are not followed.
    func entries(of tree: ObjectID) throws -> [RawEntry] {
        try withTree(tree) { handle in
            (0..<git_tree_entrycount(handle)).compactMap { index in
                guard let entry = git_tree_entry_byindex(handle, index) else { return nil }
                let mode = git_tree_entry_filemode(entry).rawValue
                let kind: EntryKind?
                switch git_tree_entry_type(entry) {
                case GIT_OBJECT_TREE: kind = .directory
                case GIT_OBJECT_BLOB where mode == GIT_FILEMODE_LINK.rawValue: kind = .symlink
                case GIT_OBJECT_BLOB: kind = .file(executable: mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue)
                default: kind = nil
                }
                return RawEntry(name: String(validatingCString: git_tree_entry_name(entry)), kind: kind, id: ObjectID(git_tree_entry_id(entry)))
            }
        }
    }

    /// An object's size in bytes, from its header alone: nothing of its
    /// content is inflated.
    func size(of id: ObjectID) throws -> Int {
        var database: OpaquePointer?
        try git("opening the object database") { git_repository_odb(&database, pointer) }
        defer { git_odb_free(database) }
        var oid = id.raw
        var size = 0
        var type = GIT_OBJECT_INVALID
        try git("reading object \(id.short)") { git_odb_read_header(&size, &type, database, &oid) }
        return size
    }

    /// Writes a blob or a tree as given, unchecked (tests build hostile trees with it).
    func writeObject(_ data: Data, tree: Bool) throws -> ObjectID {
        let type = tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB
        var database: OpaquePointer?
        try git("opening the object database") { git_repository_odb(&database, pointer) }
        defer { git_odb_free(database) }
        var oid = git_oid()
        _ = try data.withUnsafeBytes { buffer in
            try git("writing an object") { git_odb_write(&oid, database, buffer.baseAddress, buffer.count, type) }
        }
        return ObjectID(oid)
    }

    func blob(_ id: ObjectID) throws -> Data {
        var oid = id.raw
        var blob: OpaquePointer?
        try git("reading blob \(id.short)") { git_blob_lookup(&blob, pointer, &oid) }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: bytes, count: size)
    }

    private func withTree<T>(_ id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var oid = id.raw
        var tree: OpaquePointer?
        try git("reading tree \(id.short)") { git_tree_lookup(&tree, pointer, &oid) }
        defer { git_tree_free(tree) }
        return try body(tree!)
    }
}

/// Lends a `git_strarray` of C strings for the length of `body`; nil when empty.
func withStringArray<T>(_ strings: [String], _ body: (UnsafePointer<git_strarray>?) throws -> T) rethrows -> T {
    guard !strings.isEmpty else { return try body(nil) }
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}
