import Foundation
import SerinSpec
import SerinTesting
import Testing
@testable import SerinLocal

/// Revision changes, promotion and adoption: the moments where a ready
/// backend could go missing.
@Suite("LocalSupervisor handovers")
struct HandoverTests {
    /// Calls readyBackends in a tight loop while `change` runs; returns how
    /// many times it was empty.
    func emptyReadings(_ supervisor: LocalSupervisor, _ workload: String, during change: () async throws -> Void) async throws -> (empty: Int, readings: Int) {
        let watcher = Task {
            var empty = 0, readings = 0
            while !Task.isCancelled {
                if await supervisor.readyBackends(workload: workload, role: .primary).isEmpty { empty += 1 }
                readings += 1
                await Task.yield()
            }
            return (empty, readings)
        }
        do {
            try await change()
        } catch {
            watcher.cancel()
            throw error
        }
        watcher.cancel()
        return await watcher.value
    }

    @Test func aNewRevisionReplacesTheOldWithoutAGap() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let r1 = try TestApp.snapshot(in: harness.directory, revision: "r1")
        let r2 = try TestApp.snapshot(in: harness.directory, revision: "r2")
        try await supervisor.apply(workload: "web", role: .primary, revision: "r1", template: TestApp.template(extra: TestApp.readyProbe), replicas: 2, snapshot: r1)
        try await eventually("r1 ready") { await supervisor.isReady(workload: "web", role: .primary, revision: "r1") }
        let oldPids = Set(await supervisor.status().map(\.pid))

        let result = try await emptyReadings(supervisor, "web") {
            try await supervisor.apply(workload: "web", role: .primary, revision: "r2",
                                       template: TestApp.template(env: ["NOT_READY_FOR_MS": "400"], extra: TestApp.readyProbe), replicas: 2, snapshot: r2)
        }
        #expect(result.empty == 0)
        #expect(result.readings > 2)
        let status = await supervisor.status()
        #expect(status.map(\.revision) == ["r2", "r2"])
        #expect(Set(status.map(\.pid)).isDisjoint(with: oldPids))
        for pid in oldPids { #expect(kill(pid, 0) != 0) }
        for backend in await supervisor.readyBackends(workload: "web", role: .primary) {
            #expect(await httpGet(backend)?.body == "primary r2")
        }
        await supervisor.stopAll()
    }

