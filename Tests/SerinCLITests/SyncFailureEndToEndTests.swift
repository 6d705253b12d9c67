import Foundation
import SerinEngine
import SerinServerTesting
import SerinTesting
import Testing

/// A commit Serin cannot use is seen where users look — `serin status`,
/// `/api/v1/sources` with file:line:column, the event stream — within a
/// sync interval, stays there until a commit fixes it, and changes nothing
/// that runs.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func aRefusedCommitShowsEverywhereUntilAFixAndTheLastGoodRevisionKeepsRunning() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        // The quickstart's AlertProvider, pointed at a recorder: sync failures reach it too.
        let alerts = try RecordingHTTPServer()
        defer { alerts.stop() }
        try sandbox.edit("deploy/alert-provider.yaml", "http://127.0.0.1:\(sandbox.servicePort)/alerts", alerts.address + "/alerts")
        try sandbox.commitAll("Alerts to the recorder", author: "Ada Lovelace")
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let primary = sandbox.rollout()?.primaryRevision
        let pids = sandbox.workloadPIDs()
        let events = try await EventStreamClient(port: sandbox.apiPort, headers: ["Last-Event-ID": "\(first.sequence)"])
        defer { events.close() }

        // A YAML syntax error in a new file.
        try "apiVersion: serin.dev/v1alpha1\nkind: Workload\nmetadata: { name: broken\n".write(
            toFile: sandbox.repository + "/deploy/broken.yaml", atomically: true, encoding: .utf8)
        try sandbox.git(["add", "deploy/broken.yaml"])
        let syntax = try sandbox.commitAll("A file cut short", author: "Ada Lovelace")
        let broken = try await refusal(of: syntax, in: sandbox, events: events)
        #expect(broken.contains("deploy/broken.yaml:"), "\(broken)")

        // A fix clears it.
        try sandbox.git(["rm", "-q", "deploy/broken.yaml"])
        let fixed = try sandbox.commitAll("Remove the broken file", author: "Ada Lovelace")
        try await recovery(at: fixed, in: sandbox, events: events)

        // A value out of range.
        try sandbox.edit("deploy/canary.yaml", "stepWeight: 20", "stepWeight: 150")
        let range = try sandbox.commitAll("Bigger steps", author: "Ada Lovelace")
        let outOfRange = try await refusal(of: range, in: sandbox, events: events)
        #expect(outOfRange.contains("deploy/canary.yaml:17:17:"), "\(outOfRange)")
        #expect(outOfRange.contains("150"), "\(outOfRange)")
        let status = try await offPool { [serin] in
            try CommandRun.run(serin, ["status", "--api", "http://127.0.0.1:\(sandbox.apiPort)"], timeout: .seconds(30))
        }
        #expect(status.status == 0, "\(status.stderr)")
        let sourceLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("quickstart ") }.map(String.init) ?? ""
        #expect(sourceLine.contains("False") && sourceLine.contains("deploy/canary.yaml:17:17:"), "\(status.stdout)")

        try sandbox.edit("deploy/canary.yaml", "stepWeight: 150", "stepWeight: 20")
        try await recovery(at: try sandbox.commitAll("Back to 20", author: "Ada Lovelace"), in: sandbox, events: events)

        // Each failure and each recovery, once, to the source's AlertProvider (beside the rollout's own alert of its first revision).
        try? await eventually("5 alerts", every: .milliseconds(100)) { alerts.requests().count >= 5 }
        let sent = alerts.requests().compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: String] }
            .filter { $0["source"] != nil }
        #expect(sent.map { $0["event"] ?? "?" } == ["SyncFailed", "SyncRecovered", "SyncFailed", "SyncRecovered"], "\(alerts.requests())")
        #expect(sent.first?["message"]?.contains("deploy/broken.yaml:") == true)

        // Throughout, what ran before runs still: no release, no restart.
        #expect(sandbox.rollout()?.primaryRevision == primary)
        #expect(sandbox.workloadPIDs() == pids)
        #expect(!sandbox.events().contains { $0.sequence > first.sequence && $0.rollout != "-" }, "\(sandbox.events().suffix(6))")
        #expect(try Loopback.request(port: sandbox.servicePort, path: "/").status == 200)
        await sandbox.shutDown()
    }

    private struct SourceReport: Decodable {
        struct Condition: Decodable {
            var type: String
            var status: String
            var reason: String
            var message: String
            var observedRevision: String?
        }

        var revision: String?
        var lastAttemptedRevision: String?
        var conditions: [Condition]
        var errors: [String]
    }

    private func source(_ sandbox: QuickstartSandbox) throws -> SourceReport {
        let answer = try Loopback.request(port: sandbox.apiPort, path: "/api/v1/sources/quickstart")
        return try JSONDecoder().decode(SourceReport.self, from: Data(answer.body.utf8))
    }

    /// Within one sync interval (1 s) and a poll, with slack for a loaded
    /// machine: `Ready=False` naming the commit, an event on the stream.
    /// Returns the condition's message.
    private func refusal(of commit: String, in sandbox: QuickstartSandbox, events: EventStreamClient) async throws -> String {
        let committed = ContinuousClock.now
        var report = try source(sandbox)
        while !(report.lastAttemptedRevision?.contains(commit) ?? false) {
            guard ContinuousClock.now - committed < .seconds(15) else {
                Issue.record("commit \(commit) not refused: \(report)")
                return ""
            }
            try await Task.sleep(for: .milliseconds(100))
            report = try source(sandbox)
        }
        let ready = report.conditions.first { $0.type == "Ready" }
        #expect(ready?.status == "False")
        #expect(ready?.reason == "ValidationFailed")
        #expect(ready?.observedRevision?.contains(commit) == true)
        #expect(report.conditions.contains { $0.type == "Stalled" && $0.status == "True" })
        #expect(report.errors.first?.contains(": error") == true || report.errors.first?.contains(":") == true, "\(report.errors)")
        #expect(report.revision != nil && !(report.revision?.contains(commit) ?? true), "the last good revision stays in force")
        let entry = try await nextEntry(events) { $0.decision == "sync-failed" }
        #expect(entry.source == "quickstart")
        #expect(entry.revision?.contains(commit) == true)
        #expect(entry.reason.contains(report.errors.first ?? "?"), "\(entry.reason)")
        return ready?.message ?? ""
    }

    private func recovery(at commit: String, in sandbox: QuickstartSandbox, events: EventStreamClient) async throws {
        let entry = try await nextEntry(events) { $0.decision == "synced" }
        #expect(entry.revision?.contains(commit) == true, "\(entry)")
        #expect(entry.reason.contains("recovered from ValidationFailed"), "\(entry.reason)")
        let report = try source(sandbox)
        #expect(report.conditions.first { $0.type == "Ready" }?.status == "True")
        #expect(report.revision?.contains(commit) == true)
        #expect(report.errors.isEmpty && report.lastAttemptedRevision == nil)
        #expect(!report.conditions.contains { $0.type == "Stalled" })
    }

    private func nextEntry(_ events: EventStreamClient, _ wanted: (EventLog.Entry) -> Bool) async throws -> EventLog.Entry {
        while true {
            let event = try await events.next()
            guard event.comment == nil, let entry = try? JSONDecoder().decode(EventLog.Entry.self, from: Data(event.data.utf8)) else { continue }
            if wanted(entry) { return entry }
        }
    }
}
