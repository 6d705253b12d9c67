import Foundation
import SerinSpec
import Synchronization
import Testing
@testable import SerinEngine
import SerinEngineTesting

/// Answers each tick's metric with the next verdict of a script, then passes.
final class ScriptedChecks: CheckRunner {
    let script: Mutex<[MetricEvaluation.Verdict]>
    init(_ verdicts: [MetricEvaluation.Verdict]) { script = Mutex(verdicts) }
    func runChecks(_ plan: Plan, _ context: CheckContext) async -> CheckResults {
        let time = context.time
        let verdict = script.withLock { $0.isEmpty ? .pass : $0.removeFirst() }
        return CheckResults(evaluations: [MetricEvaluation(metric: "request-success-rate", query: "q", value: 99, min: 99, max: nil,
                                                           verdict: verdict, message: verdict == .error ? "prometheus down" : "", time: time)])
    }
}

struct OpenHooks: HookRunner {
    func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase) async -> (open: Bool, reason: String) { (true, "200") }
    func fire(_ type: String, _ plan: Plan, phase: RolloutPhase) async {}
}

struct SilentNotifier: Notifier {
    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {}
}

@Suite struct RolloutWorkerTests {
    let id = RolloutID(namespace: "default", name: "web")

    let target = WorkloadID(name: "web")

    func parts(_ root: String, platform: FakePlatform = FakePlatform(), checks: any CheckRunner = ScriptedChecks([])) throws -> RolloutWorker<FakePlatform>.Parts {
        RolloutWorker.Parts(platform: platform, checks: checks, hooks: OpenHooks(), notifier: SilentNotifier(),
                            store: try StateStore(stateDirectory: root), log: try EventLog(stateDirectory: root))
    }

    func temporary() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("serin-worker-\(UUID().uuidString.prefix(8))").path
    }

    @Test func releasesAGoodRevisionAndKeepsTheAuditTrail() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let platform = FakePlatform()
        let worker = try RolloutWorker(id: id, target: target, plan: canaryPlan([20, 40]), parts: try parts(root, platform: platform))
        try await worker.release(FakeRevision("r1"), at: 0)
        var now = 0.0
        try await worker.tick(at: now) // primary ready
        try await worker.release(FakeRevision("r2"), at: 1)
        while await worker.state.phase != .succeeded && now < 200 {
            now += 10
            try await worker.tick(at: now)
        }
        #expect(await worker.state.phase == .succeeded)
        #expect(await worker.state.primaryRevision == "r2")
        #expect(platform.calls == ["deployPrimary r1", "startCanary r2", "promote r2", "scaleCanaryToZero"])
        #expect(platform.weights == [20, 40, 0])
        #expect(try StateStore(stateDirectory: root).load(StoredRollout<FakeRevision>.self, key: id.key)?.state == (await worker.state))
        let entries = try EventLog(stateDirectory: root).entries()
        #expect(entries.map(\.sequence) == Array(1...entries.count)) // no gap
        #expect(entries.map(\.decision) == ["detected", "Initialized", "detected", "Progressing", "Promoting", "Finalising", "Succeeded"])
        #expect(await worker.evaluations.count == 2)
    }

    /// The worker is dropped after every event of a release and rebuilt from
    /// the state directory; each run ends where an uninterrupted one does,
    /// with an event log without gaps.
    @Test(arguments: 1..<14)
    func aWorkerRebuiltFromItsStateFinishesTheSameRelease(restartAfter: Int) async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let outcomes: [MetricEvaluation.Verdict] = [.pass, .fail, .pass, .pass]
        let platform = FakePlatform()
        let checks = ScriptedChecks(outcomes)
        func build() throws -> RolloutWorker<FakePlatform> {
            try RolloutWorker(id: id, target: target, plan: canaryPlan([10, 20, 30], threshold: 3), parts: try parts(root, platform: platform, checks: checks))
        }
        var worker = try build()
        try await worker.release(FakeRevision("r1"), at: 0)
        try await worker.tick(at: 0)
        try await worker.release(FakeRevision("r2"), at: 1)
        var now = 1.0
        var step = 0
        while await worker.state.phase != .succeeded && now < 300 {
            now += 10
            try await worker.tick(at: now)
            step += 1
            if step == restartAfter { worker = try build() }
        }
        #expect(await worker.state.phase == .succeeded)
        #expect(await worker.state.primaryRevision == "r2")
        #expect(await worker.state.failedChecks == 1)
        #expect(platform.weights.last == 0)
        let entries = try EventLog(stateDirectory: root).entries()
        #expect(entries.map(\.sequence) == Array(1...entries.count))
        #expect(entries.last?.decision == "Succeeded")
    }

    /// Query errors in a row are counted across a restart: two before it and
    /// one after make three, a failed check.
    @Test func queryErrorCountsSurviveARestart() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let checks = ScriptedChecks([.error, .error, .error])
        let platform = FakePlatform()
        func build() throws -> RolloutWorker<FakePlatform> {
            try RolloutWorker(id: id, target: target, plan: canaryPlan([10, 20], threshold: 1), parts: try parts(root, platform: platform, checks: checks))
        }
        var worker = try build()
        try await worker.release(FakeRevision("r1"), at: 0)
        try await worker.tick(at: 0)
        try await worker.release(FakeRevision("r2"), at: 1)
        try await worker.tick(at: 10) // canary ready, 10%: the first checks come a full interval later
        try await worker.tick(at: 20) // error 1
        try await worker.tick(at: 30) // error 2
        #expect(await worker.state.phase == .progressing)
        #expect(await worker.state.message == "waiting for data: request-success-rate: query error 2/3: prometheus down")
        let evaluations = await worker.evaluations
        #expect(evaluations.count == 2)
        worker = try build()
        #expect(await worker.round.consecutiveErrors == ["request-success-rate": 2])
        // The evaluations behind the saved decisions survive the restart too.
        #expect(await worker.evaluations == evaluations)
        try await worker.tick(at: 40) // error 3: a failed check, and the threshold is 1
        #expect(await worker.state.phase == .failed)
        #expect(await worker.state.message.contains("3 query errors in a row: prometheus down"))
    }

    @Test func refusedCommandsSayWhy() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let worker = try RolloutWorker(id: id, target: target, plan: canaryPlan(), parts: try parts(root))
        try await worker.release(FakeRevision("r1"), at: 0)
        try await worker.tick(at: 0)
        #expect(try await worker.command(.promote, at: 1) == .refused("nothing to promote in phase Initialized"))
    }
}
