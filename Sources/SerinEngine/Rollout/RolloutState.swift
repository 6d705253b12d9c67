/// Everything a rollout must remember across a restart: persisted after
/// every transition, so a restarted operator resumes at the same step with
/// the same weights and counters.
public struct RolloutState: Sendable, Equatable, Codable {
    /// What the machine waits for before it can move on.
    public enum Wait: Sendable, Equatable, Codable {
        case nothing
        case primaryReady
        case canaryReady
        /// The next tick runs the step's checks.
        case nextTick
        /// Checks were asked for; their result has not come back.
        case checkResult
        case gate(GateKind)
        /// A `pause` step, until this time.
        case until(Double)
        /// A manual gate, opened by `promote`.
        case manualGate(String)
    }

    public var phase: RolloutPhase = .initializing
    public var primaryRevision: String?
    public var canaryRevision: String?
    /// The revision that last failed; not released again until Git changes
    /// it or someone asks for `retry`.
    public var failedRevision: String?
    /// A revision that arrived during a promotion, released after it.
    public var pendingRevision: String?
    /// Index of the current step in the plan.
    public var step = 0
    /// Passing ticks in the current analyse step.
    public var passedTicks = 0
    public var failedChecks = 0
    public var routes = Routes.allPrimary
    /// Next entry of the promote step's primary weights.
    public var promotionWeight = 0
    public var waiting: Wait = .nothing
    /// The phase to go back to on `resume`.
    public var pausedFrom: RolloutPhase?
    /// When the canary was started or last made progress: the progress
    /// deadline counts from here.
    public var lastProgress: Double = 0
    /// Why the rollout is where it is, for people.
    public var message = ""

    public init() {}

    /// The state as it should be saved and restored: a check in flight
    /// becomes a check due at the next tick.
    public var settled: RolloutState {
        guard waiting == .checkResult else { return self }
        var copy = self
        copy.waiting = .nextTick
        return copy
    }
}
