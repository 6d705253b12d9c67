import Foundation
import Testing
@testable import SerinEngine
import SerinEngineTesting

/// `serin history`: one row per release attempt, built from the event log,
/// with the attempt's own commit, author and result.
@Suite struct RevisionHistoryTests {
    let id = RolloutID(namespace: "default", name: "web")

    func revision(_ name: String, by author: String) -> FakeRevision {
        FakeRevision(name, commit: "c0ffee" + name + String(repeating: "0", count: 40 - 6 - name.count), author: author)
    }

    /// A worker on a fake platform, its history read back from the log it wrote.
    struct Release {
        let worker: RolloutWorker<FakePlatform>
        let platform = FakePlatform()
        let log: EventLog
        var now = 0.0

        init(root: String, id: RolloutID, checks: [MetricEvaluation.Verdict]) throws {
            log = try EventLog(stateDirectory: root)
            worker = try RolloutWorker(id: id, target: WorkloadID(name: "web"), plan: canaryPlan([20, 40]), parts: .init(
                platform: platform, checks: ScriptedChecks(checks), hooks: OpenHooks(), notifier: SilentNotifier(),
                store: try StateStore(stateDirectory: root), log: log))
        }

        mutating func tick(until done: (RolloutState) -> Bool) async throws {
            let limit = now + 300
            while !done(await worker.state) && now < limit {
                now += 10
                try await worker.tick(at: now)
            }
            let state = await worker.state
            #expect(done(state), "stuck in \(state.phase)")
        }

        var history: [RevisionHistoryEntry] { get async { RevisionHistory.entries(from: await log.entries()) } }
    }

    @Test func everyAttemptIsARowWithItsOwnCommitAuthorAndResult() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-history-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        // r2 passes both analyses, r3 fails two in a row (threshold 2), then every check passes.
        var release = try Release(root: root, id: id, checks: [.pass, .pass, .fail, .fail])
        let worker = release.worker

        try await worker.release(revision("r1", by: "Ada"), at: release.now)
        try await release.tick { $0.phase == .initialized }
        try await worker.release(revision("r2", by: "Grace"), at: release.now)
        try await release.tick { $0.phase == .succeeded }
        // Failed, then retried: two rows.
        try await worker.release(revision("r3", by: "Eve"), at: release.now)
        try await release.tick { $0.phase == .failed }
        #expect(try await worker.command(.retry, at: release.now) == .accepted)
        try await release.tick { $0.phase == .succeeded }
        // Replaced mid-release by a newer commit, which is aborted.
        try await worker.release(revision("r4", by: "Ada"), at: release.now)
        try await release.tick { $0.routes.canaryWeight > 0 }
        try await worker.release(revision("r5", by: "Grace"), at: release.now)
        try await release.tick { $0.routes.canaryWeight > 0 }
        #expect(try await worker.command(.abort, by: "Grace", at: release.now) == .accepted)
        // Git goes back to what the primary runs mid-release.
        try await worker.release(revision("r6", by: "Eve"), at: release.now)
        try await release.tick { $0.routes.canaryWeight > 0 }
        try await worker.release(revision("r3", by: "Eve"), at: release.now)
        // A commit while the promotion finishes waits for it; then it is in progress.
        try await worker.release(revision("r7", by: "Ada"), at: release.now)
        try await release.tick { $0.phase == .promoting }
        try await worker.release(revision("r8", by: "Grace"), at: release.now)
        try await release.tick { $0.canaryRevision == "r8" }

