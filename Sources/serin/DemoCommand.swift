import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SerinEngine
import SerinLocal

/// `serin demo`: the quickstart end to end on this machine. A temporary Git
/// repository, a real Prometheus, the operator, steady traffic; then a good
/// release (promoted) and a release answering 20% errors (rolled back by
/// itself), shown live, with a summary at the end.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Release the quickstart twice on this machine: a good revision is promoted, a bad one rolled back."
    )

    @Option(help: "The quickstart folder (a Git repository is made from a copy of it).")
    var example = "examples/quickstart"

    @Option(help: "The Canary's analysis interval for the demo.")
    var interval = "5s"

    @Option(name: .customLong("summary-json"), help: "Also write the summary as JSON to this file.")
    var summaryJSON: String?

    @Option(help: "Give up after this many seconds.")
    var timeout = 220

    func run() async throws {
        let demo = try DemoRun(example: example, interval: interval)
        defer { demo.cleanUp() }
        let deadline = ContinuousClock.now + .seconds(timeout)
        demo.say("Serin demo in \(demo.root)")
        try demo.startOperator()
        demo.say("operator started (state in \(demo.stateDirectory)); waiting for the first revision to serve on 127.0.0.1:\(demo.servicePort)")
        try await demo.waitForPhase(["Initialized", "Succeeded"], deadline: deadline)
        let traffic = TrafficLoop(port: demo.servicePort)
        let load = Task { await traffic.run() }
        demo.say("steady traffic: about 50 requests/s to 127.0.0.1:\(demo.servicePort)")
        try await Task.sleep(for: .seconds(3))

        let good = try demo.commit("MESSAGE", to: "hello again", message: "A good release: a new greeting", author: "Ada Lovelace")
        demo.say("committed a good release (\(good)): expect it to be promoted")
        let goodPhase = try await demo.waitForPhase(["Succeeded", "Failed"], after: demo.lastSequence, deadline: deadline)

        let bad = try demo.commit("ERROR_RATE", to: "0.2", message: "A bad release: 20% of answers are 500", author: "Eve Mallory")
        demo.say("committed a bad release (\(bad)): 20% of its answers are errors; expect an automatic rollback")
        let badPhase = try await demo.waitForPhase(["Succeeded", "Failed"], after: demo.lastSequence, deadline: deadline)
        try await Task.sleep(for: .seconds(2))
        load.cancel()
        let counts = await traffic.snapshot()

        let events = demo.events()
        let summary = DemoSummary(goodRelease: goodPhase, badRelease: badPhase, traffic: counts, events: events.count,
                                  decisions: events.filter { $0.rollout != "-" }.map(\.decision),
                                  eventLogComplete: events.map(\.sequence) == Array(1...max(1, events.count)),
                                  seconds: Int((ContinuousClock.now - demo.started).components.seconds))
        print("")
        print(summary.text)
        if let summaryJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(summary).write(to: URL(fileURLWithPath: summaryJSON))
        }
        guard goodPhase == "Succeeded", badPhase == "Failed" else { throw ExitCode(1) }
    }
}

struct DemoSummary: Codable {
    var goodRelease: String
    var badRelease: String
    /// "status revision" → requests.
    var traffic: [String: Int]
    var events: Int
    /// The rollout's decisions in the audit log, in order.
    var decisions: [String]
    /// The log's sequence numbers run from 1 with no gap.
    var eventLogComplete: Bool
    var seconds: Int

