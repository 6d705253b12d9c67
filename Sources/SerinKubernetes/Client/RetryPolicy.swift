/// Which failed calls the client repeats, and how often.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; 1 never retries.
    public var maxAttempts: Int
    public var backoff: Backoff
    /// The longest Retry-After honoured; a longer one fails the call instead.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 5, backoff: Backoff = Backoff(), maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.maxRetryAfter = maxRetryAfter
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    enum Decision: Equatable {
        case fail
        case retry(after: Duration)
    }

    /// What to do after attempt `attempt` (from 0) failed with `error`.
    /// 429 means the apiserver did not act, so any call may be repeated;
    /// 5xx and lost connections may have acted, so only idempotent calls
    /// (GET, LIST, DELETE, apply) are repeated.
    func decide(after error: KubeError, attempt: Int, idempotent: Bool,
                using generator: inout some RandomNumberGenerator) -> Decision {
        guard attempt + 1 < maxAttempts else { return .fail }
        if error.isTooManyRequests {
            if let seconds = error.retryAfterSeconds {
                let wait = Duration.seconds(max(seconds, 0))
                return wait <= maxRetryAfter ? .retry(after: wait) : .fail
            }
            return .retry(after: backoff.delay(attempt: attempt, using: &generator))
        }
        guard idempotent else { return .fail }
        // 501 Not Implemented and 505 will not change by asking again.
        if error.isTransport || (error.isServerError && error.status != 501 && error.status != 505) {
            return .retry(after: backoff.delay(attempt: attempt, using: &generator))
        }
        return .fail
    }
}
