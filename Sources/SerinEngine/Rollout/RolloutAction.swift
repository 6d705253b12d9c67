/// What the owner of a `RolloutMachine` must do, in order, after an event.
public enum RolloutAction: Sendable, Equatable {
    /// Deploy `revision` as the primary (a workload's first revision).
    case deployPrimary(revision: String)
    /// Start (or restart) canary replicas running `revision`.
    case startCanary(revision: String)
    case scaleCanaryToZero
    /// Set the router's table for the workload.
    case setRoutes(Routes)
    /// Run the checks of the current analysis step; answer with `.checks`.
    case runChecks
    /// Ask the gate's webhooks; answer with `.gate`.
    case askGate(GateKind)
    /// Fire-and-forget webhooks: `post-rollout`, `rollback`, `event`.
    case callWebhooks(String)
    /// Make the primary run `revision`; answer with `.primaryReady`. With
    /// `keepingCanary`, the canary keeps running and keeps its share of the
    /// traffic, which the promote step's primary weights then move back.
    case promote(revision: String, keepingCanary: Bool = false)
    /// One message per transition, never one per tick.
    case notify(RolloutNotification)
    /// Write the state to disk before doing anything else the next event asks.
    case persist
}

public struct Routes: Sendable, Equatable, Codable {
    /// Percent of requests served by the canary.
    public var canaryWeight: Int
    /// Percent of primary requests copied to the canary (answers discarded).
    public var mirrorWeight: Int
    /// Requests matching the plan's conditions go to the canary (A/B).
    public var matchToCanary: Bool

    public static let allPrimary = Routes(canaryWeight: 0, mirrorWeight: 0, matchToCanary: false)

    public init(canaryWeight: Int, mirrorWeight: Int = 0, matchToCanary: Bool = false) {
        self.canaryWeight = canaryWeight
        self.mirrorWeight = mirrorWeight
        self.matchToCanary = matchToCanary
    }
}

public struct RolloutNotification: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable { case info, warn, error }
    public var severity: Severity
    public var phase: RolloutPhase
    public var message: String

    public init(severity: Severity, phase: RolloutPhase, message: String) {
        self.severity = severity
        self.phase = phase
        self.message = message
    }
}
