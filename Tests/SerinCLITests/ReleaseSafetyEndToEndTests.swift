import Foundation
import SerinTesting
import Testing

/// Verdicts that depend on their own release only, through the real stack:
/// `serin run`, the router, a real Prometheus, the app's processes, steady
/// traffic.
extension EndToEndTests {
    /// A sandbox with steady traffic and the first revision serving.
    func servingSandbox(interval: String = "2s") async throws -> (QuickstartSandbox, SteadyTraffic, Task<Void, Never>, Int) {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: interval, requestDurationMax: 2000)
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        try await traffic.flowing()
        return (sandbox, traffic, load, first.sequence)
    }

    @Test(.timeLimit(.minutes(10)))
    func aGoodReleaseRightAfterARolledBackOneIsPromoted() async throws {
        let (sandbox, traffic, load, start) = try await servingSandbox()
        defer {
            load.cancel()
            sandbox.tearDown()
        }
        try sandbox.commit("ERROR_RATE", to: "0.3", message: "A bad release: 30% of answers are 500", author: "Eve Mallory")
        let bad = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: start, timeout: .seconds(180))
        #expect(bad.decision == "Failed", "\(bad.reason)")
        // At once, no pause: the bad canary's answers are still in every window.
        try sandbox.edit("deploy/workload.yaml", "value: \"0.3\"", "value: \"0\"")
        try sandbox.edit("deploy/workload.yaml", "value: \"hello\"", "value: \"hello again\"")
        try sandbox.commitAll("The fix, and a new greeting", author: "Ada Lovelace")
        let good = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: bad.sequence, timeout: .seconds(180))
        #expect(good.decision == "Succeeded", "the good release was judged on the bad one's answers: \(good.reason)")
        #expect(traffic.failures == 0)
    }

    @Test(.timeLimit(.minutes(10)))
    func anAllErrorsCanaryIsRolledBackWithinThresholdIntervalsAndAScrape() async throws {
        let (sandbox, _, load, start) = try await servingSandbox()
        defer {
            load.cancel()
            sandbox.tearDown()
        }
        try sandbox.commit("ERROR_RATE", to: "1", message: "Every answer is a 500", author: "Eve Mallory")
        // From the moment traffic reaches the canary (its first step) ...
        let progressing = try await sandbox.waitForDecision(["Progressing"], after: start, timeout: .seconds(120))
        try await eventually("the canary receives traffic") { (sandbox.rollout()?.routes.canaryWeight ?? 0) > 0 }
        let stepped = ContinuousClock.now
        let runsBefore = try analysisRuns(sandbox)
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: progressing.sequence, timeout: .seconds(240))
        let took = ContinuousClock.now - stepped
        let runs = try analysisRuns(sandbox) - runsBefore
        #expect(end.decision == "Failed")
        // Not "no data" held until the progress deadline: failed checks.
        #expect(end.reason.contains("every answer was an error"), "\(end.reason)")
        // Counted in the rollout's own analysis runs (one per 2 s interval),
        // not in seconds, which a busy machine stretches: threshold (3), plus
        // one for a scrape (1 s) and one for the first check's full interval,
        // plus one of slack (12 s on a quiet machine, as before).
        #expect(runs <= 3 + 1 + 1 + 1, "\(runs) analysis runs from the first step to the rollback, in \(took)")
        print("all-errors canary: rolled back after \(runs) analysis runs, \(took) after its first step")
    }

    /// The rollout's analysis runs so far (`serin_canary_duration_seconds`, one per run).
    func analysisRuns(_ sandbox: QuickstartSandbox) throws -> Int {
        let metrics = try Loopback.request(port: sandbox.apiPort, path: "/metrics").body.split(separator: "\n")
        let line = metrics.first { $0.hasPrefix(#"serin_canary_duration_seconds_count{name="web""#) }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
    }

    @Test(.timeLimit(.minutes(10)))
    func aCanaryFailingWhileAGateIsClosedIsRolledBack() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "2s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        // A manual gate right after the first step: nobody promotes.
        try sandbox.edit("deploy/canary.yaml", "    stepWeight: 20\n    maxWeight: 60\n",
                         "    steps:\n      - setWeight: 20\n      - gate: { name: qa }\n      - setWeight: 60\n      - analyze: 1\n")
        try sandbox.commitAll("Hold releases at a QA gate", author: "Ada Lovelace")
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try sandbox.commit("ERROR_RATE", to: "0.5", message: "Half the answers are 500", author: "Eve Mallory")
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(180))
        #expect(end.decision == "Failed", "\(end.reason)")
        #expect(sandbox.events().contains { $0.sequence > first.sequence && $0.decision == "WaitingPromotion" },
                "the release should have reached the gate")
        #expect(sandbox.rollout()?.routes.canaryWeight == 0)
    }
}
