import Foundation
import SerinEngine
import SerinServer
import SerinServerTesting
import SerinTesting
import Testing

/// The dashboard in a real browser: headless Chromium driven by Selenium
/// (Browser/dashboard_browser.py) against the API server over a
/// `FakeOperator`, which this test moves when the script asks (a weight
/// step) and which rolls back on an accepted abort, as the operator would.
/// `make test` installs chromium, chromium-driver and Selenium; nothing is skipped.
@Suite struct DashboardBrowserTests {
    static let token = "s3cret-token"
    static let hostile = #"<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">"#
    static let script = BrowserScript.directory + "/dashboard_browser.py"

    @Test(.timeLimit(.minutes(10)))
    func theDashboardFollowsAReleaseAndAbortsIt() async throws {
        try BrowserScript.checkInstalled()
        let fake = Self.releaseInProgress()
        fake.onCommand { command, name in
            guard command == .abort else { return }
            let now = Date().timeIntervalSince1970
            fake.update(name) {
                $0.phase = .failed
                $0.canaryWeight = 0
                $0.message = "rolled back: aborted by dashboard"
            }
            fake.publish(EventLog.Entry(time: now, rollout: "default/web", revision: "a1b2c3d4e5f6a7b8c9d0e1f2", author: "Ada Lovelace",
                                        commit: "8e1f2a3b4c5d", decision: "Failed", reason: "aborted by dashboard"))
        }
        let screenshots = ProcessInfo.processInfo.environment["SERIN_DASHBOARD_SCREENSHOTS"] ?? ""
        let started = ContinuousClock.now
        let output = try await withAPIServer(fake, token: Self.token) { port in
            try await BrowserScript.run([Self.script, "--url", "http://127.0.0.1:\(port)",
                                                                         "--token", Self.token, "--screenshots", screenshots]) { request in
                let words = request.split(separator: " ")
                guard words.first == "weight", words.count == 2, let weight = Int(words[1]) else {
                    Issue.record("unknown request from the browser script: \(request)")
                    return
                }
                Self.step(fake, to: weight)
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(output.status == 0, "the browser script failed:\n\(output.lines.joined(separator: "\n"))")
        let report = output.lines.last { $0.hasPrefix("@serin report ") }
        #expect(report != nil, "no report:\n\(output.lines.joined(separator: "\n"))")
        print("dashboard in Chromium: \(elapsed); \(report?.dropFirst("@serin report ".count) ?? "")")
        // The refused abort reached no rollout; the accepted one came with who asked.
        #expect(fake.commands.map(\.command) == [.abort])
        #expect(fake.commands.first?.caller == "dashboard")
    }

    @Test(.timeLimit(.minutes(6)))
    func withDashboardAuthTokenThePageReadsOnlyWithTheToken() async throws {
        try BrowserScript.checkInstalled()
        let output = try await withAPIServer(FakeOperator(), token: Self.token, dashboardAuth: .token) { port in
            try await BrowserScript.run([BrowserScript.directory + "/dashboard_auth.py", "--url", "http://127.0.0.1:\(port)", "--token", Self.token]) {
                Issue.record("unexpected request from the browser script: \($0)")
            }
        }
        #expect(output.status == 0, "the browser script failed:\n\(output.lines.joined(separator: "\n"))")
    }

    /// A source delivered to three clusters in two waves, its revision
    /// waiting in wave 2 for `serin promote`: the overview's wave bar and the
    /// source's page show each wave's state and clusters, and the page's
    /// button promotes it (with the token), after which every wave shows
    /// it released.
    @Test(.timeLimit(.minutes(6)))
    func aStagedSourceShowsItsWavesAndIsPromotedFromThePage() async throws {
        try BrowserScript.checkInstalled()
        let old = "main@sha1:" + String(repeating: "1", count: 40), new = "main@sha1:" + String(repeating: "2", count: 40)
        var staged = SampleResources.deploy
        staged.name = "apps"
        staged.revision = new
        staged.waves = WaveStatus(waves: [["staging"], ["eu", "us"]], revision: new, wave: 2,
                                  hold: "waiting for serin promote apps (pause: true)", revisions: ["staging": new, "eu": old, "us": old])
        staged.targets = ["staging": TargetReport(revision: new, applied: true, failure: nil),
                          "eu": TargetReport(revision: old, applied: true, failure: nil),
                          "us": TargetReport(revision: old, applied: true, failure: nil)]
        let fake = FakeOperator(sourceReports: [staged, SampleResources.platform])
        fake.onPromoteWave { source, _ in
            guard source == "apps" else { return .unknownSource }
            fake.updateSource("apps") { report in
                report.waves?.wave = 3
                report.waves?.hold = nil
                report.waves?.revisions = ["staging": new, "eu": new, "us": new]
                for cluster in ["eu", "us"] { report.targets?[cluster] = TargetReport(revision: new, applied: true, failure: nil) }
            }
            return .accepted("apps: wave 2 (eu, us) released")
        }
        let output = try await withAPIServer(fake, token: Self.token) { port in
            try await BrowserScript.run([BrowserScript.directory + "/dashboard_waves.py", "--url", "http://127.0.0.1:\(port)", "--token", Self.token]) {
                Issue.record("unexpected request from the browser script: \($0)")
            }
        }
        #expect(output.status == 0, "the browser script failed:\n\(output.lines.joined(separator: "\n"))")
        // Refused without the token (no promotion reached the operator), then one with it, from the dashboard.
        #expect(fake.wavePromotions.map(\.source) == ["apps"])
        #expect(fake.wavePromotions.first?.caller == "dashboard")
    }

    /// A canary at 40% with a failed check behind it, a hostile commit
    /// message and metric name, on the sample sources and workloads.
    static func releaseInProgress() -> FakeOperator {
        let now = Date().timeIntervalSince1970
        var web = SampleRollouts.web
        web.threshold = 3
        web.failedChecks = 1
        web.message = "analysing at 40% (0/1)"
        web.evaluations = []
        for tick in 0..<6 {
            let time = now - Double(60 - tick * 10)
            let rate = tick == 2 ? 97.5 : 99.2 + Double(tick) * 0.1
            web.evaluations.append(MetricEvaluation(metric: "request-success-rate", query: "srate", value: rate, min: 99, max: nil,
                                                    verdict: rate >= 99 ? .pass : .fail, message: rate >= 99 ? "\(rate) >= 99" : "\(rate) < 99",
                                                    time: time))
            web.evaluations.append(MetricEvaluation(metric: "request-duration", query: "p99", value: 150 + Double(tick * 20), min: nil, max: 500,
                                                    verdict: .pass, message: "ok", time: time))
        }
        web.evaluations.append(MetricEvaluation(metric: #"<img src=x onerror="window.__pwned = 3">"#, query: "q", value: 1, min: 0, max: 2,
                                                verdict: .pass, message: "1 in 0…2", time: now - 10))
        web.events = [
            entry(1, now - 70, "detected", "new revision in Git"),
            entry(2, now - 65, "Progressing", "analysing at 20% (0/1)"),
            entry(3, now - 40, "Progressing", "check failed (1/3): request-success-rate 97.5 < 99"),
            entry(4, now - 30, "Progressing", "analysing at 40% (0/1)"),
        ]
        var hostile = SampleResources.deploy
        hostile.name = "hostile"
        hostile.commit?.subject = Self.hostile
        return FakeOperator(rollouts: [web, SampleRollouts.api, SampleRollouts.checkout, SampleRollouts.search],
                            events: web.events, sourceReports: [SampleResources.deploy, SampleResources.platform, hostile])
    }

    static func entry(_ sequence: Int, _ time: Double, _ decision: String, _ reason: String) -> EventLog.Entry {
        EventLog.Entry(sequence: sequence, time: time, rollout: "default/web", revision: "a1b2c3d4e5f6a7b8c9d0e1f2", author: "Ada Lovelace",
                       commit: "8e1f2a3b4c5d", decision: decision, reason: reason)
    }

    /// What the operator does at a weight step: route, check, tell the log.
    static func step(_ fake: FakeOperator, to weight: Int) {
        let now = Date().timeIntervalSince1970
        fake.update("web") {
            $0.canaryWeight = weight
            $0.step = weight == 60 ? 5 : 6
            $0.message = "analysing at \(weight)% (0/1)"
            $0.evaluations.append(MetricEvaluation(metric: "request-success-rate", query: "srate", value: 99.6, min: 99, max: nil,
                                                   verdict: .pass, message: "99.6 >= 99", time: now))
        }
        fake.publish(EventLog.Entry(time: now, rollout: "default/web", revision: "a1b2c3d4e5f6a7b8c9d0e1f2", author: "Ada Lovelace",
                                    commit: "8e1f2a3b4c5d", decision: "Progressing", reason: "analysing at \(weight)% (0/1)"))
    }
}
