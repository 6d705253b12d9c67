import Foundation
@testable import SerinCLI
import SerinEngine
import SerinServerTesting
import Testing

/// The CLI's views as pure functions, against golden files; times in UTC.
@Suite struct ViewTests {
    let utc = TimeZone(identifier: "UTC")!

    @Test func statusTable() throws {
        try Golden.check(StatusView.render(SampleRollouts.all), "status")
    }

    /// An hour after the samples' last event.
    let now = SampleRollouts.epoch + 10 * 3600

    @Test func statusShowsSourcesWorkloadsAndRollouts() throws {
        try Golden.check(ResourceViews.overview(sources: SampleResources.sources, workloads: SampleResources.workloads,
                                                rollouts: SampleRollouts.all, now: now), "status-all")
    }

    @Test func aRefusedCommitShowsItsConditionsAndErrors() throws {
        try Golden.check(ResourceViews.source(SampleResources.platform, now: now), "get-source-platform")
    }

    @Test func aWorkloadWhosePortIsTakenSaysSo() throws {
        try Golden.check(ResourceViews.workload(SampleResources.workloads[1], now: now), "get-workload-worker")
    }

    @Test func sourceRevisionsAreShortenedLikeFluxs() {
        #expect(ResourceViews.revision("main@sha1:8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b") == "main@8e1f2a3b4c5d")
        #expect(ResourceViews.revision("sha1:8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b") == "8e1f2a3b4c5d")
        #expect(ResourceViews.revision(nil) == "-")
    }

    @Test func getShowsAProgressingCanaryAtStepThreeOfSeven() throws {
        try Golden.check(RolloutView.render(SampleRollouts.web, timeZone: utc), "get-web")
    }

    @Test func getShowsWhereAFailedReleaseStopped() throws {
        try Golden.check(RolloutView.render(SampleRollouts.search, timeZone: utc), "get-search")
    }

    @Test func historyTable() throws {
        try Golden.check(HistoryView.render(SampleRollouts.histories["web"] ?? [], timeZone: utc), "history")
    }

    /// One failure's reason (every failed check with its query) padded every
    /// row to about 250 columns: it is cut, and the table says so.
    @Test func historyCutsLongReasons() {
        let reason = "3 failed checks: " + String(repeating: "request-success-rate 12.5 < 99 (sum(rate(...))) ", count: 5)
        var entries = SampleRollouts.histories["web"] ?? []
        entries[0] = RevisionHistoryEntry(revision: entries[0].revision, commit: nil, author: nil, outcome: .failed(reason: reason),
                                          started: entries[0].started, finished: entries[0].finished)
        let lines = HistoryView.render(entries, timeZone: utc).split(separator: "\n")
        let widest = lines.dropLast().map(\.count).max() ?? 0
        #expect(widest < 130)
        #expect(lines[1].contains("failed: 3 failed checks: request-success-rate 12.5 < 99 (su…"))
        #expect(lines.last == "(results cut to 60 characters: -o json shows them whole)")
        #expect(!HistoryView.render(SampleRollouts.histories["web"] ?? [], timeZone: utc).contains("cut to"))
    }

    @Test(arguments: [(0, 40), (20, 32), (40, 24), (50, 20), (100, 0)])
    func theWeightBarHasFortyCellsFilledWithThePrimarysShare(canary: Int, filled: Int) {
        let bar = RolloutView.weightBar(canary: canary)
        #expect(bar.filter { $0 == "█" }.count == filled)
        #expect(bar.filter { $0 == "█" || $0 == "░" }.count == 40)
        #expect(bar.hasSuffix(" \(100 - canary)% | canary \(canary)%"))
    }

    @Test func emptyListsSaySo() {
        #expect(StatusView.render([]) == "no rollouts\n")
        #expect(ResourceViews.sources([], now: 0) == "no sources\n")
        #expect(ResourceViews.workloads([]) == "no workloads\n")
        #expect(HistoryView.render([]) == "no revisions released yet\n")
    }

    /// The status carries the newest events only: more between two looks
    /// than it holds is said, not skipped silently.
    @Test func watchingSaysWhenEventsFellOutOfTheWindow() {
        var log = WatchLog(timeZone: utc)
        var status = SampleRollouts.web
        status.events = Array(SampleRollouts.web.events.prefix(2))
        _ = log.lines(for: status)
        let last = SampleRollouts.web.events[1]
        status.events = (0..<3).map { offset in
            var entry = last
            entry.sequence = last.sequence + 10 + offset
            entry.decision = "weight"
            return entry
        }
        let lines = log.lines(for: status)
        #expect(lines.first == "… events of web after #\(last.sequence) and before #\(last.sequence + 10) are not shown here: "
            + "`serin history web` has every release, the API's /api/v1/events?after=\(last.sequence) every event")
        #expect(lines.count == 4)
        // Overlapping windows: nothing to say.
        var next = status
        next.events = Array(status.events.suffix(2)) + [status.events[2]]
        next.events[2].sequence += 1
        #expect(log.lines(for: next).count == 1)
    }

    @Test func watchingIntoAPipePrintsOnlyWhatChanged() {
        var log = WatchLog(timeZone: utc)
        var status = SampleRollouts.web
        status.events = Array(status.events.prefix(2))
        #expect(log.lines(for: status) == [
            "web: Progressing, step 3/7, canary weight 40% (advancing: canary weight 40%)",
            "09:00:00  detected  new revision a1b2c3d4e5f6 from commit 8e1f2a3 by Ada Lovelace",
            "09:00:02  Progressing  canary ready: starting analysis",
        ])
        #expect(log.lines(for: status).isEmpty)

        status.events = SampleRollouts.web.events
        status.step = 4
        #expect(log.lines(for: status) == [
            "09:00:02  weight  canary weight 20%",
            "09:00:12  checked  request-success-rate 99.4 >= 99, request-duration 175 <= 500",
            "09:00:12  weight  canary weight 40%",
            "step 3/7 → 4/7: analyse 1 tick (10s): request-success-rate >= 99, request-duration <= 500",
        ])

        status.phase = .succeeded
        status.message = "promoted a1b2c3d4e5f6"
        status.canaryWeight = 0
        #expect(log.lines(for: status) == ["phase Progressing → Succeeded: promoted a1b2c3d4e5f6", "canary weight 40% → 0%"])
        #expect(WatchLog.isFinal(status))
        // The phase is saved before its entry reaches the audit trail.
        #expect(!WatchLog.decisionLogged(status))
        status.events.append(EventLog.Entry(sequence: 6, time: status.events[4].time + 10, rollout: "web", revision: status.canaryRevision, author: nil,
                                            decision: "Succeeded", reason: "promoted a1b2c3d4e5f6"))
        #expect(WatchLog.decisionLogged(status))
    }
}

@Suite struct EventStreamParserTests {
    @Test func messagesAreWholeWhereverTheChunksEnd() {
        let stream = Array(": serin events after 0\n\nid: 1\nevent: rollout\ndata: {\"reason\":\"é ✓\"}\n\n: heartbeat\n\nid: 2\r\ndata: a\r\ndata: b\r\n\r\n".utf8)
        for size in [1, 2, 3, 7, stream.count] {
            var parser = EventStreamParser()
            var messages: [EventStreamParser.Message] = []
            var offset = 0
            while offset < stream.count {
                messages += parser.feed(stream[offset..<min(offset + size, stream.count)])
                offset += size
            }
            #expect(messages.map(\.data) == [#"{"reason":"é ✓"}"#, "a\nb"], "chunks of \(size) bytes")
            #expect(messages.map(\.event) == ["rollout", nil])
        }
    }
}
