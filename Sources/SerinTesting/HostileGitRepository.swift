import Foundation

/// A bare repository whose trees are written object by object with
/// `git hash-object --literally`, so they may hold what `git add` and
/// `git mktree` refuse (entries named `..` or `.git`, names with a slash,
/// duplicate names, links that climb out): what a server without
/// `receive.fsckObjects` accepts from a push. Serve it with `GitDaemon`.
public final class HostileGitRepository: @unchecked Sendable {
    // Safe: used by one test at a time; its state is the file system.
    public let root: TemporaryDirectory
    /// The bare repository, `remote.git` under `root`.
    public var bare: String { root.path + "/remote.git" }

    /// One entry of a tree as the test means it.
    public indirect enum Node: Sendable {
        case file(String, executable: Bool = false)
        /// A symbolic link to the given target.
        case link(String)
        case tree([(String, Node)])
        /// A blob of `size` zero bytes, written as a loose object without
        /// ever holding it whole in memory (or on disk uncompressed).
        case zeros(size: Int)
        /// An entry pointing at an object already written.
        case object(mode: String, id: String)
    }

    public init() throws {
        root = try TemporaryDirectory(prefix: "serin-hostile")
        try git(["init", "-q", "--bare", "-b", "main", bare])
    }

    deinit { root.remove() }

    /// Writes `entries` as a tree (sub-trees and blobs first) and commits it
    /// on `main`; returns the commit id.
    @discardableResult
    public func commit(_ entries: [(String, Node)], message: String = "hostile") throws -> String {
        let tree = try write(tree: entries)
        let parent = try? git(["--git-dir", bare, "rev-parse", "--verify", "-q", "refs/heads/main"]).trimmingCharacters(in: .whitespacesAndNewlines)
        var arguments = ["--git-dir", bare, "-c", "user.name=Mallory", "-c", "user.email=mallory@example.com", "commit-tree", tree, "-m", message]
        if let parent, !parent.isEmpty { arguments += ["-p", parent] }
        let commit = try git(arguments).trimmingCharacters(in: .whitespacesAndNewlines)
        try git(["--git-dir", bare, "update-ref", "refs/heads/main", commit])
        return commit
    }

    /// The tree's id, its entries in Git's order (by name, a folder's name
    /// read with a slash after it): readers look entries up by bisection.
    public func write(tree entries: [(String, Node)]) throws -> String {
        var written: [(name: String, mode: String, id: String)] = []
        for (name, node) in entries {
            let (mode, id) = try write(node)
            written.append((name, mode, id))
        }
        written.sort { Array(($0.mode == "40000" ? $0.name + "/" : $0.name).utf8).lexicographicallyPrecedes(Array(($1.mode == "40000" ? $1.name + "/" : $1.name).utf8)) }
        var data = Data()
        for (name, mode, id) in written {
            data.append(contentsOf: Array("\(mode) \(name)".utf8))
            data.append(0)
            data.append(contentsOf: Self.binary(id))
        }
        return try hashObject(type: "tree", data)
    }

    /// The mode and id of one node, written.
    func write(_ node: Node) throws -> (mode: String, id: String) {
        switch node {
        case .file(let text, let executable): return (executable ? "100755" : "100644", try hashObject(type: "blob", Data(text.utf8)))
        case .link(let target): return ("120000", try hashObject(type: "blob", Data(target.utf8)))
        case .tree(let entries): return ("40000", try write(tree: entries))
        case .zeros(let size): return ("100644", try zeros(size))
        case .object(let mode, let id): return (mode, id)
        }
    }

    public func hashObject(type: String, _ data: Data) throws -> String {
        let file = root.path + "/object-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try git(["--git-dir", bare, "hash-object", "--literally", "-t", type, "-w", file]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A loose blob of zeros, deflated as it is hashed (Python's zlib), so
    /// a gigabyte costs a few megabytes of disk and no memory.
    func zeros(_ size: Int) throws -> String {
        let script = """
            import hashlib, os, sys, zlib
            size = int(sys.argv[2]); header = b"blob %d\\0" % size
            sha = hashlib.sha1(header); deflate = zlib.compressobj(1)
            tmp = os.path.join(sys.argv[1], "zeros.tmp")
            chunk = bytes(1 << 20)
            with open(tmp, "wb") as out:
                out.write(deflate.compress(header))
                left = size
                while left > 0:
                    piece = chunk[:min(left, len(chunk))]
                    sha.update(piece); out.write(deflate.compress(piece)); left -= len(piece)
                out.write(deflate.flush())
            name = sha.hexdigest()
            folder = os.path.join(sys.argv[1], "objects", name[:2])
            os.makedirs(folder, exist_ok=True)
            os.replace(tmp, os.path.join(folder, name[2:]))
            print(name)
            """
        let path = root.path + "/zeros.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try CommandRun.run("/usr/bin/python3", [path, bare, String(size)], timeout: .seconds(300))
        guard run.status == 0 else { throw HostileGitError(description: "writing \(size) zero bytes: \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public static func binary(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @discardableResult
    public func git(_ arguments: [String]) throws -> String {
        let run = try CommandRun.run("/usr/bin/git", arguments, timeout: .seconds(300))
        guard run.status == 0 else { throw HostileGitError(description: "git \(arguments.joined(separator: " ")): \(run.stderr)") }
        return run.stdout
    }
}

public struct HostileGitError: Error, CustomStringConvertible {
    public let description: String
}
