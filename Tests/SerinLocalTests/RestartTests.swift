import Foundation
import SerinSpec
import SerinTesting
import Testing
@testable import SerinLocal

@Suite("LocalSupervisor restarts")
struct RestartTests {
    @Test func aCrashedProcessIsRestartedWithGrowingBackoff() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        try await supervisor.apply(workload: "crashy", role: .primary, revision: "r1",
                                   template: TestApp.template(env: ["DIE_AFTER_MS": "150"]), replicas: 1, snapshot: snapshot)
        let firstPid = try #require(await supervisor.status().first?.pid)
        try await eventually("4 restarts") { await supervisor.status().first.map { $0.restarts >= 4 } ?? false }
        #expect(await supervisor.status().first?.pid != firstPid)
        // Backoff 100 ms doubling, capped at 400 ms.
        let delays = harness.messages.all.filter { $0.contains("exited; restarting in") }.prefix(4).map { $0.components(separatedBy: "restarting in ").last! }
        #expect(delays == ["0.1 seconds", "0.2 seconds", "0.4 seconds", "0.4 seconds"])
        await supervisor.stopAll()
    }

    @Test func failingLivenessRestartsTheProcess() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        let liveness = #""livenessProbe": {"httpGet": {"path": "/healthz"}, "timeoutSeconds": 1, "failureThreshold": 2}"#
        try await supervisor.apply(workload: "hung", role: .primary, revision: "r1",
                                   template: TestApp.template(env: ["HANG_LIVENESS": "1"], extra: liveness, grace: 1),
                                   replicas: 1, snapshot: snapshot)
        // Ready (the port accepts) although /healthz hangs: liveness does not gate traffic.
        try await eventually("ready") { await supervisor.isReady(workload: "hung", role: .primary, revision: "r1") }
        let firstPid = try #require(await supervisor.status().first?.pid)
        try await eventually("a restart", timeout: .seconds(60)) { await supervisor.status().first.map { $0.restarts >= 1 } ?? false }
        #expect(await supervisor.status().first?.pid != firstPid)
        #expect(kill(firstPid, 0) != 0)
        #expect(harness.messages.all.contains { $0.contains("liveness probe failed 2 times") })
        await supervisor.stopAll()
    }

    @Test func healthyLivenessLeavesTheProcessAlone() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        let liveness = #""livenessProbe": {"httpGet": {"path": "/healthz"}, "failureThreshold": 1}"#
        try await supervisor.apply(workload: "fine", role: .primary, revision: "r1",
                                   template: TestApp.template(env: ["LOG_LIVENESS": "1"], extra: liveness), replicas: 2, snapshot: snapshot)
        try await eventually("ready") { await supervisor.isReady(workload: "fine", role: .primary, revision: "r1") }
        // Probed again and again (a probe goes out only once the last one's
        // answer was taken): any failure would have restarted one by now.
        let logs = await supervisor.status().map(\.logPath)
        try await eventually("3 liveness probes of each process") {
            logs.allSatisfy { log in
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "liveness probed").count > 3
            }
        }
        #expect(await supervisor.status().map(\.restarts) == [0, 0])
        await supervisor.stopAll()
    }
}
