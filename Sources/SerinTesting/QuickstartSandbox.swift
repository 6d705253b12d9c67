import Foundation
import SerinSandbox

/// The quickstart as a throwaway installation for the end-to-end tests and
/// benchmarks: `QuickstartFiles` made into a Git repository, and the
/// operator (`serin run`) as a real process, driven from a test's threads
/// (blocking calls, files read as they change). `serin demo` runs its own,
/// `QuickstartDemo`, over the API.
public final class QuickstartSandbox: @unchecked Sendable {
    // Safe: used by one task at a time (the demo's, or one test's).
    public struct Event: Decodable, Sendable {
        public var sequence: Int
        /// Seconds since 1970.
        public var time: Double
        public var rollout: String
        public var revision: String?
        public var author: String?
        public var decision: String
        public var reason: String
    }

    /// What the rollout's state file says, as far as tests and the demo look.
    public struct Rollout: Decodable, Sendable {
        public struct Routes: Decodable, Sendable { public var canaryWeight: Int }
        public var phase: String
        public var routes: Routes
        public var failedChecks: Int
        public var step: Int
        public var message: String
        public var primaryRevision: String?
        public var canaryRevision: String?
    }

    public let files: QuickstartFiles
    public var root: String { files.root }
    public var repository: String { files.repository }
    public var stateDirectory: String { files.stateDirectory }
    public var configPath: String { files.configPath }
    /// The Prometheus the operator queries: the one given, or the one it manages.
    public var prometheusAddress: String { files.prometheusAddress }
    public var servicePort: Int { files.servicePort }
    public var routerAdminPort: Int { files.routerAdminPort }
    public var apiPort: Int { files.apiPort }
    /// The API's bearer token file (`api.tokenFile`), when the sandbox was given a token.
    public var tokenFile: String? { files.tokenFile }
    /// The source's `webhookSecretFile`, when the sandbox was given a secret.
    public var webhookSecretFile: String? { files.webhookSecretFile }
    public let started = ContinuousClock.now
    private let serin: String
    public private(set) var operatorProcess: Process?

    /// See `QuickstartFiles` for the parameters.
    public init(example: String, serin: String, interval: String = "5s", prometheus: String? = nil,
                routerAdminPort: Int? = nil, requestDurationMax: Int? = nil, root: String? = nil, sourceInterval: String = "1s",
                apiToken: String? = nil, webhookSecret: String? = nil, pollInterval: String = "200ms") throws {
        files = try QuickstartFiles(example: example, interval: interval, prometheus: prometheus, routerAdminPort: routerAdminPort,
                                    requestDurationMax: requestDurationMax, root: root, sourceInterval: sourceInterval,
                                    apiToken: apiToken, webhookSecret: webhookSecret, pollInterval: pollInterval)
        self.serin = serin
        try git(["init", "-q", "-b", "main"])
        try git(["add", "-A"])
        try git(["-c", "user.name=Serin Demo", "-c", "user.email=demo@serin.dev", "commit", "-qm", "The quickstart"])
    }

    /// Replaces text in a file of the repository (not committed).
    public func edit(_ file: String, _ old: String, _ new: String) throws {
        try files.edit(file, old, new)
    }

    public func git(_ arguments: [String]) throws {
        let run = try CommandRun.run("/usr/bin/git", ["-C", repository] + arguments)
        guard run.status == 0 else { throw SandboxError("git \(arguments.joined(separator: " ")) failed: \(run.stderr)") }
    }

    /// Sets an env value of the workload and commits; returns the commit's short id.
    @discardableResult
    public func commit(_ variable: String, to value: String, message: String, author: String) throws -> String {
        try files.setEnvironment(variable, to: value)
        return try commitAll(message, author: author)
    }

    @discardableResult
    public func commitAll(_ message: String, author: String) throws -> String {
        try git(QuickstartFiles.commitArguments(message, author: author))
        let head = try CommandRun.run("/usr/bin/git", ["-C", repository, "rev-parse", "--short=12", "HEAD"])
        return head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func startOperator(arguments extra: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: serin)
        process.arguments = ["run", "--config", configPath] + extra
        let log = root + "/operator.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        operatorProcess = process
    }

    /// SIGKILL: what a crash or the OOM killer does.
    public func killOperator() {
        guard let process = operatorProcess, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        Self.waitForExit(process, within: .seconds(10))
        operatorProcess = nil
    }

