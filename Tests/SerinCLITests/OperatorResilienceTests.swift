import Foundation
import SerinRouter
import SerinTesting
import Testing

/// The operator as users run it (`serin run`, a real Prometheus, real
/// processes behind the real router), under steady traffic, through
/// crashes, slow releases and Prometheus outages.
extension EndToEndTests {
    var serin: String { Products.executable("serin") }
    var example: String { Products.repositoryRoot + "/examples/quickstart" }

    /// The revision the rollout detected after `sequence`.
    func detected(_ sandbox: QuickstartSandbox, after sequence: Int) -> String? {
        sandbox.events().first { $0.sequence > sequence && $0.decision == "detected" }?.revision
    }

    @Test(.timeLimit(.minutes(10)))
    func killedTwentyTimesMidReleaseTheRolloutEndsAsIfNothingHappened() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }

        // A crash with nothing in flight: the new operator adopts everything.
        let before = sandbox.workloadPIDs()
        #expect(before.count == 2)
        sandbox.killOperator()
        try await eventually("the killed operator's API port is free") { !Loopback.isListening(sandbox.apiPort) }
        try sandbox.startOperator()
        let restart = try await sandbox.waitForDecision(["started"], after: first.sequence, timeout: .seconds(60), operatorEvents: true)
        #expect(restart.reason.contains("router adopted"), "\(restart.reason)")
        #expect(restart.reason.contains("restarted 0"), "\(restart.reason)")
        #expect(sandbox.workloadPIDs() == before)

        // A release, with the operator killed at 20 seeded points along it.
        let mark = sandbox.events().last?.sequence ?? 0
        try sandbox.commit("MESSAGE", to: "release under fire", message: "A good release", author: "Ada Lovelace")
        var random = SeededRandom(seed: 20)
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(300 + Int(random.next() % 900)))
            sandbox.killOperator()
            try sandbox.startOperator()
        }
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: mark, timeout: .seconds(240))
        #expect(end.decision == "Succeeded", "\(end.reason)")
        let released = try #require(detected(sandbox, after: mark))
        #expect(sandbox.rollout()?.primaryRevision == released)
        #expect(sandbox.rollout()?.canaryRevision == nil)
        try? await eventually("the released revision answers") { traffic.snapshot().keys.contains("200 revision \(released)") }
        let counts = traffic.snapshot()
        #expect(traffic.failures == 0, "\(counts)")
        #expect(counts.keys.contains("200 revision \(released)"), "\(counts)")
        let sequences = sandbox.events().map(\.sequence)
        #expect(sequences == Array(1...sequences.count), "the event log has a gap")
        // Twenty operators pushing tables and reading them back: none took its own pushes for drift.
        #expect(!sandbox.events().contains { $0.reason.hasPrefix("drift") })
        await sandbox.shutDown()
    }

    @Test(.timeLimit(.minutes(10)))
    func aSlowReleaseIsRolledBackByRequestDuration() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "2s")
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try await traffic.flowing()
        try sandbox.commit("LATENCY_MS", to: "300", message: "A slow release", author: "Eve Mallory")
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(240))
        #expect(end.decision == "Failed")
        #expect(end.reason.contains("request-duration"), "\(end.reason)")
        #expect(sandbox.rollout()?.routes.canaryWeight == 0)
        let counts = traffic.snapshot()
        #expect(traffic.failures == 0, "\(counts)")

        // The operator's metrics (docs/operations.md's names, Flagger's meanings) tell the same story.
        let metrics = try Loopback.request(port: sandbox.apiPort, path: "/metrics").body.split(separator: "\n")
        func sample(_ prefix: String) -> Double? {
            metrics.first { $0.hasPrefix(prefix) }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        }
        #expect(sample(#"serin_canary_status{name="web""#) == 2, "failed")
        #expect(sample(#"serin_canary_weight{name="web""#) == 0)
        #expect(sample("serin_canary_total") == 1)
        #expect((sample(#"serin_canary_duration_seconds_count{name="web""#) ?? 0) >= 2, "one per analysis run")
        #expect(sample(#"serin_canary_metric_analysis{name="web",namespace="default",metric="request-duration""#) != nil)
        #expect((sample(#"serin_git_sync_duration_seconds_count{source="quickstart"}"#) ?? 0) >= 1)
        #expect(sample(#"serin_info{version="#) == 1)

        // Every query of the Grafana dashboard in examples/ is valid PromQL
        // and finds series in what the managed Prometheus scraped (each
        // asked until it does: a busy Prometheus scrapes late).
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Products.repositoryRoot + "/examples/grafana-dashboard.json"))) as? [String: Any]
        let panels = dashboard?["panels"] as? [[String: Any]] ?? []
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(queries.count >= 10)
        let prometheusPort = try #require(URL(string: sandbox.prometheusAddress)?.port)
        for query in queries where !query.contains("mirrored") {  // the quickstart does not mirror
            let expression = query.replacingOccurrences(of: "$workload", with: ".+")
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "query", value: expression)]
            let path = "/api/v1/query?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            try? await eventually("series for \(query)") {
                let answer = try Loopback.request(port: prometheusPort, path: path)
                return answer.status != 200 || answer.body.contains(#""result":[{"#)
            }
            let answer = try Loopback.request(port: prometheusPort, path: path)
            #expect(answer.status == 200, "\(query): \(answer.body)")
            #expect(answer.body.contains(#""result":[{"#), "no series for \(query): \(answer.body)")
        }
        await sandbox.shutDown()
    }

    @Test(.timeLimit(.minutes(12)), arguments: [false, true])
    func aPrometheusOutageNeverPromotes(long: Bool) async throws {
        let adminPort = try Loopback.freePort()
        let prometheus = try PrometheusServer(scraping: ["127.0.0.1:\(adminPort)"])
        defer { prometheus.stop() }
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "2s", prometheus: prometheus.address,
                                            routerAdminPort: adminPort, requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try sandbox.commit("MESSAGE", to: "good but unobserved", message: "A good release", author: "Ada Lovelace")
        // Into the analysis, then Prometheus goes away: for about one check
        // (under the error limit of 3), or for good (until the rollback,
        // which a busy machine may take long to reach).
        try await eventually("the canary takes traffic", timeout: .seconds(120)) { (sandbox.rollout()?.routes.canaryWeight ?? 0) > 0 }
        prometheus.pause()
        let outage = ContinuousClock.now + .seconds(long ? 180 : 3)
        var decided: String?
        while ContinuousClock.now < outage && decided == nil {
            let phase = sandbox.rollout()?.phase ?? ""
            #expect(!["Promoting", "Finalising", "Succeeded"].contains(phase), "promoted while Prometheus was down")
            decided = sandbox.events().first { $0.sequence > first.sequence && $0.decision == "Failed" }?.decision
            try await Task.sleep(for: .milliseconds(100))
        }
        if long {
            #expect(decided == "Failed", "a long outage must end in a rollback")
            #expect(sandbox.rollout()?.message.contains("error") == true, "\(sandbox.rollout()?.message ?? "")")
            try prometheus.resume()
        } else {
            try prometheus.resume()
            let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(180))
            #expect(end.decision == "Succeeded", "\(end.reason)")
        }
        let counts = traffic.snapshot()
        #expect(traffic.failures == 0, "\(counts)")
        await sandbox.shutDown()
    }
}