    var text: String {
        var lines = ["Summary (\(seconds) s):",
                     "  good release: \(goodRelease == "Succeeded" ? "promoted" : goodRelease)",
                     "  bad release:  \(badRelease == "Failed" ? "rolled back automatically" : badRelease)",
                     "  traffic (status, revision that answered):"]
        for key in traffic.keys.sorted() { lines.append("    \(String(traffic[key]!).leftPadded(6))  \(key)") }
        lines.append("  \(events) events in the audit log")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// The demo's files and processes.
final class DemoRun: @unchecked Sendable {
    // Safe: used from the demo's one task only (the traffic loop has its own state).
    let root: String
    let repository: String
    let stateDirectory: String
    let servicePort: Int
    let started = ContinuousClock.now
    private let configPath: String
    private var operatorProcess: Process?
    private(set) var lastSequence = 0
    private var shownSequence = 0
    private var lastLine = ""

    init(example: String, interval: String) throws {
        guard FileManager.default.fileExists(atPath: example + "/deploy/workload.yaml") else {
            throw ValidationError("\(example) is not the quickstart folder (no deploy/workload.yaml); run from the repository or pass --example")
        }
        root = NSTemporaryDirectory() + "serin-demo-\(getpid())"
        repository = root + "/repo"
        stateDirectory = root + "/state"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: example, toPath: repository)
        servicePort = try LoopbackPort.pick()
        let prometheusPort = try LoopbackPort.pick()
        let adminPort = try LoopbackPort.pick()
        let apiPort = try LoopbackPort.pick()
        try Self.edit(repository + "/deploy/workload.yaml", "port: 8080", "port: \(servicePort)")
        try Self.edit(repository + "/deploy/canary.yaml", "interval: 10s", "interval: \(interval)")
        configPath = root + "/serin.yaml"
        try """
        stateDir: \(stateDirectory)
        platform: local
        prometheus: { managed: true, listen: 127.0.0.1:\(prometheusPort) }
        router: { admin: 127.0.0.1:\(adminPort) }
        api: { listen: 127.0.0.1:\(apiPort) }
        pollInterval: 200ms
        sources:
          - name: quickstart
            url: file://\(repository)
            ref: { branch: main }
            path: deploy
            interval: 1s

        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        try git(["init", "-q", "-b", "main"])
        try git(["add", "-A"])
        try git(["-c", "user.name=Serin Demo", "-c", "user.email=demo@serin.dev", "commit", "-qm", "The quickstart"])
    }

    static func edit(_ path: String, _ old: String, _ new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw ValidationError("\(path) has no \"\(old)\" to change") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    func git(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", repository] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("git \(arguments.joined(separator: " ")) failed") }
    }

    /// Changes an env value of the workload and commits it; returns the commit's short id.
    func commit(_ variable: String, to value: String, message: String, author: String) throws -> String {
        let path = repository + "/deploy/workload.yaml"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        guard let range = text.range(of: "- name: \(variable)\n        value: ") else { throw ValidationError("no \(variable) in \(path)") }
        let lineEnd = text[range.upperBound...].firstIndex(of: "\n") ?? text.endIndex
        text.replaceSubrange(range.upperBound..<lineEnd, with: "\"\(value)\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let email = author.lowercased().replacingOccurrences(of: " ", with: ".") + "@example.com"
        try git(["-c", "user.name=\(author)", "-c", "user.email=\(email)", "commit", "-qam", message])
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", repository, "rev-parse", "--short=12", "HEAD"]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func startOperator() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RunCommand.executablePath())
        process.arguments = ["run", "--config", configPath]
        let log = root + "/operator.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        operatorProcess = process
    }

    func events() -> [EventLog.Entry] {
        guard let text = try? String(contentsOfFile: stateDirectory + "/events.log", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(EventLog.Entry.self, from: Data($0.utf8)) }
    }

    func say(_ text: String) {
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        FileHandle.standardOutput.write(Data((String(format: "[%3ds] ", seconds) + text + "\n").utf8))
    }

    /// Shows the rollout's progress until its phase is one of `phases`
    /// (decided by an event after `after`); returns that phase.
    @discardableResult
    func waitForPhase(_ phases: [String], after: Int = 0, deadline: ContinuousClock.Instant) async throws -> String {
        while ContinuousClock.now < deadline {
            for event in events() where event.sequence > shownSequence {
                shownSequence = event.sequence
                if event.rollout == "-" && event.decision == "platform" { continue }
                say("\(event.decision): \(event.reason)")
                if event.sequence > after, phases.contains(event.decision), event.rollout != "-" {
                    lastSequence = event.sequence
                    return event.decision
                }
            }
            if let data = FileManager.default.contents(atPath: stateDirectory + "/rollouts/default.web.json"),
               let stored = try? JSONDecoder().decode(StoredRollout.self, from: data) {
                let state = stored.state
                let bar = String(repeating: "█", count: state.routes.canaryWeight / 5) + String(repeating: "░", count: 20 - state.routes.canaryWeight / 5)
                let line = "  \(state.phase.rawValue): canary \(bar) \(state.routes.canaryWeight)%  step \(state.step)  failed checks \(state.failedChecks)  \(state.message)"
                if line != lastLine {
                    lastLine = line
                    say(line)
                }
            }
            if let process = operatorProcess, !process.isRunning {
                throw ValidationError("the operator exited; see \(root)/operator.log")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ValidationError("timed out waiting for \(phases.joined(separator: " or ")); see \(root)/operator.log")
    }

    /// Stops the operator, then the data plane it left serving.
    func cleanUp() {
        if let process = operatorProcess, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        let down = Process()
        down.executableURL = URL(fileURLWithPath: RunCommand.executablePath())
        down.arguments = ["down", "--config", configPath]
        down.standardOutput = FileHandle.nullDevice
        down.standardError = FileHandle.nullDevice
        try? down.run()
        down.waitUntilExit()
        say("stopped every process the demo started; files kept in \(root)")
    }
}

/// About 50 requests/s, counted by status and by the revision that
/// answered (the app says it).
actor TrafficLoop {
    private var counts: [String: Int] = [:]
    private let port: Int

    init(port: Int) {
        self.port = port
    }

    func run() async {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 5
        let session = URLSession(configuration: configuration)
        let url = URL(string: "http://127.0.0.1:\(port)/")!
        while !Task.isCancelled {
            let key: String
            do {
                let (data, response) = try await session.data(from: url)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                let body = String(decoding: data, as: UTF8.self)
                // "hello from primary 346145084c67": the revision is the last word.
                let revision = body.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
                key = status == 200 ? "200 revision \(revision)" : "\(status)"
            } catch {
                key = "connection error"
            }
            counts[key, default: 0] += 1
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func snapshot() -> [String: Int] { counts }
}
