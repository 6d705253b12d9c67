/// When to try again after consecutive failures: doubling from `base`, never
/// more than `cap`, with up to 10% jitter so many sources do not retry in step.
public struct Backoff: Sendable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The delay before the next attempt after `failures` failures in a row
    /// (1 for the first), with `jitter` in 0...1.
    public func delay(afterFailures failures: Int, jitter: Double = 0) -> Duration {
        guard failures > 0 else { return .zero }
        let exponent = min(failures - 1, 30)
        let raw = base * (1 << exponent)
        let capped = min(raw, cap)
        return capped + capped * (0.1 * min(max(jitter, 0), 1))
    }
}
