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
        let entries = EventLog.entries(inStateDirectory: root)
        #expect(entries.map(\.sequence) == Array(1...entries.count)) // no gap
        #expect(entries.map(\.decision) == ["detected", "Initialized", "detected", "Progressing", "Promoting", "Finalising", "Succeeded"])
        #expect(await worker.evaluations.count == 2)
    }

    /// Ticks until the worker has asked the platform to promote.
    func tickUntilPromotion(_ worker: RolloutWorker<FakePlatform>, _ platform: FakePlatform) async throws -> Double {
        var now = 1.0
        while !platform.calls.contains(where: { $0.hasPrefix("promote") }) && now < 100 {
            now += 10
            try await worker.tick(at: now)
        }
        return now
    }

    /// stepWeightPromotion: the primary takes the new revision while the
    /// canary goes on serving its share, which returns to the primary step
    /// by step; only then does the canary stop.
    @Test func stepWeightPromotionShiftsTrafficWhileTheCanaryStillRuns() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let platform = FakePlatform()
        let worker = try RolloutWorker(id: id, target: target, plan: canaryPlan([50], primaryWeights: [70, 90, 100]),
                                       parts: try parts(root, platform: platform))
        try await worker.release(FakeRevision("r1"), at: 0)
        try await worker.tick(at: 0)
        try await worker.release(FakeRevision("r2"), at: 1)
        var now = try await tickUntilPromotion(worker, platform)
        #expect(platform.calls.last == "promote r2 keeping the canary")
        var seen = [platform.workload(target)]
        // As the runner does: the promoted primary's readiness as it comes, then the ticks.
        let ready = try #require(await worker.readinessEvent(at: now + 1))
        try await worker.send(ready)
        seen.append(platform.workload(target))
        while await worker.state.phase != .succeeded && now < 200 {
            now += 10
            try await worker.tick(at: now)
            seen.append(platform.workload(target))
        }
        #expect(await worker.state.phase == .succeeded)
        #expect(platform.weights == [50, 30, 10, 0])
        // Both roles run r2 for as long as the canary has traffic.
        let shifting = seen.filter { ($0?.routes.canaryWeight ?? 0) > 0 }
        #expect(shifting.map { $0?.routes.canaryWeight } == [50, 30, 10])
        #expect(shifting.allSatisfy { $0?.running == RunningRevisions(primary: "r2", canary: "r2") })
        #expect(platform.workload(target)?.running == RunningRevisions(primary: "r2"))
        #expect(platform.calls == ["deployPrimary r1", "startCanary r2", "promote r2 keeping the canary", "scaleCanaryToZero"])
    }

    /// A crash after the promotion was decided and saved, before the
    /// platform heard of it: the rebuilt worker promotes the same way.
    @Test func aRestartMidPromotionKeepsTheCanary() async throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let plan = canaryPlan([50], primaryWeights: [75, 100])
        let before = FakePlatform()
        let first = try RolloutWorker(id: id, target: target, plan: plan, parts: try parts(root, platform: before))
        try await first.release(FakeRevision("r1"), at: 0)
        try await first.tick(at: 0)
        try await first.release(FakeRevision("r2"), at: 1)
        let now = try await tickUntilPromotion(first, before)
        #expect(await first.state.phase == .promoting)

        let after = FakePlatform(running: [target: RunningRevisions(primary: "r1", canary: "r2")])
        let worker = try RolloutWorker(id: id, target: target, plan: plan, parts: try parts(root, platform: after))
        try await worker.reassert(at: now + 1)
        #expect(after.calls == ["promote r2 keeping the canary"])
        try await worker.tick(at: now + 10)
        try await worker.tick(at: now + 20)
        #expect(after.weights == [50, 25, 0])
        #expect(after.calls == ["promote r2 keeping the canary", "scaleCanaryToZero"])
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
        let entries = EventLog.entries(inStateDirectory: root)
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

/// Notifications received, in order.
final class RecordingNotifier: Notifier {
    let received = Mutex<[RolloutPhase]>([])
    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        received.withLock { $0.append(notification.phase) }
    }
}