        let rows = await release.history
        #expect(rows.map(\.revision) == ["r1", "r2", "r3", "r3", "r4", "r5", "r6", "r7", "r8"])
        #expect(rows.map(\.author) == ["Ada", "Grace", "Eve", "Eve", "Ada", "Grace", "Eve", "Ada", "Grace"])
        #expect(rows.map(\.commit) == rows.map { "c0ffee" + $0.revision + "0000" })
        #expect(rows.map(\.result) == [
            "succeeded", "succeeded", rows[2].result, "succeeded", "superseded by r5", "aborted by Grace", "superseded by r3", "succeeded", "in progress",
        ])
        guard case .failed(let reason)? = rows[2].outcome else {
            Issue.record("r3's first attempt: \(rows[2].result)")
            return
        }
        #expect(reason.contains("request-success-rate") && !reason.hasPrefix("rolled back"), "\(reason)")
        #expect(rows.dropLast().allSatisfy { row in row.finished.map { $0 >= row.started } ?? false })
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.started <= $1.started && ($0.finished ?? .infinity) <= $1.started })
        #expect(rows.last?.finished == nil)
        // The events name the revision they are about: the failure the rolled-back one.
        let failed = try #require(await release.log.entries().first { $0.decision == "Failed" })
        #expect(failed.revision == "r3")
        #expect(failed.commit == "c0ffeer3" + String(repeating: "0", count: 32))
        #expect(failed.author == "Eve")
    }

    /// Logs written before the entries named the right revisions: a failure
    /// names the primary's, a retry has no `detected` entry.
    @Test func aLogOfAnOlderOperatorReadsTheSameWay() throws {
        func entry(_ time: Double, _ revision: String, _ decision: String, _ reason: String = "", commit: String? = nil) -> EventLog.Entry {
            EventLog.Entry(time: time, rollout: "default/web", revision: revision, author: commit == nil ? nil : "Ada", commit: commit,
                           decision: decision, reason: reason)
        }
        let rows = RevisionHistory.entries(from: [
            entry(0, "p", "detected", commit: "aaaa"), entry(1, "p", "Initializing"), entry(2, "p", "Initialized"),
            entry(10, "c", "detected", commit: "bbbb"), entry(11, "c", "Progressing"),
            entry(20, "p", "Failed", "rolled back c: request-duration 300 > 250"),
            entry(30, "c", "Progressing"), entry(35, "c", "Promoting"), entry(36, "c", "Finalising"), entry(40, "c", "Succeeded"),
        ])
        #expect(rows == [
            RevisionHistoryEntry(revision: "p", commit: "aaaa", author: "Ada", outcome: .succeeded, started: 0, finished: 2),
            RevisionHistoryEntry(revision: "c", commit: "bbbb", author: "Ada", outcome: .failed(reason: "request-duration 300 > 250"),
                                 started: 10, finished: 20),
            RevisionHistoryEntry(revision: "c", commit: "bbbb", author: "Ada", outcome: .succeeded, started: 30, finished: 40),
        ])
    }

    @Test func anAnswerOfAnOlderOperatorStillDecodes() throws {
        let old = #"[{"revision":"r1","commit":"abc","author":"Ada","result":"succeeded","started":1,"finished":2}]"#
        let rows = try JSONDecoder().decode([RevisionHistoryEntry].self, from: Data(old.utf8))
        #expect(rows.first?.result == "succeeded")
        #expect(rows.first?.outcome == nil)
        let new = RevisionHistoryEntry(revision: "r2", commit: nil, author: nil, outcome: .superseded(by: "r3"), started: 1, finished: 2)
        #expect(try JSONDecoder().decode(RevisionHistoryEntry.self, from: JSONEncoder().encode(new)) == new)
    }

    @Test(arguments: [
        ("rolled back r: aborted by hand", RevisionHistoryEntry.Outcome.aborted(by: nil)),
        ("rolled back r: aborted by ada@laptop", .aborted(by: "ada@laptop")),
        ("rolled back r: the canary was not ready within the progress deadline (1m)",
         .failed(reason: "the canary was not ready within the progress deadline (1m)")),
        ("the promoted primary r was not ready within the progress deadline (1m); p serves again",
         .failed(reason: "the promoted primary r was not ready within the progress deadline (1m); p serves again")),
    ])
    func aFailureSaysWhy(message: String, outcome: RevisionHistoryEntry.Outcome) {
        #expect(RevisionHistory.outcome(ofFailure: message, "r") == outcome)
    }
}

/// A canary the platform cannot start fails its release at once, with the
/// platform's reason, instead of waiting out the progress deadline.
extension RevisionHistoryTests {
    @Test func aCanaryThatCannotStartFailsAtOnce() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-history-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var release = try Release(root: root, id: id, checks: [])
        try await release.worker.release(revision("r1", by: "Ada"), at: 0)
        try await release.tick { $0.phase == .initialized }
        release.platform.refuseToStart("r2", because: "cannot start `nope`: No such file or directory")
        try await release.worker.release(revision("r2", by: "Eve"), at: release.now)
        let state = await release.worker.state
        #expect(state.phase == .failed)
        #expect(state.message == "rolled back r2: the canary cannot start: cannot start `nope`: No such file or directory")
        #expect(state.primaryRevision == "r1")
        #expect(await release.history.last?.result == "failed: the canary cannot start: cannot start `nope`: No such file or directory")
        #expect(await release.history.last?.finished == release.now)
    }
}
