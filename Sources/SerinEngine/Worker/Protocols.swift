import SerinSpec

/// Runs one tick's checks: evaluates the metrics and calls the rollout and
/// rollback webhooks. It reports what it saw; the worker judges it.
public protocol CheckRunner: Sendable {
    func runChecks(_ plan: Plan, _ context: CheckContext) async -> CheckResults
}

/// What one tick's checks are about: the rollout, the workload it releases
/// and the revisions on each side.
public struct CheckContext: Sendable, Equatable {
    public var rollout: RolloutID
    public var target: WorkloadID
    public var primaryRevision: String?
    public var canaryRevision: String?
    /// Seconds on the owner's clock.
    public var time: Double

    public init(rollout: RolloutID, target: WorkloadID, primaryRevision: String? = nil, canaryRevision: String? = nil, time: Double) {
        self.rollout = rollout
        self.target = target
        self.primaryRevision = primaryRevision
        self.canaryRevision = canaryRevision
        self.time = time
    }
}

public struct CheckResults: Sendable, Equatable {
    public var evaluations: [MetricEvaluation]
    /// Why webhooks fail the tick: a `rollout` hook that did not answer 2xx,
    /// a `rollback` hook that did.
    public var hookFailures: [String]

    public init(evaluations: [MetricEvaluation], hookFailures: [String] = []) {
        self.evaluations = evaluations
        self.hookFailures = hookFailures
    }
}

/// Asks gate webhooks and fires the others.
public protocol HookRunner: Sendable {
    func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase) async -> (open: Bool, reason: String)
    func fire(_ type: String, _ plan: Plan, phase: RolloutPhase) async
    /// As above, with what Flagger's payload says of the rollout (its `checksum`).
    func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async -> (open: Bool, reason: String)
    func fire(_ type: String, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async
    /// One event of the rollout (a decision, a weight change), for the
    /// Canary's `event` webhooks, as Flagger sends each of its events.
    func event(_ message: String, warning: Bool, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async
}

extension HookRunner {
    public func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async -> (open: Bool, reason: String) {
        await ask(gate, plan, phase: phase)
    }

    public func fire(_ type: String, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async {
        await fire(type, plan, phase: phase)
    }

    public func event(_ message: String, warning: Bool, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async {}
}

/// What a webhook's payload says of a rollout besides its name and phase:
/// the inputs of Flagger's `checksum`.
public struct HookSubject: Sendable, Equatable {
    public var workload: WorkloadID
    /// `status.lastAppliedSpec`: the revision being released, else the primary's.
    public var lastAppliedSpec: String?

    public init(workload: WorkloadID, lastAppliedSpec: String?) {
        self.workload = workload
        self.lastAppliedSpec = lastAppliedSpec
    }
}

/// Sends notifications to the rollout's alert providers.
public protocol Notifier: Sendable {
    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async
}

/// `namespace/name` of a Canary.
public struct RolloutID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `namespace/name`, or a bare `name` in the default namespace.
    public init(parsing text: String) {
        let id = WorkloadID(parsing: text)
        self.init(namespace: id.namespace, name: id.name)
    }

    public var description: String { "\(namespace)/\(name)" }
    /// The state file's name.
    public var key: String { "\(namespace).\(name)" }
}
