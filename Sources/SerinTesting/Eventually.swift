/// How long a test waits for something that takes a moment on a quiet
/// machine: sized for a 2-core machine busy with builds and other tests
/// (an apiserver answering in seconds, a process taking seconds to start),
/// where a quiet machine's 10 s was seen to run out.
public let loadedMachineTimeout: Duration = .seconds(60)

/// The condition `eventually` waited for did not hold in time.
public struct TimedOut: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Polls `condition` every `period` until it holds, and throws `TimedOut`
/// naming `what` when `timeout` passed first. The one way tests wait: on a
/// condition, never for a fixed time.
public func eventually(_ what: @autoclosure () -> String, timeout: Duration = loadedMachineTimeout, every period: Duration = .milliseconds(50),
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: period)
    }
    // Once more after the deadline: a condition that took long to evaluate
    // on a busy machine gets its last look.
    if try await condition() { return }
    throw TimedOut("timed out after \(timeout) waiting for: \(what())")
}

extension SteadyTraffic {
    /// Until `answers` requests were answered 200: the traffic reaches the
    /// workload, and a release started now is judged on it.
    public func flowing(answers: Int = 25) async throws {
        try await eventually("\(answers) answers of 200 to \(url)") { (tally().byCode["200"] ?? 0) >= answers }
    }
}
