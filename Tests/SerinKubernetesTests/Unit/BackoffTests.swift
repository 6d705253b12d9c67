import Testing

@testable import SerinKubernetes

/// A generator that always returns the same number, so delays are exact.
struct FixedRandomNumberGenerator: RandomNumberGenerator {
    var value: UInt64
    mutating func next() -> UInt64 { value }
}

@Suite struct BackoffTests {
    @Test func ceilingDoublesThenCaps() {
        let backoff = Backoff(base: .milliseconds(200), cap: .seconds(5))
        #expect((0..<7).map { backoff.ceiling(attempt: $0) } == [
            .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200), .seconds(5), .seconds(5),
        ])
        #expect(backoff.ceiling(attempt: 1000) == .seconds(5))
        #expect(backoff.ceiling(attempt: -3) == .milliseconds(200))
    }

    @Test func jitterStaysBetweenHalfAndAll() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(10))
        var low = FixedRandomNumberGenerator(value: 0)
        // Not .max: that rounds to 1.0, the excluded bound, and the standard library draws again forever.
        var high = FixedRandomNumberGenerator(value: .max - (1 << 20))
        for attempt in 0..<10 {
            let ceiling = backoff.ceiling(attempt: attempt)
            let bottom = backoff.delay(attempt: attempt, using: &low)
            #expect(bottom == ceiling / 2)
            let top = backoff.delay(attempt: attempt, using: &high)
            #expect(top <= ceiling && top > ceiling * 0.99)
            for _ in 0..<50 {
                let delay = backoff.delay(attempt: attempt)
                #expect(delay >= ceiling / 2 && delay <= ceiling)
            }
        }
    }

    static func apiserver(_ status: Int, retryAfter: Int? = nil) -> KubeError {
        KubeError.apiserver(status: status, body: nil, rawBody: "", request: "GET /x", retryAfterSeconds: retryAfter)
    }

    @Test func retryDecisions() {
        let policy = RetryPolicy(maxAttempts: 3, backoff: Backoff(base: .seconds(1), cap: .seconds(8)), maxRetryAfter: .seconds(30))
        var random = FixedRandomNumberGenerator(value: 0)
        // 429 honours Retry-After, for writes too: the apiserver did nothing.
        #expect(policy.decide(after: Self.apiserver(429, retryAfter: 7), attempt: 0, idempotent: false, using: &random) == .retry(after: .seconds(7)))
        #expect(policy.decide(after: Self.apiserver(429, retryAfter: 300), attempt: 0, idempotent: true, using: &random) == .fail)
        #expect(policy.decide(after: Self.apiserver(429), attempt: 1, idempotent: true, using: &random) == .retry(after: .seconds(1)))
        // 5xx and lost connections: only idempotent calls.
        #expect(policy.decide(after: Self.apiserver(503), attempt: 0, idempotent: true, using: &random) == .retry(after: .milliseconds(500)))
        #expect(policy.decide(after: Self.apiserver(503), attempt: 0, idempotent: false, using: &random) == .fail)
        #expect(policy.decide(after: .transport("connection refused", request: nil), attempt: 1, idempotent: true, using: &random)
            == .retry(after: .seconds(1)))
        #expect(policy.decide(after: .transport("connection refused", request: nil), attempt: 0, idempotent: false, using: &random) == .fail)
        // Client errors are final; so is the last attempt.
        for status in [400, 403, 404, 409, 410, 422] {
            #expect(policy.decide(after: Self.apiserver(status), attempt: 0, idempotent: true, using: &random) == .fail)
        }
        #expect(policy.decide(after: Self.apiserver(503), attempt: 2, idempotent: true, using: &random) == .fail)
        #expect(RetryPolicy.none.decide(after: Self.apiserver(429, retryAfter: 1), attempt: 0, idempotent: true, using: &random) == .fail)
    }

    @Test func errorKinds() {
        let conflict = KubeError.apiserver(status: 409, body: KubeStatus(message: "the object has been modified", reason: "Conflict", code: 409),
                                           rawBody: "", request: "PUT /x")
        #expect(conflict.isConflict && !conflict.isAlreadyExists)
        #expect(conflict.description == "PUT /x: 409 Conflict: the object has been modified")
        let exists = KubeError.apiserver(status: 409, body: KubeStatus(reason: "AlreadyExists"), rawBody: "", request: "POST /x")
        #expect(exists.isAlreadyExists && !exists.isConflict)
        #expect(KubeError.watchStatus(KubeStatus(message: "too old", reason: "Expired", code: 410), request: "watch").isGone)
        #expect(Self.apiserver(404).isNotFound)
        #expect(Self.apiserver(422).isInvalid)
        #expect(Self.apiserver(500).message == "HTTP 500")
    }
}
