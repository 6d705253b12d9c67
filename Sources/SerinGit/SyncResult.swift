import SerinSpec

/// One revision of a source, read and validated.
public struct SyncResult: Sendable {
    /// `main@sha1:<40 hex>`, `v1.2.0@sha1:<40 hex>`, or `sha1:<40 hex>`.
    public var revision: String
    public var commit: CommitInfo
    /// The tree id of the source's path at this commit.
    public var pathTree: ObjectID
    public var manifests: Manifests
    /// Validation problems, warnings included.
    public var diagnostics: [Diagnostic]
    /// The Canaries compiled into plans, once, where they were validated.
    public var plans: [Plan]
    /// False when the commit was already in the local clone.
    public var fetched: Bool

    public var isValid: Bool { !diagnostics.hasErrors }

    static func revision(_ name: String?, _ commit: ObjectID) -> String {
        (name.map { "\($0)@" } ?? "") + "sha1:\(commit.hex)"
    }
}

/// What one poll found.
public enum PollOutcome: Sendable {
    /// The ref still points at the last good commit; nothing was fetched or read.
    case unchanged(revision: String)
    /// A new revision whose manifests are valid.
    case updated(SyncResult)
    /// A new revision whose manifests are invalid; the last good one stays.
    case invalid(SyncResult)
}