/// A workload without a Canary, and one removed from Git while the operator was down.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func withoutACanaryARevisionReplacesTheOldSafelyAndRemovalPrunes() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "2s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        try sandbox.git(["rm", "-q", "deploy/canary.yaml"])
        try sandbox.commitAll("No Canary: releases replace the workload at once", author: "Ada Lovelace")
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["deployed"], timeout: .seconds(120), operatorEvents: true)
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try await traffic.flowing()
        try sandbox.commit("MESSAGE", to: "replaced", message: "A new revision, no Canary", author: "Ada Lovelace")
        let second = try await sandbox.waitForDecision(["deployed"], after: first.sequence, timeout: .seconds(120), operatorEvents: true)
        #expect(second.revision != first.revision)
        try? await eventually("the new revision answers") { traffic.snapshot().keys.contains("200 revision \(second.revision ?? "")") }
        let counts = traffic.snapshot()
        #expect(traffic.failures == 0, "\(counts)")
        #expect(counts.keys.contains("200 revision \(second.revision ?? "")"), "\(counts)")
        // Only the new revision's processes are left.
        let old = sandbox.workloadPIDs()
        #expect(old.count == 2, "\(old)")

        // The routing table replaced by hand on the router's control socket
        // is drift: reported as an event and undone.
        #expect(!sandbox.events().contains { $0.reason.hasPrefix("drift") }, "no drift before anyone touched the router")
        let control = RouterControlClient(socketPath: sandbox.stateDirectory + "/router/router.sock")
        let served = try await control.table()
        let mark = sandbox.events().last?.sequence ?? 0
        try await control.apply(RouteTable(version: served.version + 10, routes: []))
        try? await eventually("the drift is reported") { sandbox.events().contains { $0.sequence > mark && $0.reason.hasPrefix("drift") } }
        #expect(sandbox.events().contains { $0.sequence > mark && $0.reason.hasPrefix("drift") }, "the hand-made table was not reported")
        // Reported first, then undone: the operator pushes its table after the event.
        try? await eventually("the operator's table is back") { try await control.table().version > served.version + 10 }
        let restored = try await control.table()
        #expect(restored.routes == served.routes)
        #expect(restored.version > served.version + 10)
        #expect(try Loopback.request(port: sandbox.servicePort, path: "/").status == 200)

        // Removed from Git while the operator is down (killed, the worst
        // case): the next operator still knows the source declared it.
        load.cancel()
        sandbox.killOperator()
        try sandbox.git(["rm", "-q", "deploy/workload.yaml"])
        try sandbox.commitAll("Remove the workload", author: "Ada Lovelace")
        try sandbox.startOperator()
        _ = try await sandbox.waitForDecision(["pruned"], after: second.sequence, timeout: .seconds(120), operatorEvents: true)
        #expect(sandbox.workloadPIDs().isEmpty)
        #expect(!Loopback.isListening(sandbox.servicePort), "the pruned workload's listener is closed")
        await sandbox.shutDown()
    }
}