/// Where a rollout's state is saved.
struct StoredRolloutFile: Sendable {
    let root: String
    let key: String
    func load() throws -> StoredRollout<FakeRevision>? { try StateStore(stateDirectory: root).load(StoredRollout<FakeRevision>.self, key: key) }
}

/// Reads the saved state when a notification of `phase` is sent.
final class SavedAtNotification: Notifier {
    let file: StoredRolloutFile
    let phase: RolloutPhase
    let saved = Mutex<StoredRollout<FakeRevision>?>(nil)
    init(_ file: StoredRolloutFile, phase: RolloutPhase) {
        self.file = file
        self.phase = phase
    }
    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        guard notification.phase == phase else { return }
        let state = try? file.load()
        saved.withLock { $0 = state }
    }
}

/// Kill -9 between saving a decision and writing its entry loses neither:
/// the notifications are saved with the decision and written on restart
/// where the event log lacks them, and only there.
@Suite struct RolloutOutboxTests {
    let id = RolloutID(namespace: "default", name: "web")

    func temporary() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("serin-outbox-\(UUID().uuidString.prefix(8))").path
    }

    @Test func aDecisionSavedBeforeItsEntryIsLoggedOnRestartOnce() async throws {
        let first = temporary(), second = temporary()
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let platform = FakePlatform()
        func parts(_ root: String, _ notifier: any Notifier) throws -> RolloutWorker<FakePlatform>.Parts {
            RolloutWorker.Parts(platform: platform, checks: ScriptedChecks([]), hooks: OpenHooks(), notifier: notifier,
                                store: try StateStore(stateDirectory: root), log: try EventLog(stateDirectory: root))
        }
        // What the state file holds while the Failed notification is being
        // sent: a process killed then leaves exactly this behind.
        let atFailure = SavedAtNotification(StoredRolloutFile(root: first, key: id.key), phase: .failed)
        let worker = try RolloutWorker(id: id, target: WorkloadID(name: "web"), plan: canaryPlan([20, 40]), parts: try parts(first, atFailure))
        try await worker.release(FakeRevision("r1"), at: 0)
        try await worker.tick(at: 0)
        try await worker.release(FakeRevision("r2"), at: 1)
        _ = try await worker.command(.abort, by: "ada", at: 2)
        #expect(await worker.state.phase == .failed)
        let saved = try #require(atFailure.saved.withLock { $0 })
        #expect(saved.outbox?.map(\.notification.phase) == [.failed], "the decision is saved with its notification")
        let delivered = try StateStore(stateDirectory: first).load(StoredRollout<FakeRevision>.self, key: id.key)
        #expect(delivered?.outbox == nil, "delivered: nothing left for a restart to look up")

        // The process died after the save, before the entry: another state
        // directory holds the saved decision and the log as it was before the abort.
        try StateStore(stateDirectory: second).save(saved, as: id.key)
        let log = try EventLog(stateDirectory: second)
        for entry in EventLog.entries(inStateDirectory: first) where entry.decision != "Failed" {
            var copy = entry
            copy.sequence = 0
            try await log.append(copy)
        }
        let notifier = RecordingNotifier()
        let restarted = try RolloutWorker(id: id, target: WorkloadID(name: "web"), plan: canaryPlan([20, 40]), parts: try parts(second, notifier))
        try await restarted.reassert(at: 3)
        let again = try RolloutWorker(id: id, target: WorkloadID(name: "web"), plan: canaryPlan([20, 40]), parts: try parts(second, notifier))
        try await again.reassert(at: 4)
        let failed = EventLog.entries(inStateDirectory: second).filter { $0.decision == "Failed" }
        #expect(failed.count == 1, "written on the first restart, not again")
        #expect(failed.first?.reason.contains("aborted by ada") == true, "\(failed.map(\.reason))")
        #expect(failed.first?.time == 2)
        #expect(notifier.received.withLock { $0 } == [.failed])
    }
}
