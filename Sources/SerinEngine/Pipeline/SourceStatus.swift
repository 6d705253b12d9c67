import SerinSpec

/// Where one source stands, stage by stage: what the operator, the API and
/// the event log see of it.
public struct SourceStatus: Sendable, Equatable {
    public var name: String
    /// True once the revision in force is applied on every target (and healthy where they check).
    public var ready: Bool
    /// The Ready condition's reason: `Succeeded`, `Progressing`, or the
    /// reason of the stage that holds the source back.
    public var reason: String
    public var message: String
    /// The revision the operator acts on (validated); kept through failures.
    public var lastGoodRevision: String?
    public var lastGoodCommit: CommitSummary?
    /// Attempts in a row that failed at fetch, render or validation.
    public var consecutiveFailures: Int = 0
    /// Warnings of `lastGoodRevision`.
    public var warnings: [String] = []
    /// The newest revision fetched, when it did not pass render or validation.
    public var lastAttemptedRevision: String?
    /// Its problems (`file:line:column: …`), or the failing stage's message.
    public var errors: [String] = []
    /// When a fetch last answered, good or refused (seconds since 1970).
    public var lastSyncTime: Double?
    /// `Ready`, and `Stalled` or `Reconciling` as Flux sets them.
    public var conditions: [Condition] = []
    /// Per target: the revision last given to it and what came of it.
    public var targets: [String: TargetStatus] = [:]
    /// The last revision every target applied (healthy or not).
    public var lastAppliedRevision: String?
    /// Held by `serin suspend` or `suspend: true`.
    public var suspension: SourceSuspension?
    /// Held at an earlier revision by `serin rollback`.
    public var pin: SourcePin?
    /// Where the newest revision stands in the source's waves (staged sources only).
    public var waves: WaveStatus?

    public init(name: String) {
        self.name = name
        ready = false
        reason = "Progressing"
        message = "not synced yet"
    }

    /// The stage that holds the source back, if one does.
    public var failingStage: StageFailure.Stage? {
        if let failure = targets.values.compactMap(\.failure).first { return failure.stage }
        return nil
    }
}

/// One target's side of a source.
public struct TargetStatus: Sendable, Equatable, Codable {
    public var revision: String
    /// nil while the revision is being applied, or once it was.
    public var failure: StageFailure?
    /// False while the revision is being applied.
    public var settled: Bool
    /// Seconds since 1970 of the last change.
    public var time: Double

    public init(revision: String, failure: StageFailure? = nil, settled: Bool, time: Double) {
        self.revision = revision
        self.failure = failure
        self.settled = settled
        self.time = time
    }
}
