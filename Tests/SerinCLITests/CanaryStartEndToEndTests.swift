import Foundation
import SerinTesting
import Testing

/// A release whose command does not exist fails at once with that reason,
/// and `serin history` says so, instead of waiting out the progress deadline.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func aCanaryWhoseCommandDoesNotExistFailsAtOnce() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        try sandbox.edit("deploy/workload.yaml", #"command: ["python3", "app.py"]"#, #"command: ["python3-nope", "app.py"]"#)
        let commit = try sandbox.commitAll("A typo in the command", author: "Eve Mallory")
        let committed = ContinuousClock.now
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(120))
        #expect(end.decision == "Failed")
        #expect(end.reason.contains("the canary cannot start: cannot start `python3-nope`"), "\(end.reason)")
        #expect(end.reason.contains("No such file or directory"), "\(end.reason)")
        // Well before the quickstart's 60 s progress deadline, however busy the machine.
        #expect(ContinuousClock.now - committed < .seconds(45), "the release waited for a canary that could never start")
        #expect(try Loopback.request(port: sandbox.servicePort, path: "/").status == 200)

        let history = try CommandRun.run(serin, ["history", "web", "--api", "http://127.0.0.1:\(sandbox.apiPort)"])
        #expect(history.status == 0, "\(history.stderr)")
        // The header, two releases, then the note that the long result was cut.
        let rows = history.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 4, "\(history.stdout)")
        #expect(rows.last?.hasPrefix("(results cut to") == true, "\(history.stdout)")
        #expect(rows.dropLast().last?.contains("\(commit.prefix(7))  Eve Mallory <eve.mallory@example.com>  failed: the canary cannot start: cannot start `python3-nope") == true,
                "\(history.stdout)")
        await sandbox.shutDown()
    }
}