    /// Polls rather than `waitUntilExit()`, which spins a run loop at full
    /// CPU on Linux while it waits.
    private static func waitForExit(_ process: Process, within limit: Duration) {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
    }

    /// SIGTERM, and SIGKILL if it has not stopped within 15 s (then the
    /// graceful shutdown is broken, which a test will notice in the log).
    public func stopOperator() {
        guard let process = operatorProcess, process.isRunning else { return }
        process.terminate()
        Self.waitForExit(process, within: .seconds(15))
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        Self.waitForExit(process, within: .seconds(10))
        operatorProcess = nil
    }

    /// The pid of the `serin run` this sandbox started, while it runs.
    public var operatorPID: Int32? { operatorProcess.flatMap { $0.isRunning ? $0.processIdentifier : nil } }

    public var operatorIsRunning: Bool { operatorProcess?.isRunning ?? false }

    public func events() -> [Event] {
        guard let text = try? String(contentsOfFile: stateDirectory + "/events.log", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
    }

    public func rollout(_ key: String = "default.web") -> Rollout? {
        struct Stored: Decodable { var state: Rollout }
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/rollouts/\(key).json") else { return nil }
        return (try? JSONDecoder().decode(Stored.self, from: data))?.state
    }

    /// The process records of the workloads: name → pid.
    public func workloadPIDs() -> [String: Int32] {
        struct Record: Decodable { var pid: Int32 }
        let folder = stateDirectory + "/local/processes"
        var pids: [String: Int32] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".json") {
            if let data = FileManager.default.contents(atPath: folder + "/" + name),
               let record = try? JSONDecoder().decode(Record.self, from: data) {
                pids[String(name.dropLast(5))] = record.pid
            }
        }
        return pids
    }

    /// Waits until an event after `after` decides one of `decisions` for the
    /// rollout (or, with `operatorEvents`, for the operator itself);
    /// `progress` sees every new event and state change meanwhile.
    public func waitForDecision(_ decisions: Set<String>, after: Int = 0, timeout: Duration, operatorEvents: Bool = false,
                                progress: (Event?, Rollout?) -> Void = { _, _ in }) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        var shown = after
        var lastState: String?
        while ContinuousClock.now < deadline {
            for event in events() where event.sequence > shown {
                shown = event.sequence
                progress(event, nil)
                if event.rollout != "-" || operatorEvents, decisions.contains(event.decision) { return event }
            }
            if let state = rollout() {
                let summary = "\(state.phase) \(state.routes.canaryWeight) \(state.step) \(state.failedChecks) \(state.message)"
                if summary != lastState {
                    lastState = summary
                    progress(nil, state)
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SandboxError("timed out waiting for \(decisions.sorted().joined(separator: " or ")); see \(root)/operator.log")
    }

    /// Stops the operator and the data plane it left serving, on a thread of
    /// its own: it takes seconds, and a test's `defer` runs on one of the
    /// few cooperative threads every other test needs.
    /// `tearDown` for the end of a test: waits until everything stopped
    /// without holding a cooperative thread. (A test's `defer` can only call
    /// the fire-and-forget form, which a process exiting right after may cut short.)
    /// The end of a test that passed: everything stopped, then the folder
    /// removed (a failing test's `tearDown` keeps it, logs and state, for
    /// the failure message that points at it).
    public func shutDown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                tearDown(waiting: true)
                try? FileManager.default.removeItem(atPath: root)
                continuation.resume()
            }.start()
        }
    }

    public func tearDown(waiting: Bool = false) {
        let done = DispatchSemaphore(value: 0)
        _ = Self.waitForTearDownsAtExit
        Self.tearDowns.enter()
        Thread { [self] in
            stopOperator()
            _ = try? CommandRun.run(serin, ["down", "--config", configPath], timeout: .seconds(60))
            done.signal()
            Self.tearDowns.leave()
        }.start()
        if waiting { done.wait() }
    }

    /// Tear-downs still running: the process waits for them when it exits,
    /// or a test that failed last would leave its router and Prometheus
    /// serving (they outlive the operator by design).
    private static let tearDowns = DispatchGroup()
    private static let waitForTearDownsAtExit: Void = {
        atexit { _ = QuickstartSandbox.tearDowns.wait(timeout: .now() + 60) }
    }()
}
