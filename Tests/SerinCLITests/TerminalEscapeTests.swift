import Foundation
@testable import SerinCLI
import SerinEngine
import SerinServerTesting
import SerinTesting
import Testing

/// Text that comes from Git, a webhook or Prometheus (commit subjects,
/// authors, reasons, messages) reaches a person's terminal through every
/// view: a control character in it is shown escaped, never obeyed
/// (kubectl's CVE-2021-25743 class: a commit subject that clears the screen,
/// rewrites the title or hides a line).
@Suite struct TerminalEscapeTests {
    /// ESC sequences (clear screen, OSC title, hyperlink), C1's CSI, BEL,
    /// backspace, carriage return, DEL, a newline, and a bidi override.
    static let hostile = "ok\u{1B}[2J\u{1B}]0;owned\u{07}\u{9B}31m\u{08}\r\u{7F}\nphase Succeeded\u{202E}gnp.exe"

    static var rollout: RolloutStatus {
        var status = SampleRollouts.web
        status.message = hostile
        status.name = "web"
        status.plan[0] = "set canary weight to 20% " + hostile
        status.evaluations[0].message = hostile
        // An error shows its message in every view, `serin status` included.
        status.evaluations[0].verdict = .error
        status.events.append(EventLog.Entry(sequence: 9, time: SampleRollouts.epoch + 9 * 3600 + 30, rollout: "web", revision: "r",
                                            author: hostile, decision: "error" + hostile, reason: hostile))
        return status
    }

    static var source: SourceStatusReport {
        var source = SampleResources.deploy
        source.commit?.subject = hostile
        source.commit?.author = hostile
        source.conditions[0].message = hostile
        source.errors = [hostile]
        source.warnings = [hostile]
        return source
    }

    static func views() -> [(String, String)] {
        let utc = TimeZone(identifier: "UTC")!
        var watch = WatchLog(timeZone: utc)
        var before = rollout
        before.events.removeLast()
        before.phase = .initialized
        _ = watch.lines(for: before)
        let history = [RevisionHistoryEntry(revision: "r" + hostile, commit: "c" + hostile, author: hostile, outcome: .failed(reason: hostile),
                                            started: SampleRollouts.epoch, finished: nil)]
        var workload = SampleResources.workloads[0]
        workload.conditions = [Condition(type: "Ready", status: .false, reason: "Failed", message: hostile, lastTransitionTime: SampleRollouts.epoch)]
        return [
            ("status", StatusView.render([rollout])),
            ("get", RolloutView.render(rollout, timeZone: utc)),
            ("get --watch", watch.lines(for: rollout).joined(separator: "\n")),
            ("history", HistoryView.render(history, timeZone: utc)),
            ("get source", ResourceViews.source(source, now: SampleRollouts.epoch + 10 * 3600)),
            ("get sources", ResourceViews.sources([source], now: SampleRollouts.epoch + 10 * 3600)),
            ("get workload", ResourceViews.workload(workload, now: SampleRollouts.epoch + 10 * 3600)),
            ("logs", LogView.line(file: "web-canary-0.log", text: hostile)),
        ]
    }

    @Test func controlCharactersNeverReachTheTerminal() {
        for (name, text) in Self.views() {
            let obeyed = text.unicodeScalars.filter { TerminalText.isControl($0) && $0 != "\n" }
            #expect(obeyed.isEmpty, "serin \(name) printed \(obeyed.map { String(format: "U+%04X", $0.value) })")
            // Shown, not dropped: a reader sees that something was there.
            #expect(text.contains("\\e[2J"), "serin \(name): \(text)")
            // A newline inside a field does not start a line that looks like the tool's own.
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("phase Succeeded") }, "serin \(name): \(text)")
        }
    }

    @Test func escapingKeepsPrintableTextAndIsIdempotent() {
        #expect(TerminalText.escaped("web: greet in French ✓ ≥ 99 ▶ ünïcode\ttab") == "web: greet in French ✓ ≥ 99 ▶ ünïcode\ttab")
        let once = TerminalText.escaped(Self.hostile)
        #expect(TerminalText.escaped(once) == once)
        #expect(once == "ok\\e[2J\\e]0;owned\\a\\u{9B}31m\\b\\r\\u{7F}\\nphase Succeeded\\u{202E}gnp.exe")
    }

    /// Through the real command and API: the table shows the escapes;
    /// `-o json` is the API's document as it came (a program reads it, and
    /// JSON escapes control characters itself).
    @Test func theCommandEscapesTablesAndLeavesJSONAlone() async throws {
        let serin = Products.executable("serin")
        try await withAPIServer(FakeOperator(rollouts: [Self.rollout])) { port in
            let api = ["--api", "http://127.0.0.1:\(port)"]
            for arguments in [["get", "web"], ["status"]] {
                let run = try await offPool { try CommandRun.run(serin, arguments + api, timeout: .seconds(120)) }
                #expect(run.status == 0, "\(run.stderr)")
                #expect(!run.stdout.unicodeScalars.contains { TerminalText.isControl($0) && $0 != "\n" }, "serin \(arguments): \(run.stdout)")
            }
            let json = try await offPool { try CommandRun.run(serin, ["get", "web", "-o", "json"] + api, timeout: .seconds(120)) }
            #expect(json.status == 0, "\(json.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(document?["message"] as? String == Self.hostile)
        }
    }
}
