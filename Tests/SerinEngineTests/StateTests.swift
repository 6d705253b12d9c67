import Foundation
import SerinSpec
import Testing
@testable import SerinEngine

@Suite struct StateStoreTests {
    func directory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-state-\(UUID().uuidString.prefix(8))").path
        return path
    }

    @Test func savesLoadsAndReplacesAtomically() throws {
        let root = directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try StateStore(stateDirectory: root)
        var state = RolloutState()
        state.phase = .progressing
        state.canaryRevision = "main@sha1:abc"
        state.routes = Routes(canaryWeight: 20)
        try store.save(state, as: "default.web")
        #expect(try store.load(RolloutState.self, key: "default.web") == state)
        state.routes = Routes(canaryWeight: 30)
        try store.save(state, as: "default.web")
        #expect(try store.load(RolloutState.self, key: "default.web")?.routes.canaryWeight == 30)
        // A write interrupted before its rename leaves a temporary file: ignored and cleaned.
        try "{\"phase\":".write(toFile: root + "/rollouts/.default.web.999.tmp", atomically: false, encoding: .utf8)
        #expect(store.keys() == ["default.web"])
        #expect(!FileManager.default.fileExists(atPath: root + "/rollouts/.default.web.999.tmp"))
        #expect(try store.load(RolloutState.self, key: "default.web")?.routes.canaryWeight == 30)
    }
}

@Suite struct EventLogTests {
    static func entry(_ decision: String, time: Double = 1) -> EventLog.Entry {
        .init(time: time, rollout: "default/web", revision: nil, author: nil, decision: decision, reason: "")
    }

    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("serin-log-\(UUID().uuidString.prefix(8))").path
    }

    @Test func appendsNumberedEntriesAndSurvivesATornLine() async throws {
        let root = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var log: EventLog? = try EventLog(stateDirectory: root)
        try await log!.append(.init(time: 1, rollout: "default/web", revision: "main@sha1:a", author: "Ada", decision: "started", reason: "new revision"))
        try await log!.append(.init(time: 2, rollout: "default/web", revision: "main@sha1:a", author: "Ada", decision: "promoted", reason: "analysis passed"))
        log = nil
        // A crash in the middle of a line.
        let handle = FileHandle(forWritingAtPath: root + "/events.log")!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"sequence":3,"time":3,"rollo"#.utf8))
        try handle.close()
        let reopened = try EventLog(stateDirectory: root)
        let third = try await reopened.append(.init(time: 4, rollout: "default/web", revision: nil, author: nil, decision: "rolledBack", reason: "x"))
        #expect(third.sequence == 3)
        #expect(await reopened.entries().map(\.sequence) == [1, 2, 3])
        #expect(await reopened.entries().map(\.decision) == ["started", "promoted", "rolledBack"])
        #expect(EventLog.entries(inStateDirectory: root).map(\.sequence) == [1, 2, 3])
    }

    /// Posted entries (from synchronous callbacks) keep their order with awaited ones.
    @Test func postedAndAwaitedEntriesKeepTheirOrder() async throws {
        let root = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = try EventLog(stateDirectory: root)
        for index in 0..<20 { log.post(Self.entry("posted-\(index)")) { error in Issue.record("\(error)") } }
        let last = try await log.append(Self.entry("awaited"))
        #expect(last.sequence == 21)
        #expect(await log.entries().map(\.decision) == (0..<20).map { "posted-\($0)" } + ["awaited"])
    }

    /// A reader that does not keep up is told which entries it missed, after
    /// what it had buffered, and can read them again, rotated files included.
    @Test func aSlowSubscriberIsToldOfItsGap() async throws {
        let root = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = try EventLog(stateDirectory: root, rotateBytes: 400, tailLimit: 3)
        let subscription = log.deliveries(after: 0)
        for index in 1...8 { try await log.append(Self.entry("e\(index)", time: Double(index))) }
        var iterator = subscription.makeAsyncIterator()
        var seen: [EventLog.Delivery] = []
        for _ in 0..<4 { if let next = await iterator.next() { seen.append(next) } }
        let entries = seen.compactMap { if case .entry(let entry) = $0 { entry.sequence } else { nil } }
        #expect(entries == [1, 2, 3])
        #expect(seen.last == .gap(EventLog.Gap(first: 4, last: 8)))
        let missed = await log.entries(from: 4, through: 8)
        #expect(missed.map(\.sequence) == [4, 5, 6, 7, 8])
        #expect(FileManager.default.fileExists(atPath: root + "/events.log.1"), "the test meant the re-read to cross a rotation")
        // Caught up: the next entry comes as usual.
        try await log.append(Self.entry("e9"))
        let newest = try #require(await log.entries().last)
        #expect(await iterator.next() == .entry(newest))
    }

    /// Starting before the oldest entry in memory: a gap marker first, then the tail.
    @Test func aSubscriberStartingBeforeTheTailIsToldFirst() async throws {
        let root = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = try EventLog(stateDirectory: root, tailLimit: 2)
        for index in 1...5 { try await log.append(Self.entry("e\(index)")) }
        var iterator = log.deliveries(after: 1).makeAsyncIterator()
        #expect(await iterator.next() == .gap(EventLog.Gap(first: 2, last: 3)))
        if case .entry(let entry)? = await iterator.next() { #expect(entry.sequence == 4) } else { Issue.record("no entry 4") }
    }

    /// `subscribe` fills gaps itself: every entry, in order, none twice.
    @Test func subscribeReadsWhatItFellBehindOnAgain() async throws {
        let root = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = try EventLog(stateDirectory: root, rotateBytes: 500, tailLimit: 2)
        let stream = log.subscribe(after: 0)
        for index in 1...12 { try await log.append(Self.entry("e\(index)")) }
        var sequences: [Int] = []
        for await entry in stream {
            sequences.append(entry.sequence)
            if sequences.count == 12 { break }
        }
        #expect(sequences == Array(1...12))
    }
}
