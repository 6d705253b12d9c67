import Foundation

/// A real Git repository for tests: a working copy that commits and pushes
/// to a bare repository, driven with the `git` command line.
public final class GitFixture: @unchecked Sendable {
    // Safe: used by one test at a time; its state is the file system.
    public let root: TemporaryDirectory
    public var work: String { root.path + "/work" }
    public var bare: String { root.path + "/remote.git" }

    public init() throws {
        root = try TemporaryDirectory(prefix: "serin-git")
        try git(["init", "-q", "--bare", "-b", "main", bare])
        try git(["init", "-q", "-b", "main", work])
        try git(["-C", work, "remote", "add", "origin", bare])
    }

    deinit { root.remove() }

    /// Writes files (relative to the working copy), commits, pushes; returns the commit id.
    @discardableResult
    public func commit(_ files: [String: String], message: String = "change", author: String = "Ada Lovelace",
                       email: String = "ada@example.com", remove: [String] = [], branch: String = "main") throws -> String {
        for (path, contents) in files {
            let full = work + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: full, atomically: true, encoding: .utf8)
        }
        for path in remove { try FileManager.default.removeItem(atPath: work + "/" + path) }
        try git(["-C", work, "add", "-A"])
        try git(["-C", work, "-c", "user.name=\(author)", "-c", "user.email=\(email)", "commit", "-q", "--allow-empty", "-m", message])
        try git(["-C", work, "push", "-q", "origin", "HEAD:refs/heads/\(branch)"])
        return try head()
    }

    public func head() throws -> String {
        try git(["-C", work, "rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func tag(_ name: String, annotated: Bool = false) throws {
        if annotated {
            try git(["-C", work, "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "tag", "-a", name, "-m", "release \(name)"])
        } else {
            try git(["-C", work, "tag", name])
        }
        try git(["-C", work, "push", "-q", "origin", "refs/tags/\(name)"])
    }

    /// Rewrites the branch's last commit and force-pushes it.
    public func amendAndForcePush(_ files: [String: String], message: String) throws -> String {
        for (path, contents) in files { try contents.write(toFile: work + "/" + path, atomically: true, encoding: .utf8) }
        try git(["-C", work, "add", "-A"])
        try git(["-C", work, "-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "-q", "--amend", "-m", message])
        try git(["-C", work, "push", "-q", "--force", "origin", "HEAD:refs/heads/main"])
        return try head()
    }

    @discardableResult
    public func git(_ arguments: [String]) throws -> String {
        let run = try CommandRun.run("/usr/bin/git", arguments)
        guard run.status == 0 else {
            throw NSError(domain: "git", code: Int(run.status), userInfo: [NSLocalizedDescriptionKey: "git \(arguments.joined(separator: " ")): \(run.stderr)"])
        }
        return run.stdout
    }
}
