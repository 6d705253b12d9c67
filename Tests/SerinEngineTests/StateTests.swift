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
    @Test func appendsNumberedEntriesAndSurvivesATornLine() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-log-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var log: EventLog? = try EventLog(stateDirectory: root)
        try log!.append(.init(time: 1, rollout: "default/web", revision: "main@sha1:a", author: "Ada", decision: "started", reason: "new revision"))
        try log!.append(.init(time: 2, rollout: "default/web", revision: "main@sha1:a", author: "Ada", decision: "promoted", reason: "analysis passed"))
        log = nil
        // A crash in the middle of a line.
        let handle = FileHandle(forWritingAtPath: root + "/events.log")!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"sequence":3,"time":3,"rollo"#.utf8))
        try handle.close()
        let reopened = try EventLog(stateDirectory: root)
        let third = try reopened.append(.init(time: 4, rollout: "default/web", revision: nil, author: nil, decision: "rolledBack", reason: "x"))
        #expect(third.sequence == 3)
        #expect(reopened.entries().map(\.sequence) == [1, 2, 3])
        #expect(reopened.entries().map(\.decision) == ["started", "promoted", "rolledBack"])
    }
}
