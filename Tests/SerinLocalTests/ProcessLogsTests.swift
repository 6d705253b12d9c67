import Foundation
import SerinTesting
import Testing
@testable import SerinLocal

/// `serin logs`' reading of the supervisor's log files, on real files laid
/// out as the supervisor leaves them.
@Suite struct ProcessLogsTests {
    func append(_ path: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test func readsAWorkloadsFilesInOrderAndNoOtherWorkloads() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        try state.write("local/logs/web-canary-2.log", "canary up\n")
        try state.write("local/logs/web-primary-1.log", "one up\n")
        try state.write("local/logs/web-primary-0.log", "zero up\nzero serving\n")
        try state.write("local/logs/web-primary-0.log.1", "zero rotated\n")
        try state.write("local/logs/web-api-primary-0.log", "another workload\n")
        try state.write("local/logs/router.log", "the router\n")
        var logs = ProcessLogs(stateDirectory: state.path, workload: "web")
        #expect(logs.files().map(\.name) == ["web-primary-0", "web-primary-1", "web-canary-2"])
        #expect(logs.rotatedLines().map(\.text) == ["zero rotated"])
        #expect(logs.newLines().map { "\($0.file): \($0.text)" } == [
            "web-primary-0: zero up", "web-primary-0: zero serving", "web-primary-1: one up", "web-canary-2: canary up",
        ])
        var canary = ProcessLogs(stateDirectory: state.path, workload: "web", role: .canary)
        #expect(canary.newLines().map(\.text) == ["canary up"])
        #expect(ProcessLogs(stateDirectory: state.path, workload: "web-api").files().map(\.name) == ["web-api-primary-0"])
    }

    @Test func followsNewLinesNewFilesRotationAndPromotion() throws {
        let state = try TemporaryDirectory()
        defer { state.remove() }
        let primary = try state.write("local/logs/web-primary-0.log", "started\n")
        var logs = ProcessLogs(stateDirectory: state.path, workload: "web")
        #expect(logs.newLines().map(\.text) == ["started"])
        #expect(logs.newLines().isEmpty)

        // A line still being written waits for its end.
        try append(primary, "half")
        #expect(logs.newLines().isEmpty)
        try append(primary, " a line\n")
        #expect(logs.newLines().map(\.text) == ["half a line"])

        // A canary starts: its file is picked up.
        let canary = try state.write("local/logs/web-canary-1.log", "canary started\n")
        #expect(logs.newLines().map { "\($0.file): \($0.text)" } == ["web-canary-1: canary started"])

        // Promotion renames the canary's file; what was read is not read again.
        #expect(rename(canary, state.path + "/local/logs/web-primary-1.log") == 0)
        try append(state.path + "/local/logs/web-primary-1.log", "now primary\n")
        #expect(logs.newLines().map { "\($0.file): \($0.text)" } == ["web-primary-1: now primary"])

        // Rotation copies and truncates in place: the file is read from its start.
        #expect(truncate(primary, 0) == 0)
        try append(primary, "after rotation\n")
        #expect(logs.newLines().map(\.text) == ["after rotation"])
    }
}
