/// What happens to a rollout. Every event carries the time it happened
/// (seconds on the owner's clock), so the machine never reads a clock.
public enum RolloutEvent: Sendable, Equatable {
    /// Git holds a new desired revision of the workload.
    case newRevision(String, at: Double)
    /// The interval elapsed.
    case tick(at: Double)
    /// The canary's replicas pass their readiness probes. Reported at each
    /// tick while they do (a level, not an edge), so a report the machine
    /// could not use, while paused, is simply made again.
    case canaryReady(at: Double)
    /// The primary runs the promoted revision and is ready.
    case primaryReady(at: Double)
    /// The result of the checks a `.runChecks` action asked for.
    case checks(CheckOutcome, at: Double)
    /// The answer of a gate a `.askGate` action asked for.
    case gate(GateKind, open: Bool, reason: String, at: Double)
    /// Someone asked through the API or the CLI; `by` names them when they said.
    case command(RolloutCommand, by: String? = nil, at: Double)
    /// The canary runs but is not ready (it crashed, its probe fails, fewer
    /// replicas than `canaryReadyThreshold` are): reported at each tick while
    /// it holds. The analysis halts (as Flagger's scheduler: no check, no
    /// step) until it is ready again, and rolls back once the progress
    /// deadline passes without progress.
    case canaryUnready(String, at: Double)
    /// The primary stopped serving mid-release (`primaryReadyThreshold`):
    /// the release halts, as Flagger's scheduler does, and rolls back once
    /// the progress deadline passes.
    case primaryUnready(String, at: Double)
    /// The primary already runs this revision (another operator made it, or
    /// the saved state was lost): it is adopted, not deployed again.
    case adopted(String, at: Double)
    /// The platform cannot start the canary at all (`RevisionCannotStart`).
    case canaryCannotStart(String, at: Double)
    /// The Canary was edited (a new plan) while its revision was being
    /// released: the analysis starts again from the first step.
    case planChanged(at: Double)
}

extension RolloutEvent {
    /// When the event happened, on the owner's clock.
    public var time: Double {
        switch self {
        case .newRevision(_, let at), .tick(let at), .canaryReady(let at), .primaryReady(let at), .checks(_, let at),
             .gate(_, _, _, let at), .command(_, _, let at), .canaryUnready(_, let at), .canaryCannotStart(_, let at), .planChanged(let at),
             .primaryUnready(_, let at), .adopted(_, let at):
            return at
        }
    }
}

public enum CheckOutcome: Sendable, Equatable {
    case passed
    /// A metric out of range, a rollback webhook that answered 2xx, too many query errors.
    case failed(reason: String)
    /// No data yet: counts neither way.
    case noData(reason: String)
}

/// Webhook gates with Flagger's meanings.
public enum GateKind: String, Sendable, Codable, Equatable {
    /// Holds the whole release until it answers 2xx (phase Waiting).
    case confirmRollout = "confirm-rollout"
    /// Must answer 2xx before traffic first reaches the canary; a refusal is a failed check.
    case preRollout = "pre-rollout"
    /// Holds each weight increase.
    case confirmTrafficIncrease = "confirm-traffic-increase"
    /// Holds the promotion (phase WaitingPromotion).
    case confirmPromotion = "confirm-promotion"
    /// Not a gate that holds: asked at every tick while a canary runs and
    /// no checks do; "open" (a hook answered 2xx) rolls back at once.
    case rollback
}

public enum RolloutCommand: String, Sendable, Codable, Equatable, CaseIterable {
    /// Skip the remaining steps and promote; at a manual gate, open it.
    case promote
    /// Roll back now.
    case abort
    case pause
    case resume
    /// Release the failed revision again.
    case retry
}
