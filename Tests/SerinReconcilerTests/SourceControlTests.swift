import Clocks
import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
import Synchronization
import Testing

/// A fetch stage over a list of commits: the ref points at the last;
/// any of them can be fetched by id (a rollback).
final class FakeCommitsFetcher: SourceFetcher {
    private let commits = Mutex<[(id: String, files: [String: String])]>([])

    func commit(_ id: String, _ files: [String: String]) { commits.withLock { $0.append((id, files)) } }

    private func revision(_ id: String, _ files: [String: String], name: String? = "main") -> FetchedRevision {
        FetchedRevision(revision: "\(name.map { "\($0)@" } ?? "")sha1:\(id)",
                        commit: CommitSummary(id: id, subject: "commit \(id)", author: "Ada <ada@example.com>", time: 0), files: InMemoryFiles(files))
    }

    func fetch(unless known: String?) async throws -> FetchedRevision? {
        guard let last = commits.withLock({ $0.last }), "main@sha1:\(last.id)" != known else { return nil }
        return revision(last.id, last.files)
    }

    func fetch(revision: String) async throws -> FetchedRevision {
        let id = String(revision.split(separator: ":").last ?? "")
        guard let found = commits.withLock({ $0.first { $0.id == id } }) else {
            throw StageFailure(.fetch, reason: "FetchFailed", "no commit \(id)")
        }
        let name = revision.range(of: "@sha1:").map { String(revision[..<$0.lowerBound]) }
        return self.revision(found.id, found.files, name: name)
    }
}

@Suite struct SourceControlTests {
    static func settings(_ greeting: String) -> [String: String] {
        ["deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: default }\ndata: { greeting: \(greeting) }\n"]
    }

