import Foundation

/// Read-only copies of revisions' trees under `<stateDir>/revisions/<sha>/`,
/// which local workloads run from. Each is written whole into a temporary
/// folder and renamed into place, so a reader never sees half of one.
public struct RevisionSnapshots: Sendable {
    public let root: String

    public init(stateDirectory: String) {
        root = stateDirectory + "/revisions"
    }

    public func path(for commit: ObjectID) -> String { "\(root)/\(commit.hex)" }

    /// Writes the snapshot with `fill` unless it exists; returns its path.
    func export(_ commit: ObjectID, fill: (String) throws -> Void) throws -> String {
        let final = path(for: commit)
        if FileManager.default.fileExists(atPath: final) { return final }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Traversable, not listable: a workload running as its own user
        // reaches its checkout by its commit id, and lists no other.
        chmod(root, 0o711)
        // One folder per export: two sources of one repository export the
        // same commit at once, and must not fill (or remove) each other's.
        let temporary = "\(root)/.partial-\(commit.hex)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? Self.remove(temporary)
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        do {
            try fill(temporary)
            try Self.makeReadOnly(temporary)
            fsyncDirectory(temporary)
            guard rename(temporary, final) == 0 else {
                if errno == EEXIST || errno == ENOTEMPTY { try? Self.remove(temporary); return final }
                throw GitError(.snapshot, "cannot move the snapshot into \(final): \(String(cString: strerror(errno)))")
            }
            fsyncDirectory(root)
        } catch {
            try? Self.remove(temporary)
            throw error
        }
        return final
    }

    /// Removes every snapshot not in `keep`, and leftovers of interrupted exports.
    public func prune(keeping keep: Set<ObjectID>) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            if let id = ObjectID(hex: name), keep.contains(id) { continue }
            try Self.remove("\(root)/\(name)")
        }
    }

    public func existing() -> [ObjectID] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(ObjectID.init(hex:)).sorted()
    }

    private static func makeReadOnly(_ directory: String) throws {
        for folder in folders(in: directory).reversed() { chmod(folder, 0o555) }
    }

    /// Snapshots are read-only: folders need write permission back first.
    public static func remove(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        for folder in folders(in: path) { chmod(folder, 0o755) }
        try FileManager.default.removeItem(atPath: path)
    }

    /// `directory` and every folder under it, parents first, found without
    /// following links (a link to a folder is not one: chmod would follow it).
    static func folders(in directory: String) -> [String] {
        var info = stat()
        guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return [] }
        var found = [directory]
        var index = 0
        while index < found.count {
            let folder = found[index]
            index += 1
            // Reading needs the folder readable: a snapshot's folders are 0555 and the owner reads them.
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let full = "\(folder)/\(name)"
                if lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { found.append(full) }
            }
        }
        return found
    }
}

private func fsyncDirectory(_ path: String) {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
