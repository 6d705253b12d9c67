import SerinSpec

/// Splits a workload's traffic between primary and canary (Serin's router
/// on the local platform; Gateway API and others on Kubernetes).
public protocol TrafficRouter: Sendable {
    func setRoutes(_ routes: Routes, for rollout: RolloutID) async throws
}

/// Runs a workload's revisions (supervised processes locally, Deployments
/// on Kubernetes).
public protocol WorkloadPlatform: Sendable {
    func deployPrimary(_ revision: String, for rollout: RolloutID) async throws
    func startCanary(_ revision: String, for rollout: RolloutID) async throws
    func scaleCanaryToZero(for rollout: RolloutID) async throws
    /// Makes the primary run `revision`, without a moment with no ready primary.
    func promote(_ revision: String, for rollout: RolloutID) async throws
    func isCanaryReady(for rollout: RolloutID) async -> Bool
    func isPrimaryReady(_ revision: String, for rollout: RolloutID) async -> Bool
}

/// Runs one tick's checks: evaluates the metrics and calls the rollout and
/// rollback webhooks. It reports what it saw; the worker judges it.
public protocol CheckRunner: Sendable {
    func runChecks(_ plan: Plan, for rollout: RolloutID, at time: Double) async -> CheckResults
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

    public var description: String { "\(namespace)/\(name)" }
    /// The state file's name.
    public var key: String { "\(namespace).\(name)" }
}
