import SerinSpec

/// The fetch stage: where a source's ref points, and that commit's files.
public protocol SourceFetcher: Sendable {
    /// The commit the ref points at now, fetched and readable; nil when it
    /// is `known` (then nothing is fetched or read). Throws when the
    /// remote cannot be read or the commit not checked out.
    func fetch(unless known: String?) async throws -> FetchedRevision?
    /// A revision fetched before (`branch@sha1:<40 hex>`), read again: what
    /// a target keeps while a newer revision travels through earlier waves,
    /// and what `serin rollback` pins a source to.
    func fetch(revision: String) async throws -> FetchedRevision
}

/// The fetch stage's value.
public struct FetchedRevision: Sendable {
    /// `branch@sha1:<40 hex>`: what statuses and events name.
    public var revision: String
    public var commit: CommitSummary
    /// The commit's tree, read-only and fenced.
    public var files: any SourceFiles

    public init(revision: String, commit: CommitSummary, files: any SourceFiles) {
        self.revision = revision
        self.commit = commit
        self.files = files
    }
}

/// A stage that holds a source back: which, and why. Its `reason` is the
/// source's Ready condition's reason.
public struct StageFailure: Sendable, Equatable, Codable, Error, CustomStringConvertible {
    public enum Stage: String, Sendable, Codable {
        case fetch, render, validate, apply, health, release
    }

    public var stage: Stage
    /// `FetchFailed`, `RenderFailed` (or a renderer's own: `BuildFailed`),
    /// `ValidationFailed`, `ApplyFailed`, `HealthCheckFailed`.
    public var reason: String
    /// One line, naming file:line:column where a file is at fault.
    public var message: String
    /// Every problem, one line each, when there are several.
    public var details: [String]

    public init(_ stage: Stage, reason: String, _ message: String, details: [String] = []) {
        self.stage = stage
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(reason): \(message)" }

    /// The reason of a delivery to a target that cannot be reached (a
    /// cluster's apiserver): its wave waits for it rather than failing.
    public static let unreachable = "ClusterUnreachable"

    /// Only a new commit can mend it: retrying the same one is pointless.
    public var needsNewCommit: Bool { stage == .validate }
}

/// The apply and release stages for one target: a cluster, or the local
/// platform. One source's revision goes to each of the targets it names.
public protocol DeliveryTarget: Sendable {
    /// `local`, or the cluster's name.
    var name: String { get }
    /// Makes the target hold `desired`, then releases its workloads.
    /// `resync`: the same revision again, to put back what changed by hand
    /// (no new release is started by it).
    func deliver(_ desired: DesiredState, resync: Bool) async -> DeliveryResult
    /// How the release of `desired` (given to this target) stands: every
    /// Canary of it promoted and its objects healthy, or not yet, or failed.
    func release(of desired: DesiredState) async -> ReleaseState
}

extension DeliveryTarget {
    /// A target that releases nothing progressively has released what it applied.
    public func release(of desired: DesiredState) async -> ReleaseState { .released }
}

/// What a target made of a revision.
public struct DeliveryResult: Sendable, Equatable {
    /// nil: applied (and healthy, where the target checks health).
    public var failure: StageFailure?
    /// What it did, for the audit trail (`applied …`, `pruned …`, `drift …`).
    public var notes: [DeliveryNote]

    public init(failure: StageFailure? = nil, notes: [DeliveryNote] = []) {
        self.failure = failure
        self.notes = notes
    }

    public static let delivered = DeliveryResult()
}

/// One thing a target did with a revision, as the event log records it.
public struct DeliveryNote: Sendable, Equatable {
    /// `applied`, `pruned`, `drift`, `skipped`, `error`.
    public var decision: String
    public var reason: String

    public init(_ decision: String, _ reason: String) {
        self.decision = decision
        self.reason = reason
    }
}
