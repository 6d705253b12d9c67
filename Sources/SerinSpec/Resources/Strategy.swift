/// `serin.dev/v1alpha1` Strategy: named analysis defaults and/or a step
/// program that Canaries pick with `spec.strategyRef`.
public struct StrategySpec: Sendable, Hashable, Decodable {
    public var description: String?
    /// When set, the Canary using this strategy must infer to this kind
    /// (`ab-testing` needs the Canary to bring `analysis.match`).
    public var type: ReleaseKind?
    public var analysis: CanaryAnalysis?
}

public struct StrategyReference: Sendable, Hashable, Decodable {
    public var name: String?
}

/// How traffic reaches the canary, as Flagger infers it.
public enum ReleaseKind: String, Sendable, Hashable, Codable, CaseIterable {
    case canary
    case blueGreen = "blue-green"
    case abTesting = "ab-testing"
}