/// Readiness reaches the rollout when it changes, not at the next tick or poll.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func readinessWakesTheRolloutAtOnce() async throws {
        // Ticks every 5 minutes and no polling of its own: only the
        // platform's word can move the rollout within the bounds below.
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "5m", requestDurationMax: 2000, pollInterval: "1h")
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        let initialized = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(150))
        // Well within the 5-minute tick, however busy the machine.
        #expect(ContinuousClock.now - sandbox.started < .seconds(120))
        let committed = ContinuousClock.now
        try sandbox.commit("MESSAGE", to: "ready", message: "A canary to wait for", author: "Ada Lovelace")
        // Progressing starts with the canary's processes; its first step
        // (traffic on the canary) waits for them to be ready.
        let progressing = try await sandbox.waitForDecision(["Progressing"], after: initialized.sequence, timeout: .seconds(240))
        #expect(progressing.revision != initialized.revision)
        try? await eventually("the first step", timeout: .seconds(150), every: .milliseconds(100)) { (sandbox.rollout()?.step ?? 0) >= 1 }
        #expect(ContinuousClock.now - committed < .seconds(120), "canary ready noticed only after \(ContinuousClock.now - committed)")
        #expect((sandbox.rollout()?.routes.canaryWeight ?? 0) > 0)
        await sandbox.shutDown()
    }
}
