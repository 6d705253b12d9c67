import Foundation
import SerinTesting
import Testing

/// `serin load` against the quickstart's app, a real HTTP server that names
/// its revision in `X-Serin-Revision`, and against a port that refuses.
@Suite struct LoadCommandTests {
    let serin = Products.executable("serin")

    func app(revision: String, errorRate: String) throws -> ServerProcess {
        let port = try Loopback.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["SERIN_REVISION"] = revision
        environment["SERIN_ROLE"] = "primary"
        environment["ERROR_RATE"] = errorRate
        return try ServerProcess("/usr/bin/env", ["python3", Products.repositoryRoot + "/examples/quickstart/app/app.py", "--port", String(port)],
                                 port: port, environment: environment)
    }

    /// Answers, and counts by code and by revision, from a line of `serin load`:
    /// ` 3s  120 answers  200: 84  500: 36  revisions: 7f3a9c1e5b2d 120`.
    func counts(_ line: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for field in line.components(separatedBy: "  ").map({ $0.trimmingCharacters(in: .whitespaces) }) where !field.isEmpty {
            if field.hasPrefix("revisions: ") {
                for entry in field.dropFirst("revisions: ".count).components(separatedBy: ", ") {
                    let pair = entry.split(separator: " ")
                    if pair.count == 2 { counts["revision " + pair[0]] = Int(pair[1]) }
                }
            } else if field.hasSuffix(" answers") {
                let words = field.split(separator: " ")
                counts["answers"] = Int(words[words.count - 2])
            } else if let colon = field.range(of: ": ", options: .backwards) {
                counts[String(field[..<colon.lowerBound])] = Int(field[colon.upperBound...])
            }
        }
        return counts
    }

    @Test func countsAnswersByCodeAndRevisionEverySecondThenSums() throws {
        let server = try app(revision: "7f3a9c1e5b2d8f00", errorRate: "0.3")
        defer { server.stop() }
        let run = try CommandRun.run(serin, ["load", "http://127.0.0.1:\(server.port)/", "--rps", "40", "--duration", "3s"], timeout: .seconds(30))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        // Not a terminal: a plain line a second, then the summary.
        #expect(lines.count == 4, "\(run.stdout)")
        #expect(lines.dropLast().map { $0.trimmingCharacters(in: .whitespaces).prefix(3) } == ["1s ", "2s ", "3s "], "\(run.stdout)")
        let summary = try #require(lines.last)
        #expect(summary.hasPrefix("stopped after 3s: "), "\(summary)")
        let total = counts(summary)
        let answers = try #require(total["answers"])
        // 40 a second for 3 s, give or take the requests in flight at the end.
        #expect((100...121).contains(answers), "\(summary)")
        let ok = total["200"] ?? 0, errors = total["500"] ?? 0
        #expect(ok + errors == answers && ok > 0 && errors > 0, "\(summary)")
        // The app names its revision by its first 12 characters, errors included.
        #expect(total["revision 7f3a9c1e5b2d"] == answers, "\(summary)")
        #expect(total["no answer"] == nil)
    }

    @Test func aPortThatRefusesIsCountedAsNoAnswer() throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        let run = try CommandRun.run(serin, ["load", "http://\(refusing.address)/", "--rps", "20", "--duration", "1s"], timeout: .seconds(30))
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        #expect(summary.hasPrefix("stopped after 1s: "), "\(summary)")
        #expect((15...21).contains(counts(summary)["no answer"] ?? 0), "\(summary)")
        #expect(!summary.contains("revisions:"), "\(summary)")
    }

    @Test func sigtermStopsItWithTheSummary() async throws {
        let server = try app(revision: "abc", errorRate: "0")
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = directory.path + "/out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: serin)
        process.arguments = ["load", "http://127.0.0.1:\(server.port)/", "--rps", "20"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Stopped once its live line counted 30 answers (1.5 s at 20 a second on a quiet machine).
        try await eventually("30 answers on the live line") {
            let lines = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return lines.contains { (counts($0)["answers"] ?? 0) >= 30 }
        }
        process.terminate()
        try? await eventually("serin load exits") { !process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(text)")
        let summary = try #require(text.split(separator: "\n").last.map(String.init))
        #expect(summary.hasPrefix("stopped after "), "\(text)")
        #expect(counts(summary)["revision abc"] ?? 0 >= 30, "\(text)")
    }

    @Test func refusesWhatItCannotSend() throws {
        for arguments in [["load", "127.0.0.1:8080"], ["load", "http://127.0.0.1:1/", "--rps", "0"],
                          ["load", "http://127.0.0.1:1/", "--duration", "soon"]] {
            let run = try CommandRun.run(serin, arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(!run.stderr.isEmpty)
        }
    }
}

/// `serin logs` on a state directory laid out as the local platform leaves it.
@Suite struct LogsCommandTests {
    let serin = Products.executable("serin")

    func installation() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let config = try directory.write("serin.yaml", """
        stateDir: \(directory.path)/state
        prometheus: { address: http://127.0.0.1:9090 }
        sources:
          - { name: app, url: file:///nonexistent, path: deploy }

        """)
        return (directory, config)
    }

    @Test func printsEachProcesssLinesAfterItsName() throws {
        let (directory, config) = try installation()
        defer { directory.remove() }
        try directory.write("state/local/logs/web-primary-0.log", "serving revision a as primary\n")
        try directory.write("state/local/logs/web-canary-2.log", "serving revision b as canary\n")
        let all = try CommandRun.run(serin, ["logs", "web", "--config", config])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout == "[web-primary-0] serving revision a as primary\n[web-canary-2] serving revision b as canary\n")
        let canary = try CommandRun.run(serin, ["logs", "web", "--role", "canary", "--config", config])
        #expect(canary.stdout == "[web-canary-2] serving revision b as canary\n")
        let none = try CommandRun.run(serin, ["logs", "api", "--config", config])
        #expect(none.status == 1)
        #expect(none.stderr == "serin logs: no logs of workload api in \(directory.path)/state/local/logs\n")
    }

    @Test func followPrintsNewLinesAndNewProcesses() async throws {
        let (directory, config) = try installation()
        defer { directory.remove() }
        let primary = try directory.write("state/local/logs/web-primary-0.log", "first\n")
        let output = directory.path + "/out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: serin)
        process.arguments = ["logs", "web", "-f", "--config", config]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        func printed() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String) async -> Bool {
            (try? await eventually("\(text) printed") { printed().contains(text) }) != nil
        }
        #expect(await waitFor("[web-primary-0] first\n"), "\(printed())")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: primary))
        handle.seekToEndOfFile()
        handle.write(Data("second\n".utf8))
        try handle.close()
        #expect(await waitFor("[web-primary-0] second\n"), "\(printed())")
        try directory.write("state/local/logs/web-canary-1.log", "canary\n")
        #expect(await waitFor("[web-canary-1] canary\n"), "\(printed())")
        #expect(printed() == "[web-primary-0] first\n[web-primary-0] second\n[web-canary-1] canary\n")
    }
}