    @Test func aRevisionThatNeverGetsReadyIsNotTaken() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor { $0.readinessTimeout = .milliseconds(700) }
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let r1 = try TestApp.snapshot(in: harness.directory, revision: "r1")
        try await supervisor.apply(workload: "web", role: .primary, revision: "r1", template: TestApp.template(), replicas: 1, snapshot: r1)
        try await eventually("r1 ready") { await supervisor.isReady(workload: "web", role: .primary, revision: "r1") }
        await #expect(throws: SupervisorError.self) {
            try await supervisor.apply(workload: "web", role: .primary, revision: "r2",
                                       template: TestApp.template(env: ["NOT_READY_FOR_MS": "60000"], extra: TestApp.readyProbe), replicas: 1, snapshot: r1)
        }
        #expect(await supervisor.status().map(\.revision) == ["r1"])
        #expect(await supervisor.isReady(workload: "web", role: .primary, revision: "r1"))
        await supervisor.stopAll()
    }

    @Test func promotionNeverLeavesThePrimaryWithoutAReadyBackend() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let r1 = try TestApp.snapshot(in: harness.directory, revision: "r1")
        let r2 = try TestApp.snapshot(in: harness.directory, revision: "r2")
        try await supervisor.apply(workload: "shop", role: .primary, revision: "r1", template: TestApp.template(), replicas: 2, snapshot: r1)
        try await supervisor.apply(workload: "shop", role: .canary, revision: "r2", template: TestApp.template(), replicas: 1, snapshot: r2)
        try await eventually("both ready") {
            let primary = await supervisor.isReady(workload: "shop", role: .primary, revision: "r1")
            let canary = await supervisor.isReady(workload: "shop", role: .canary, revision: "r2")
            return primary && canary
        }
        let canary = try #require(await supervisor.status().first { $0.role == .canary })
        let oldPrimaryPids = await supervisor.status().filter { $0.role == .primary }.map(\.pid)

        let result = try await emptyReadings(supervisor, "shop") { try await supervisor.promote(workload: "shop") }
        #expect(result.empty == 0)
        #expect(result.readings > 2)

        let status = await supervisor.status()
        #expect(status.allSatisfy { $0.role == .primary && $0.revision == "r2" })
        #expect(status.count == 2)
        // The canary's process itself now serves as primary, under a primary name.
        let promoted = try #require(status.first { $0.pid == canary.pid })
        #expect(promoted.logPath.hasSuffix("shop-primary-\(canary.replica).log"))
        #expect(try String(contentsOfFile: promoted.logPath, encoding: .utf8).contains("stderr line from canary"))
        #expect(!FileManager.default.fileExists(atPath: canary.logPath))
        let records = try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory + "/local/processes").sorted()
        #expect(records == status.map { "shop-primary-\($0.replica).json" }.sorted())
        for pid in oldPrimaryPids { #expect(kill(pid, 0) != 0) }
        #expect(await supervisor.readyBackends(workload: "shop", role: .canary).isEmpty)
        await supervisor.stopAll()
    }

    @Test func promotingWithoutAReadyCanaryIsAnError() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        await #expect(throws: SupervisorError.self) { try await supervisor.promote(workload: "nothing") }
    }

    @Test func aNewSupervisorAdoptsRunningProcessesAndRestartsDeadOnes() async throws {
        let harness = try Harness()
        var pids: [Int32] = []
        defer { harness.cleanUp(pids: pids) }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")

        // The first supervisor starts three processes, then "dies": its
        // monitor stops and it is forgotten, its processes keep running.
        var first: LocalSupervisor? = try harness.supervisor()
        let firstMonitor = Task { [first] in await first!.run() }
        try await first!.apply(workload: "api", role: .primary, revision: "r1", template: TestApp.template(extra: TestApp.readyProbe), replicas: 2, snapshot: snapshot)
        try await first!.apply(workload: "api", role: .canary, revision: "r2", template: TestApp.template(), replicas: 1, snapshot: snapshot)
        try await eventually("ready") {
            let primary = await first!.isReady(workload: "api", role: .primary, revision: "r1")
            let canary = await first!.isReady(workload: "api", role: .canary, revision: "r2")
            return primary && canary
        }
        let before = await first!.status()
        pids = before.map(\.pid)
        firstMonitor.cancel()
        await firstMonitor.value
        first = nil

        // Meanwhile one primary process dies.
        let victim = try #require(before.first { $0.role == .primary })
        kill(victim.pid, SIGKILL)
        try await eventually("victim dead") { ProcessIdentity.current(pid: victim.pid) == nil }

        let second = try harness.supervisor()
        let report = await second.adopt()
        #expect(report.adopted.sorted() == before.filter { $0.pid != victim.pid }.map { "api-\($0.role)-\($0.replica)" }.sorted())
        #expect(report.restarted == ["api-primary-\(victim.replica)"])
        #expect(report.problems.isEmpty)

        // Adopted ready processes serve at once, before any probe ran.
        let survivor = try #require(before.first { $0.role == .primary && $0.pid != victim.pid })
        #expect(await second.readyBackends(workload: "api", role: .primary) == [survivor.backend])
        #expect(await second.readyBackends(workload: "api", role: .canary).count == 1)

        let after = await second.status()
        pids += after.map(\.pid)
        for instance in before where instance.pid != victim.pid {
            let adopted = try #require(after.first { $0.replica == instance.replica })
            #expect(adopted.pid == instance.pid && adopted.restarts == 0 && adopted.port == instance.port)
        }
        let restarted = try #require(after.first { $0.replica == victim.replica })
        #expect(restarted.pid != victim.pid && restarted.restarts == 1 && restarted.port == victim.port)

        let monitor = Task { await second.run() }
        defer { monitor.cancel() }
        try await eventually("all ready again") { await second.status().allSatisfy(\.ready) }
        // Still the same adopted processes, never restarted by the probes.
        #expect(await second.status().map(\.pid) == after.map(\.pid))
        #expect(await second.isReady(workload: "api", role: .primary, revision: "r1"))

        // The adopted processes are not children: stopping them still works.
        await second.stopAll()
        for pid in pids { #expect(ProcessIdentity.current(pid: pid) == nil) }
    }
}