    func make(_ fetcher: FakeCommitsFetcher, clock: TestClock<Duration> = TestClock()) -> (SourcePipeline<TestClock<Duration>>, Deliveries) {
        let delivered = Deliveries()
        let pipeline = SourcePipeline(configuration: .init(name: "apps", path: "deploy", interval: .seconds(60), targets: ["cluster"]),
                                      stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator(platform: .kubernetes)),
                                      clock: clock, now: { 1_000 }, deliver: { delivered.append($0) })
        return (pipeline, delivered)
    }

    /// A rollback pins the source to an earlier commit: it is delivered
    /// again, new commits wait, and unpinning takes the ref's head; a
    /// reconcile delivers the revision in force again; each is said to be
    /// asked by whom.
    @Test func aPinHoldsTheSourceOnAnEarlierRevisionUntilRemoved() async throws {
        let fetcher = FakeCommitsFetcher()
        let (pipeline, delivered) = make(fetcher)
        fetcher.commit("1", Self.settings("one"))
        await pipeline.syncOnce()
        await pipeline.delivered(to: "cluster", revision: "main@sha1:1", .delivered)
        #expect(await pipeline.status.lastAppliedRevision == "main@sha1:1")
        #expect(await pipeline.trigger(of: "main@sha1:1") == "git")
        fetcher.commit("2", Self.settings("two"))
        await pipeline.syncOnce()
        #expect(delivered.revisions == ["main@sha1:1", "main@sha1:2"])

        await pipeline.pin(SourcePin(revision: "main@sha1:1", commit: "1", by: "alice", time: 1_000))
        await pipeline.syncOnce()
        #expect(delivered.revisions == ["main@sha1:1", "main@sha1:2", "main@sha1:1"])
        #expect(await pipeline.trigger(of: "main@sha1:1") == "rollback by alice")
        #expect(await pipeline.status.pin?.by == "alice")
        #expect(await pipeline.report(url: "u", ref: "branch main").pin?.revision == "main@sha1:1")
        // A new commit on the ref waits for the pin to go.
        fetcher.commit("3", Self.settings("three"))
        await pipeline.syncOnce()
        #expect(delivered.revisions.count == 3)

        await pipeline.unpin(by: "alice")
        await pipeline.syncOnce()
        #expect(delivered.revisions.last == "main@sha1:3")
        #expect(await pipeline.trigger(of: "main@sha1:3") == "unpin by alice")
        #expect(await pipeline.status.pin == nil)

        // Reconcile: the same revision, delivered again at once.
        await pipeline.syncOnce()
        #expect(delivered.revisions.count == 4)
        await pipeline.reconcile(by: "bob")
        await pipeline.syncOnce()
        #expect(delivered.revisions == ["main@sha1:1", "main@sha1:2", "main@sha1:1", "main@sha1:3", "main@sha1:3"])
        #expect(await pipeline.trigger(of: "main@sha1:3") == "reconcile by bob")
        #expect(await pipeline.status.conditions["Ready"]?.status == .unknown, "given again to the target: not ready until it answers")
    }

    /// Suspended, the source is shown so and fetches nothing until resumed.
    @Test func aSuspendedSourceIsNotSynced() async throws {
        let fetcher = FakeCommitsFetcher()
        let clock = TestClock<Duration>()
        let (pipeline, delivered) = make(fetcher, clock: clock)
        await pipeline.suspend(SourceSuspension(by: "carol", time: 1_000))
        #expect(await pipeline.status.suspension?.by == "carol")
        fetcher.commit("1", Self.settings("one"))
        let run = Task { await pipeline.run() }
        // The loop has looked at the source and is parked on its interval
        // without syncing; its interval passes, it looks again and still
        // fetches nothing; resume wakes it.
        try await eventually("the loop reaches its wait") { await pipeline.passes >= 1 }
        #expect(delivered.revisions.isEmpty)
        await clock.advance(by: .seconds(60))
        try await eventually("the loop wakes at its interval") { await pipeline.passes >= 2 }
        #expect(delivered.revisions.isEmpty, "a suspended source fetches nothing at its interval")
        await pipeline.resume(by: "carol")
        try await eventually("resume syncs") { !delivered.revisions.isEmpty }
        #expect(delivered.revisions == ["main@sha1:1"])
        #expect(await pipeline.trigger(of: "main@sha1:1") == "resume by carol")
        run.cancel()
    }

    /// Each control is told to whoever follows the status (the cluster's
    /// `sources.serin.dev` object, events): suspend, resume, pin, unpin,
    /// even when nothing else of the status changed with it.
    @Test func everyControlIsPublished() async throws {
        let fetcher = FakeCommitsFetcher()
        let published = Mutex<[SourceStatus]>([])
        let pipeline = SourcePipeline(configuration: .init(name: "apps", path: "deploy", interval: .seconds(60), targets: ["cluster"]),
                                      stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator(platform: .kubernetes)),
                                      clock: TestClock(), now: { 1_000 }, deliver: { _ in }, changed: { status in published.withLock { $0.append(status) } })
        fetcher.commit("1", Self.settings("one"))
        await pipeline.syncOnce()
        await pipeline.delivered(to: "cluster", revision: "main@sha1:1", .delivered)
        let last = { published.withLock { $0.last } }
        #expect(last()?.ready == true)
        await pipeline.suspend(SourceSuspension(by: "carol", time: 1_000))
        #expect(last()?.suspension?.by == "carol")
        await pipeline.resume(by: "carol")
        #expect(last() != nil && last()?.suspension == nil)
        await pipeline.pin(SourcePin(revision: "main@sha1:1", commit: "1", by: "alice", time: 1_000))
        #expect(last()?.pin?.by == "alice")
        await pipeline.unpin(by: "alice")
        #expect(last() != nil && last()?.pin == nil)
    }

    /// The history keeps a row per new revision, trigger or outcome, not per resync.
    @Test func theHistoryKeepsChangesNotRepeats() throws {
        var record = SourceRecord()
        let row = { (revision: String, result: String, trigger: String) in
            SourceHistoryEntry(revision: revision, commit: revision, subject: nil, author: nil, time: 0, result: result, trigger: trigger)
        }
        var added: [Bool] = []
        for (revision, result, trigger) in [("1", "applied", "git"), ("1", "applied", "git"), ("1", "applied", "reconcile by bob"),
                                            ("2", "ApplyFailed: refused", "git"), ("2", "applied", "git")] {
            added.append(record.append(row(revision, result, trigger)))
        }
        #expect(added == [true, false, true, true, true])
        #expect(record.history.map(\.revision) == ["1", "1", "2", "2"])
        for index in 0..<(SourceRecord.historyLimit + 5) { record.append(row("r\(index)", "applied", "git")) }
        #expect(record.history.count == SourceRecord.historyLimit)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-record-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        record.pin = SourcePin(revision: "main@sha1:1", commit: "1", by: "alice", time: 5)
        try record.save(stateDirectory: directory, source: "apps")
        #expect(try SourceRecord.load(stateDirectory: directory, source: "apps") == record)
        #expect(SourceRecord.sources(stateDirectory: directory) == ["apps"])
    }
}
