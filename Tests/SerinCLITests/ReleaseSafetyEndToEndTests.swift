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
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(60))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        try await Task.sleep(for: .seconds(2))
        return (sandbox, traffic, load, first.sequence)
    }

    @Test(.timeLimit(.minutes(4)))
    func aGoodReleaseRightAfterARolledBackOneIsPromoted() async throws {
        let (sandbox, traffic, load, start) = try await servingSandbox()
        defer {
            load.cancel()
            sandbox.tearDown()
        }
        try sandbox.commit("ERROR_RATE", to: "0.3", message: "A bad release: 30% of answers are 500", author: "Eve Mallory")
        let bad = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: start, timeout: .seconds(90))
        #expect(bad.decision == "Failed", "\(bad.reason)")
        // At once, no pause: the bad canary's answers are still in every window.
        try sandbox.edit("deploy/workload.yaml", "value: \"0.3\"", "value: \"0\"")
        try sandbox.edit("deploy/workload.yaml", "value: \"hello\"", "value: \"hello again\"")
        try sandbox.commitAll("The fix, and a new greeting", author: "Ada Lovelace")
        let good = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: bad.sequence, timeout: .seconds(90))
        #expect(good.decision == "Succeeded", "the good release was judged on the bad one's answers: \(good.reason)")
        #expect(traffic.failures == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func anAllErrorsCanaryIsRolledBackWithinThresholdIntervalsAndAScrape() async throws {
        let (sandbox, _, load, start) = try await servingSandbox()
        defer {
            load.cancel()
            sandbox.tearDown()
        }
        try sandbox.commit("ERROR_RATE", to: "1", message: "Every answer is a 500", author: "Eve Mallory")
        // From the moment traffic reaches the canary (its first step) ...
        let progressing = try await sandbox.waitForDecision(["Progressing"], after: start, timeout: .seconds(60))
        var firstStep: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .seconds(60)
        while firstStep == nil && ContinuousClock.now < deadline {
            if (sandbox.rollout()?.routes.canaryWeight ?? 0) > 0 { firstStep = .now }
            try await Task.sleep(for: .milliseconds(50))
        }
        let stepped = try #require(firstStep, "the canary never received traffic")
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: progressing.sequence, timeout: .seconds(60))
        let took = ContinuousClock.now - stepped
        #expect(end.decision == "Failed")
        // Not "no data" held until the progress deadline: failed checks.
        #expect(end.reason.contains("every answer was an error"), "\(end.reason)")
        // threshold (3) × interval (2 s), plus a scrape (1 s), plus the first
        // check's full interval and the machine's slack.
        #expect(took < .seconds(3 * 2 + 1 + 2 + 3), "\(took)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aCanaryFailingWhileAGateIsClosedIsRolledBack() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "2s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        // A manual gate right after the first step: nobody promotes.
        try sandbox.edit("deploy/canary.yaml", "    stepWeight: 20\n    maxWeight: 60\n",
                         "    steps:\n      - setWeight: 20\n      - gate: { name: qa }\n      - setWeight: 60\n      - analyze: 1\n")
        try sandbox.commitAll("Hold releases at a QA gate", author: "Ada Lovelace")
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(60))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try sandbox.commit("ERROR_RATE", to: "0.5", message: "Half the answers are 500", author: "Eve Mallory")
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(90))
        #expect(end.decision == "Failed", "\(end.reason)")
        #expect(sandbox.events().contains { $0.sequence > first.sequence && $0.decision == "WaitingPromotion" },
                "the release should have reached the gate")
        #expect(sandbox.rollout()?.routes.canaryWeight == 0)
    }
}
