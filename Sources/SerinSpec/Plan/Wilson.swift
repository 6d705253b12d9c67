/// The Wilson score interval of a proportion: how far the true success rate
/// may be from what `successes` out of `trials` showed. A canary's answers
/// are a sample of what it would answer; judging the sample's ratio alone
/// promotes a release that was lucky (8% errors that showed 4% over 194
/// requests) and fails one that was unlucky.
public struct Wilson: Sendable, Equatable {
    public var lower: Double
    public var upper: Double

    /// z of the two-sided confidence: 1.96 for 95%.
    public static let z95 = 1.959963984540054

    public init(successes: Double, trials: Double, z: Double = Wilson.z95) {
        guard trials > 0 else {
            lower = 0
            upper = 1
            return
        }
        let p = min(max(successes / trials, 0), 1)
        let z2 = z * z
        let denominator = 1 + z2 / trials
        let centre = (p + z2 / (2 * trials)) / denominator
        let margin = z * ((p * (1 - p) / trials + z2 / (4 * trials * trials)).squareRoot()) / denominator
        lower = max(0, centre - margin)
        upper = min(1, centre + margin)
    }

    /// Requests without an error needed before the interval's lower bound
    /// reaches `proportion` (0 < proportion < 1): the fewest a check can pass on.
    public static func requestsNeeded(toShow proportion: Double, z: Double = Wilson.z95) -> Int {
        guard proportion > 0 else { return 1 }
        guard proportion < 1 else { return Int.max }
        // All successes: lower = n / (n + z²) ≥ p  ⇔  n ≥ z² p / (1 − p).
        var needed = Int((z * z * proportion / (1 - proportion)).rounded(.up))
        while needed > 1 && Wilson(successes: Double(needed - 1), trials: Double(needed - 1), z: z).lower >= proportion { needed -= 1 }
        while Wilson(successes: Double(needed), trials: Double(needed), z: z).lower < proportion { needed += 1 }
        return needed
    }
}
