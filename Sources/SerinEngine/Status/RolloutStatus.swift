import SerinSpec

/// What the API and the CLI show of one rollout.
public struct RolloutStatus: Sendable, Codable, Equatable {
    /// The Canary's name (the API's key) and namespace.
    public var name: String
    public var namespace: String
    /// The cluster it runs in, when the operator has several; nil otherwise.
    public var cluster: String?
    /// The workload it releases.
    public var workload: String
    public var phase: RolloutPhase
    public var canaryWeight: Int
    public var mirrorWeight: Int
    public var failedChecks: Int
    /// Failed checks that roll the release back (the analysis' threshold);
    /// nil in answers of operators older than it.
    public var threshold: Int?
    /// 1-based step in force (0 before the first), of `stepCount`.
    public var step: Int
    public var stepCount: Int
    public var primaryRevision: String?
    public var canaryRevision: String?
    /// Why the rollout is where it is ("waiting for data", the last error…).
    public var message: String
    /// One line per plan step (`Plan.stepDescriptions`).
    public var plan: [String]
    /// The newest last.
    public var evaluations: [MetricEvaluation]
    public var events: [EventLog.Entry]
    /// Flagger's `status.iterations`: passed analyses of a blue/green or
    /// A/B release (0 for a weighted canary); nil in older answers.
    public var iterations: Int?
    /// The Canary is suspended (`spec.suspend`): nothing moves.
    public var suspended: Bool?

    public init(name: String, namespace: String, workload: String, phase: RolloutPhase, canaryWeight: Int, mirrorWeight: Int,
                failedChecks: Int, step: Int, stepCount: Int, primaryRevision: String?, canaryRevision: String?, message: String,
                plan: [String], evaluations: [MetricEvaluation], events: [EventLog.Entry], threshold: Int? = nil, cluster: String? = nil) {
        self.name = name
        self.cluster = cluster
        self.namespace = namespace
        self.workload = workload
        self.phase = phase
        self.canaryWeight = canaryWeight
        self.mirrorWeight = mirrorWeight
        self.failedChecks = failedChecks
        self.threshold = threshold
        self.step = step
        self.stepCount = stepCount
        self.primaryRevision = primaryRevision
        self.canaryRevision = canaryRevision
        self.message = message
        self.plan = plan
        self.evaluations = evaluations
        self.events = events
    }

    /// `cluster/namespace/name` with several clusters, `namespace/name` otherwise: what names it uniquely.
    public var qualifiedName: String {
        cluster.map { "\($0)/\(namespace)/\(name)" } ?? "\(namespace)/\(name)"
    }
}

/// One release attempt of a rollout, for `serin history`: a retry is an
/// attempt of its own.
public struct RevisionHistoryEntry: Sendable, Codable, Equatable {
    public enum Outcome: Sendable, Codable, Equatable {
        case succeeded
        case failed(reason: String)
        /// `by`: who aborted it, when the command said.
        case aborted(by: String?)
        /// A newer revision replaced it before it ended.
        case superseded(by: String)
        case inProgress

        /// `succeeded`, `failed: <reason>`, `aborted by <who>` (or `aborted`),
        /// `superseded by <revision>`, `in progress`.
        public var text: String {
            switch self {
            case .succeeded: "succeeded"
            case .failed(let reason): "failed: \(reason)"
            case .aborted(let who): who.map { "aborted by \($0)" } ?? "aborted"
            case .superseded(let revision): "superseded by \(revision)"
            case .inProgress: "in progress"
            }
        }
    }

    public var revision: String
    public var commit: String?
    public var author: String?
    /// `outcome` as text; the only word on it in answers of operators
    /// older than `outcome`.
    public var result: String
    /// nil in answers of operators older than it.
    public var outcome: Outcome?
    public var started: Double
    public var finished: Double?

    public init(revision: String, commit: String?, author: String?, outcome: Outcome, started: Double, finished: Double?) {
        self.revision = revision
        self.commit = commit
        self.author = author
        result = outcome.text
        self.outcome = outcome
        self.started = started
        self.finished = finished
    }
}

/// The outcome of a manual command, as the API answers it.
public enum CommandOutcome: Sendable, Equatable {
    case accepted(String)
    /// No rollout of that name.
    case unknownRollout
    /// The command makes no sense in the rollout's phase.
    case conflict(String)
}

/// The outcome of a Git webhook delivery.
public enum WebhookOutcome: Sendable, Equatable {
    /// The signature checked out; a sync was requested.
    case accepted
    case unknownSource
    /// A missing or wrong signature, or a secret that cannot be read.
    case unauthorized(String)
}

/// What the operator exposes to its API: read the rollouts, command them,
/// follow the event log, hear from Git.
public protocol OperatorControl: Sendable {
    func rollouts() async -> [RolloutStatus]
    func rollout(named name: String) async -> RolloutStatus?
    func history(of name: String) async -> [RevisionHistoryEntry]?
    /// Every Git source with its conditions.
    func sources() async -> [SourceStatusReport]
    /// Every workload Git declares, with its conditions.
    func workloads() async -> [WorkloadStatusReport]
    /// `caller`: who asked, when the request said (`{"by": NAME}`).
    func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome
    /// Events after `sequence` (0: all kept), then new ones as they are
    /// written, until cancelled; a gap marker where the reader fell behind.
    func events(after sequence: Int) async -> EventLog.Subscription
    /// The events `first...last` still kept, in order: what a gap marker skipped.
    func events(from first: Int, through last: Int) async -> [EventLog.Entry]
    func gitWebhook(source: String, headers: [String: String], body: [UInt8]) async -> WebhookOutcome
    /// Whether the operator has loaded its state and synced every source once.
    func isReady() async -> Bool
    /// Prometheus text exposition of the operator's metrics.
    func metricsText() async -> String
    /// `serin promote SOURCE`: opens the gate before the source's next wave
    /// (`pause: true`); `caller` as for `command`.
    func promoteWave(source name: String, by caller: String?) async -> WaveCommandOutcome
    /// Suspends, resumes, reconciles, pins (`rollback`, with `revision`) or
    /// unpins a source; `caller` as for `command`.
    func sourceCommand(_ command: SourceCommand, source name: String, revision: String?, by caller: String?) async -> SourceCommandOutcome
    /// The revisions a source's targets were given, oldest first; nil for an unknown source.
    func sourceHistory(of name: String) async -> [SourceHistoryEntry]?
    /// What applying the source's revision in force would change.
    func diff(source name: String) async -> SourceDiffOutcome
}

extension OperatorControl {
    public func promoteWave(source name: String, by caller: String?) async -> WaveCommandOutcome { .unknownSource }

    public func sourceCommand(_ command: SourceCommand, source name: String, revision: String?, by caller: String?) async -> SourceCommandOutcome {
        .unsupported("this operator has no source commands")
    }

    public func sourceHistory(of name: String) async -> [SourceHistoryEntry]? { nil }

    public func diff(source name: String) async -> SourceDiffOutcome { .unavailable("this operator cannot diff sources") }
}

/// The outcome of `serin promote SOURCE`.
public enum WaveCommandOutcome: Sendable, Equatable {
    case accepted(String)
    case unknownSource
    /// No wave of the source waits for a promotion.
    case conflict(String)
}
