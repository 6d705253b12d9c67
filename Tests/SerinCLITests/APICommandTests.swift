import Foundation
import SerinEngine
import SerinServerTesting
import SerinTesting
import Testing

/// The real `serin` binary against a real API server (backed by
/// `FakeOperator`) in this test process.
@Suite struct APICommandTests {
    let serin = Products.executable("serin")

    /// Runs serin off the cooperative pool: `CommandRun` waits by polling,
    /// and the server under test needs those threads.
    func runSerin(_ arguments: [String]) async throws -> CommandRun {
        let serin = self.serin
        return try await offPool { try CommandRun.run(serin, arguments, timeout: .seconds(120)) }
    }

    @Test func statusPrintsSourcesWorkloadsAndTheGoldenRolloutTable() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let run = try await runSerin(["status", "--api", "http://127.0.0.1:\(port)"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.isEmpty)
            #expect(run.stdout.hasSuffix("ROLLOUTS\n" + (try Golden.text("status"))), "\(run.stdout)")
            #expect(run.stdout.hasPrefix("SOURCES\nNAME      REVISION           AGE"), "\(run.stdout)")
            let platform = run.stdout.split(separator: "\n").first { $0.hasPrefix("platform ") }.map { $0.split(separator: " ").map(String.init) }
            // Not ready, not suspended, and why.
            #expect(platform?.dropFirst(3).prefix(2) == ["False", "False"], "\(run.stdout)")
            #expect(run.stdout.contains("False      search/canary.yaml:12:19: error: analysis.stepWeight must be between 1 and 100, got 150"), "\(run.stdout)")
            let worker = run.stdout.split(separator: "\n").first { $0.hasPrefix("worker ") }.map { $0.split(separator: " ").map(String.init) }
            #expect(worker?.prefix(4) == ["worker", "Workload", "77aa88bb99cc", "0/1"], "\(run.stdout)")
        }
    }

    @Test func getListsAndShowsSourcesAndWorkloads() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let api = ["--api", "http://127.0.0.1:\(port)"]
            let sources = try await runSerin(["get", "sources"] + api)
            #expect(sources.status == 0, "\(sources.stderr)")
            #expect(sources.stdout.hasPrefix("NAME      REVISION           AGE"), "\(sources.stdout)")
            let source = try await runSerin(["get", "source", "platform"] + api)
            #expect(source.status == 0, "\(source.stderr)")
            #expect(source.stdout.contains("refused:   main@sha1:2222222222222222222222222222222222222222"), "\(source.stdout)")
            let workloads = try await runSerin(["get", "workloads"] + api)
            #expect(workloads.stdout.contains("test/podinfo  Deployment"), "\(workloads.stdout)")
            let workload = try await runSerin(["get", "workload", "default/worker"] + api)
            #expect(workload.status == 0, "\(workload.stderr)")
            #expect(workload.stdout.contains("port 8090: address already in use"), "\(workload.stdout)")
            let rollouts = try await runSerin(["get", "rollouts"] + api)
            #expect(rollouts.stdout == (try Golden.text("status")))
            let missing = try await runSerin(["get", "source", "nope"] + api)
            #expect(missing.status == 1)
            #expect(missing.stderr == "serin get: no source named \"nope\"\n")
            let wrong = try await runSerin(["get", "web", "extra"] + api)
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("is not sources, workloads or rollouts"), "\(wrong.stderr)")
        }
    }

    @Test func outputYAMLIsTheAPIsDocumentAsYAML() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let run = try await runSerin(["get", "source", "platform", "-o", "yaml", "--api", "http://127.0.0.1:\(port)"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.hasPrefix("commit:\n  author: Grace Hopper <grace@example.com>\n"), "\(run.stdout)")
            #expect(run.stdout.contains("- status: \"False\"\n") || run.stdout.contains("  status: \"False\"\n"), "\(run.stdout)")
            #expect(run.stdout.contains("warnings: []\n"), "\(run.stdout)")
            let web = try await runSerin(["get", "web", "-o", "yaml", "--api", "http://127.0.0.1:\(port)"])
            #expect(web.stdout.contains("canaryWeight: 40\n"), "\(web.stdout)")
        }
    }

    @Test func commandsNeedTheTokenAndExitByTheAnswer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", "s3cret-token\n")
        let tokenFile = directory.path + "/token"
        let control = FakeOperator()
        try await withAPIServer(control, token: "s3cret-token") { port in
            let api = ["--api", "http://127.0.0.1:\(port)"]
            let promoted = try await runSerin(["promote", "web", "--token-file", tokenFile] + api)
            #expect(promoted.status == 0, "\(promoted.stderr)")
            #expect(promoted.stdout == "promote web: requested\n")

            let conflict = try await runSerin(["abort", "api", "--token-file", tokenFile] + api)
            #expect(conflict.status == 1)
            #expect(conflict.stderr == "serin abort: cannot abort api: it is Succeeded\n")

            let unknown = try await runSerin(["pause", "nope", "--token-file", tokenFile] + api)
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "serin pause: no rollout named \"nope\"\n")

            try directory.write("wrong", "guess\n")
            let wrong = try await runSerin(["resume", "web", "--token-file", directory.path + "/wrong"] + api)
            #expect(wrong.status == 2)
            #expect(wrong.stderr == "serin resume: unauthorized: wrong token\n")

            let noToken = try await runSerin(["retry", "search"] + api)
            #expect(noToken.status == 2)
            #expect(noToken.stderr.contains("--token-file"))
        }
        #expect(control.commands.map(\.command) == [.promote])
        #expect(control.commands.map(\.caller) == [ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 }])
    }

    @Test func getAndHistoryReadOneRollout() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let api = ["--api", "http://127.0.0.1:\(port)"]
            let get = try await runSerin(["get", "web"] + api)
            #expect(get.status == 0, "\(get.stderr)")
            #expect(get.stdout.contains("▶ 3. set canary weight to 40%"))
            let history = try await runSerin(["history", "web"] + api)
            #expect(history.status == 0, "\(history.stderr)")
            #expect(history.stdout.hasPrefix("REVISION      COMMIT   AUTHOR"))
            let missing = try await runSerin(["get", "nope"] + api)
            #expect(missing.status == 1)
            #expect(missing.stderr == "serin get: no rollout named \"nope\"\n")
        }
    }

    @Test func outputJSONIsTheAPIsDocument() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let api = ["--api", "http://127.0.0.1:\(port)"]
            let status = try await runSerin(["status", "-o", "json"] + api)
            #expect(status.status == 0, "\(status.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            let list = document?["rollouts"] as? [[String: Any]]
            #expect(list?.compactMap { $0["name"] as? String }.contains("web") == true, "\(status.stdout)")
            #expect((document?["sources"] as? [Any])?.count == 2)
            #expect((document?["workloads"] as? [Any])?.count == 3)
            let get = try await runSerin(["get", "web", "--output", "json"] + api)
            #expect(get.status == 0, "\(get.stderr)")
            let rollout = try JSONSerialization.jsonObject(with: Data(get.stdout.utf8)) as? [String: Any]
            #expect(rollout?["name"] as? String == "web")
            #expect(rollout?["canaryWeight"] as? Int == 40)
            let history = try await runSerin(["history", "web", "-o", "json"] + api)
            #expect(history.status == 0, "\(history.stderr)")
            #expect((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [Any])?.isEmpty == false)
            let both = try await runSerin(["get", "web", "--watch", "-o", "json"] + api)
            #expect(both.status != 0)
            #expect(both.stderr.contains("without --watch"), "\(both.stderr)")
        }
    }

    @Test func watchIntoAPipeEndsWhenTheReleaseDoes() async throws {
        // No sources: nothing newer can come, a release already done is the answer.
        try await withAPIServer(FakeOperator(sourceReports: [])) { port in
            let run = try await runSerin(["get", "api", "--watch", "--api", "http://127.0.0.1:\(port)"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "api: Succeeded, step 7/7, canary weight 0% (promoted 9c8b7a6d5e4f)\n")
            let failed = try await runSerin(["get", "search", "--watch", "--api", "http://127.0.0.1:\(port)"])
            #expect(failed.status == 1)
        }
    }

    @Test func watchFollowsTheRolloutsEvents() async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            // Looking only once a minute by itself: what ends the watch early is the event.
            let serin = self.serin
            let watching = Task { try await offPool { try CommandRun.run(serin, ["get", "web", "--watch", "--refresh", "60", "--api", "http://127.0.0.1:\(port)"], timeout: .seconds(120)) } }
            let opening = ContinuousClock.now + .seconds(60)
            while control.openStreams == 0 {
                #expect(ContinuousClock.now < opening, "no event stream opened")
                if ContinuousClock.now > opening { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            let started = ContinuousClock.now
            control.update("web") {
                $0.phase = .succeeded
                $0.canaryWeight = 0
                $0.step = 7
                $0.message = "promoted a1b2c3d4e5f6"
            }
            control.publish(EventLog.Entry(time: 1_790_000_000, rollout: "default/web", revision: "a1b2c3d4e5f6", author: nil,
                                           decision: "promoted", reason: "all steps passed"))
            let run = try await watching.value
            #expect(run.status == 0, "\(run.stderr)")
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(run.stdout.hasPrefix("web: Progressing, step 3/7, canary weight 40%"), "\(run.stdout)")
            #expect(run.stdout.contains("phase Progressing → Succeeded: promoted a1b2c3d4e5f6"), "\(run.stdout)")
        }
    }

    @Test func watchWaitsForASyncAfterItStartedBeforeCallingAReleaseDone() async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            let serin = self.serin
            let watching = Task { try await offPool { try CommandRun.run(serin, ["get", "api", "--watch", "--refresh", "0.2", "--api", "http://127.0.0.1:\(port)"], timeout: .seconds(60)) } }
            try await eventually("the watch opens its event stream") { control.openStreams > 0 }
            // It looked at the sources again and again (every 0.2 s) and saw no sync since it began.
            let reads = control.sourceReads
            try await eventually("the watch looks at the sources 3 more times") { control.sourceReads >= reads + 3 }
            #expect(control.openStreams == 1, "still waiting: no source synced since the watch began")
            // The sync brings a release of api that fails.
            control.update("api") {
                $0.phase = .failed
                $0.message = "rolled back"
            }
            for source in ["deploy", "platform"] { control.updateSource(source) { $0.lastSyncTime = Date().timeIntervalSince1970 } }
            let run = try await watching.value
            #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
            #expect(run.stdout.contains("Failed"), "\(run.stdout)")
        }
    }

    @Test func watchOfARevisionOrCommitFollowsThatRelease() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let api = ["--api", "http://127.0.0.1:\(port)"]
            let history = try await runSerin(["history", "web", "-o", "json"] + api)
            let rows = try JSONDecoder().decode([RevisionHistoryEntry].self, from: Data(history.stdout.utf8))
            let good = try #require(rows.first { $0.outcome == .succeeded })
            let byRevision = try await runSerin(["get", "web", "--watch", "--revision", String(good.revision.prefix(8))] + api)
            #expect(byRevision.status == 0, "\(byRevision.stdout)")
            let byCommit = try await runSerin(["get", "web", "--watch", "--commit", String(try #require(good.commit).prefix(7))] + api)
            #expect(byCommit.status == 0, "\(byCommit.stdout)")
            // A full id (git rev-parse HEAD) against the 12 characters history keeps.
            let full = try #require(good.commit).padding(toLength: 40, withPad: "0", startingAt: 0)
            let byFullCommit = try await runSerin(["get", "web", "--watch", "--commit", full] + api)
            #expect(byFullCommit.status == 0, "\(byFullCommit.stdout)")
            let aborted = try await runSerin(["get", "web", "--watch", "--revision", "c0ffee00"] + api)
            #expect(aborted.status == 1)
            #expect(aborted.stdout.hasSuffix("c0ffee00c0ff: aborted\n"), "\(aborted.stdout)")
            let refused = try await runSerin(["get", "web", "--watch", "--commit", "22222222"] + api)
            #expect(refused.status == 1)
            #expect(refused.stdout.contains("commit 22222222 was refused: search/canary.yaml:12:19"), "\(refused.stdout)")
            let both = try await runSerin(["get", "web", "--watch", "--revision", "a", "--commit", "abcd"] + api)
            #expect(both.status != 0)
            let unwatched = try await runSerin(["get", "web", "--commit", "abcd"] + api)
            #expect(unwatched.stderr.contains("choose which release --watch follows"), "\(unwatched.stderr)")
        }
    }

    @Test func anUnreachableAPIExitsTwo() async throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let run = try await runSerin(["status", "--api", "http://127.0.0.1:\(port)"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("serin status: cannot reach the Serin API at http://127.0.0.1:\(port)"))
    }
}
