/// Capped exponential backoff with jitter: attempt n (from 0) waits a random
/// time in [d/2, d] where d = min(cap, base * 2^n). Half of the delay is
/// random so clients that failed together do not come back together.
public struct Backoff: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .milliseconds(200), cap: Duration = .seconds(30)) {
        self.base = base
        self.cap = cap
    }

    /// The longest wait of attempt `attempt`.
    public func ceiling(attempt: Int) -> Duration {
        let exponent = min(max(attempt, 0), 30)
        let doubled = base * (1 << exponent)
        return doubled > cap || doubled < .zero ? cap : doubled
    }

    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(attempt: attempt)
        let fraction = Double.random(in: 0.5..<1.0, using: &generator)
        return ceiling * fraction
    }

    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }
}
