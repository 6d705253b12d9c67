import Foundation
import SerinServerTesting
import SerinTesting
import Testing

/// `serin get web --watch` started right after `git commit`, as the README
/// tells users to: it follows the release that commit starts, not the one
/// before it, whether it is given the commit or not.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func aWatchStartedRightAfterACommitFollowsThatCommitsRelease() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000, sourceInterval: "3s")
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }

        // A release done: what a watch that does not wait for the sync would report.
        try sandbox.commit("MESSAGE", to: "before", message: "A release before", author: "Ada Lovelace")
        let before = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(120))
        #expect(before.decision == "Succeeded", "\(before.reason)")

        let commit = try sandbox.commit("MESSAGE", to: "watched", message: "A watched release", author: "Ada Lovelace")
        let serin = self.serin, api = ["--api", "http://127.0.0.1:\(sandbox.apiPort)"]
        async let plain = offPool { try CommandRun.run(serin, ["get", "web", "--watch"] + api, timeout: .seconds(150)) }
        async let byCommit = offPool { try CommandRun.run(serin, ["get", "web", "--watch", "--commit", commit] + api, timeout: .seconds(150)) }
        let (watched, watchedByCommit) = try await (plain, byCommit)
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: before.sequence, timeout: .seconds(120))
        #expect(end.decision == "Succeeded", "\(end.reason)")
        let released = try #require(detected(sandbox, after: before.sequence))
        for run in [watched, watchedByCommit] {
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("Progressing"), "the watch saw the release: \(run.stdout)")
            #expect(run.stdout.contains("Succeeded"), "\(run.stdout)")
        }
        #expect(sandbox.rollout()?.primaryRevision == released)
        await sandbox.shutDown()
    }
}
