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
    /// When the current analysis step's next check is due: a full interval
    /// after the step began or after its last check, so a check never judges
    /// traffic from before its step, and a restarted operator keeps the
    /// schedule instead of checking early.
    public var nextCheckAt: Double?
    /// Checks were asked for while a gate waits (gates never stop analysis).
    public var checking = false
    /// Blue/green: confirm-promotion opened before the switch to the canary.
    public var promotionConfirmed = false
    /// `Plan.digest` of the plan this state belongs to.
    public var planDigest: String?
    /// The alert that a confirm webhook keeps the release waiting went out
    /// (once per wait, as Flagger's, unless the hooks say `muteAlert`).
    public var waitAlerted = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case phase, primaryRevision, canaryRevision, failedRevision, pendingRevision, step, passedTicks, failedChecks, routes
        case promotionWeight, waiting, pausedFrom, lastProgress, message, nextCheckAt, checking, promotionConfirmed, planDigest, waitAlerted
    }

    /// Fields added later default, so older state files still load.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        phase = try container.decode(RolloutPhase.self, forKey: .phase)
        primaryRevision = try container.decodeIfPresent(String.self, forKey: .primaryRevision)
        canaryRevision = try container.decodeIfPresent(String.self, forKey: .canaryRevision)
        failedRevision = try container.decodeIfPresent(String.self, forKey: .failedRevision)
        pendingRevision = try container.decodeIfPresent(String.self, forKey: .pendingRevision)
        step = try container.decode(Int.self, forKey: .step)
        passedTicks = try container.decode(Int.self, forKey: .passedTicks)
        failedChecks = try container.decode(Int.self, forKey: .failedChecks)
        routes = try container.decode(Routes.self, forKey: .routes)
        promotionWeight = try container.decode(Int.self, forKey: .promotionWeight)
        waiting = try container.decode(Wait.self, forKey: .waiting)
        pausedFrom = try container.decodeIfPresent(RolloutPhase.self, forKey: .pausedFrom)
        lastProgress = try container.decode(Double.self, forKey: .lastProgress)
        message = try container.decode(String.self, forKey: .message)
        nextCheckAt = try container.decodeIfPresent(Double.self, forKey: .nextCheckAt)
        checking = try container.decodeIfPresent(Bool.self, forKey: .checking) ?? false
        promotionConfirmed = try container.decodeIfPresent(Bool.self, forKey: .promotionConfirmed) ?? false
        planDigest = try container.decodeIfPresent(String.self, forKey: .planDigest)
        waitAlerted = try container.decodeIfPresent(Bool.self, forKey: .waitAlerted) ?? false
    }

    /// The state as it should be saved and restored: a check in flight
    /// becomes a check due at the next tick.
    public var settled: RolloutState {
        guard waiting == .checkResult || checking else { return self }
        var copy = self
        if copy.waiting == .checkResult { copy.waiting = .nextTick }
        copy.checking = false
        return copy
    }
}
