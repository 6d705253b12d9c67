import Foundation
import SerinSpec
import Synchronization
import Testing
@testable import SerinEngine

/// The platform and router arrive with the local platform (issue 4); until
/// then these fakes record what the worker asks of them.
final class FakeWorkloadPlatform: WorkloadPlatform {
    let calls = Mutex<[String]>([])
    let canaryReady = Mutex(true)

    func deployPrimary(_ revision: String, for rollout: RolloutID) async throws { calls.withLock { $0.append("deployPrimary \(revision)") } }
    func startCanary(_ revision: String, for rollout: RolloutID) async throws { calls.withLock { $0.append("startCanary \(revision)") } }
    func scaleCanaryToZero(for rollout: RolloutID) async throws { calls.withLock { $0.append("scaleCanaryToZero") } }
    func promote(_ revision: String, for rollout: RolloutID) async throws { calls.withLock { $0.append("promote \(revision)") } }
    func isCanaryReady(for rollout: RolloutID) async -> Bool { canaryReady.withLock { $0 } }
    func isPrimaryReady(_ revision: String, for rollout: RolloutID) async -> Bool { true }
}

final class FakeTrafficRouter: TrafficRouter {
    let weights = Mutex<[Int]>([])
    func setRoutes(_ routes: Routes, for rollout: RolloutID) async throws { weights.withLock { $0.append(routes.canaryWeight) } }
}

/// Answers each tick's metric with the next verdict of a script, then passes.
final class ScriptedChecks: CheckRunner {
    let script: Mutex<[MetricEvaluation.Verdict]>
    init(_ verdicts: [MetricEvaluation.Verdict]) { script = Mutex(verdicts) }
    func runChecks(_ plan: Plan, for rollout: RolloutID, at time: Double) async -> CheckResults {
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

    func parts(_ root: String, platform: FakeWorkloadPlatform = FakeWorkloadPlatform(), router: FakeTrafficRouter = FakeTrafficRouter(),
               checks: [MetricEvaluation.Verdict] = []) throws -> RolloutWorker.Parts {
        RolloutWorker.Parts(platform: platform, router: router, checks: ScriptedChecks(checks), hooks: OpenHooks(), notifier: SilentNotifier(),
                            store: try StateStore(stateDirectory: root), log: try EventLog(stateDirectory: root))
    }

    func temporary() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("serin-worker-\(UUID().uuidString.prefix(8))").path
    }

    @Test func releasesAGoodRevisionAndKeepsTheAuditTrail() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let platform = FakeWorkloadPlatform()
        let router = FakeTrafficRouter()
        let worker = try RolloutWorker(id: id, plan: canaryPlan([20, 40]), parts: try parts(root, platform: platform, router: router))
        try await worker.send(.newRevision("r1", at: 0))
        var now = 0.0
        try await worker.tick(at: now) // primary ready
        try await worker.send(.newRevision("r2", at: 1))
        while await worker.state.phase != .succeeded && now < 200 {
            now += 10
            try await worker.tick(at: now)
        }
        #expect(await worker.state.phase == .succeeded)
        #expect(await worker.state.primaryRevision == "r2")
        #expect(platform.calls.withLock { $0 } == ["deployPrimary r1", "startCanary r2", "promote r2", "scaleCanaryToZero"])
        #expect(router.weights.withLock { $0 } == [20, 40, 0])
        #expect(try StateStore(stateDirectory: root).load(StoredRollout.self, key: id.key)?.state == (await worker.state))
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
        let router = FakeTrafficRouter()
        let checks = ScriptedChecks(outcomes)
        func build() throws -> RolloutWorker {
            let base = try parts(root, router: router)
            return try RolloutWorker(id: id, plan: canaryPlan([10, 20, 30], threshold: 3),
                                     parts: RolloutWorker.Parts(platform: base.platform, router: router, checks: checks, hooks: OpenHooks(),
                                                                notifier: SilentNotifier(), store: base.store, log: base.log))
        }
        var worker = try build()
        try await worker.send(.newRevision("r1", at: 0))
        try await worker.tick(at: 0)
        try await worker.send(.newRevision("r2", at: 1))
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
        #expect(router.weights.withLock { $0 }.last == 0)
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
        func build() throws -> RolloutWorker {
            let base = try parts(root)
            return try RolloutWorker(id: id, plan: canaryPlan([10, 20], threshold: 1),
                                     parts: RolloutWorker.Parts(platform: base.platform, router: base.router, checks: checks, hooks: OpenHooks(),
                                                                notifier: SilentNotifier(), store: base.store, log: base.log))
        }
        var worker = try build()
        try await worker.send(.newRevision("r1", at: 0))
        try await worker.tick(at: 0)
        try await worker.send(.newRevision("r2", at: 1))
        try await worker.tick(at: 10) // canary ready, 10%, and the first checks: error 1
        try await worker.tick(at: 20) // error 2
        #expect(await worker.state.phase == .progressing)
        #expect(await worker.state.message == "waiting for data: request-success-rate: query error 2/3: prometheus down")
        let evaluations = await worker.evaluations
        #expect(evaluations.count == 2)
        worker = try build()
        #expect(await worker.round.consecutiveErrors == ["request-success-rate": 2])
        // The evaluations behind the saved decisions survive the restart too.
        #expect(await worker.evaluations == evaluations)
        try await worker.tick(at: 30) // error 3: a failed check, and the threshold is 1
        #expect(await worker.state.phase == .failed)
        #expect(await worker.state.message.contains("3 query errors in a row: prometheus down"))
    }

    @Test func refusedCommandsSayWhy() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let worker = try RolloutWorker(id: id, plan: canaryPlan(), parts: try parts(root))
        try await worker.send(.newRevision("r1", at: 0))
        try await worker.tick(at: 0)
        #expect(try await worker.command(.promote, at: 1) == .refused("nothing to promote in phase Initialized"))
    }
}
