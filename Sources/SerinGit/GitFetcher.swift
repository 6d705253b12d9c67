import SerinEngine
import SerinSpec

/// The fetch stage of a Git source: where its ref points, fetched into the
/// source's local clone, and that commit's tree exported as a read-only
/// snapshot (shared with the local platform's workloads, which run from
/// it). libgit2 runs on the source's own thread, never on Swift's
/// cooperative pool.
public final class GitFetcher: SourceFetcher {
    public let spec: GitSourceSpec
    private let thread: GitThread
    private let mirror: MirrorBox
    private let snapshots: RevisionSnapshots

    public init(spec: GitSourceSpec, cacheDirectory: String, snapshots: RevisionSnapshots) throws {
        self.spec = spec
        self.snapshots = snapshots
        thread = GitThread(label: spec.name)
        mirror = MirrorBox(try SourceMirror(spec: spec, directory: cacheDirectory))
    }

    public func fetch(unless known: String?) async throws -> FetchedRevision? {
        let mirror = self.mirror, snapshots = self.snapshots
        return try await thread.run {
            guard let found = try mirror.value.fetch(unless: known) else { return nil }
            let root = try mirror.value.snapshot(found.commit.id, into: snapshots)
            return FetchedRevision(revision: found.revision, commit: found.commit.summary, files: SnapshotFiles(root: root))
        }
    }
}

extension GitFetcher {
    public func fetch(revision: String) async throws -> FetchedRevision {
        let parts = revision.split(separator: "@", maxSplits: 1).map(String.init)
        let name = parts.count == 2 ? parts[0] : nil
        let hash = (parts.last ?? "").replacingOccurrences(of: "sha1:", with: "")
        guard let id = ObjectID(hex: hash) else { throw GitError(.refNotFound, "\(revision) is not a revision Serin wrote") }
        let mirror = self.mirror, snapshots = self.snapshots
        return try await thread.run {
            // From the local clone, or fetched with the ref's branches when the clone lacks it (a rollback after a fresh clone).
            let found = try mirror.value.fetch(commit: id.hex, name: name)
            let root = try mirror.value.snapshot(id, into: snapshots)
            return FetchedRevision(revision: SyncResult.revision(name, id), commit: found.commit.summary, files: SnapshotFiles(root: root))
        }
    }
}

extension CommitInfo {
    /// As the API shows a commit.
    public var summary: CommitSummary {
        CommitSummary(id: id.hex, subject: String(message.split(whereSeparator: \.isNewline).first ?? ""),
                      author: "\(author.name) <\(author.email)>", time: Double(author.time))
    }
}

/// Hands the non-Sendable mirror to its GitThread.
final class MirrorBox: @unchecked Sendable {
    // Safe: `value` is only touched inside `GitThread.run`, whose serial
    // queue runs one closure at a time.
    let value: SourceMirror
    init(_ value: SourceMirror) { self.value = value }
}
