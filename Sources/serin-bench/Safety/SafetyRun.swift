import Foundation
import SerinTesting

/// One scenario with one seed through the real stack: a fresh quickstart
/// sandbox (`serin run` with its router and managed Prometheus), a good
/// primary, steady traffic from a separate process, then the scenario's
/// release(s) and faults. The verdict is read from the sandbox's event log.
struct SafetyRun {
    struct Settings: Sendable {
        var serin: String
        var example: String
        /// As written in the Canary (`2s`), and in seconds.
        var interval: String
        var intervalSeconds: Double
        var rps: Double
        var requestDurationMax: Int?
        /// Seconds from a release's commit to giving up on its verdict.
        var decisionTimeout: Double
        /// Where each run's folder goes.
        var folder: String
        var plan: PlanFigures
        /// How long a restarted Prometheus took to be ready last time: the
        /// restart begins that much before the outage's end, so the outage
        /// (kill to ready again) lasts what the scenario says.
        var prometheusStartup = 0.5
    }

    struct ReleaseResult {
        var expected: SafetyScenario.Verdict
        var decision: String?
        var reason = ""
        /// Seconds since 1970.
        var commitTime = 0.0
        var decisionTime: Double?
        var revision: String?
        var peakWeight = 0
        /// Answers the release's revision made up to the decision, and how
        /// many of them were 5xx: its blast radius.
        var served = 0
        var served5xx = 0
        /// Answers it made after the decision (after a rollback: none).
        var servedAfter = 0

        var actual: SafetyScenario.Verdict { SafetyScenario.Verdict(decision: decision) }
        var decisionSeconds: Double? { decisionTime.map { $0 - commitTime } }
    }

    struct Result {
        var scenario: SafetyScenario
        var seed: Int
        var releases: [ReleaseResult]
        /// From the first commit on: requests sent, no HTTP answer, 5xx the router made itself.
        var requests = 0
        var connectionErrors = 0
        var router5xx = 0
        /// The plan's minimum blast radius: requests at the first step for `threshold` intervals.
        var planMinimumBlast = 0.0
        /// Kill to ready again, when Prometheus was taken down and came back
        /// before the verdict; and the restart alone.
        var outageSeconds: Double?
        var prometheusStartup: Double?
        var gateCalls: [(time: Double, status: Int)] = []
        var timeline: [String] = []
        var wallSeconds = 0.0
        /// The run's folder, kept when its verdict was wrong (or with --keep).
        var folder: String?

        var correct: Bool { releases.allSatisfy { $0.actual == $0.expected } }
    }

    let scenario: SafetyScenario
    let seed: Int
    let timing: SafetyScenario.Timing
    let settings: Settings

    func perform(keep: Bool) async throws -> Result {
        let started = ContinuousClock.now
        let root = settings.folder + "/\(scenario.id)-seed\(seed)"
        let sandbox = try QuickstartSandbox(example: settings.example, serin: settings.serin, interval: settings.interval,
                                            requestDurationMax: settings.requestDurationMax, root: root)
        var result = Result(scenario: scenario, seed: seed, releases: scenario.releases.map { ReleaseResult(expected: $0.expected) })
        result.planMinimumBlast = settings.plan.minimumBlast(rps: settings.rps)
        let prometheus = PrometheusOutage(sandbox: sandbox)
        var gate: GateServer?
        var load: LoadGenerator?
        defer {
            load?.stop()
            sandbox.tearDown(waiting: true)
            prometheus.stopRestarted()
            gate?.stop()
            if !keep && result.correct { try? FileManager.default.removeItem(atPath: root) }
        }

        // The primary: the quickstart with the bench's knobs, and for a gate
        // scenario the confirm-promotion webhook.
        try sandbox.edit("deploy/workload.yaml", "      - name: MESSAGE\n        value: \"hello\"\n", """
              - name: MESSAGE
                value: "hello"
              - name: SEED
                value: "\(seed)"
              - name: DEGRADE_AFTER_S
                value: "0"
              - name: DEGRADE_ERROR_RATE
                value: "1"

        """)
        if scenario.fault == .closedPromotionGate {
            try FileManager.default.createDirectory(atPath: root + "/gate", withIntermediateDirectories: true)
            let server = try GateServer(directory: root + "/gate")
            gate = server
            try sandbox.edit("deploy/canary.yaml", "    alerts:\n", """
                webhooks:
                  - name: confirm-promotion
                    type: confirm-promotion
                    url: \(server.url)
                    timeout: 2s
                alerts:

            """)
        }
        if scenario.builtinChecksOnly {
            try sandbox.edit("deploy/canary.yaml", """
                  - name: error-ratio
                    templateRef: { name: error-ratio }
                    interval: 30s
                    thresholdRange: { max: 0.01 }
                    onNoData: hold

            """, "")
        }
        try sandbox.commitAll("The benchmark's primary (seed \(seed))", author: "Serin Bench")
        try sandbox.startOperator()
        _ = try await sandbox.waitForDecision(["Initialized", "Succeeded"], timeout: .seconds(90))
        let generator = try LoadGenerator(port: sandbox.servicePort, rps: settings.rps, directory: root)
        load = generator
        // Traffic on the primary first, and a commit at a seeded point of the interval.
        try await Task.sleep(for: .seconds(3 + timing.jitter * settings.intervalSeconds))

        let events = EventTail(path: sandbox.stateDirectory + "/events.log")
        _ = events.newEvents()
        let outageAfterWeight = timing.jitter * settings.intervalSeconds / 2
        if case .noTraffic = scenario.fault { generator.pause() }
        var current = 0
        result.releases[0].commitTime = try commit(scenario.releases[0], number: 1, to: sandbox)
        let firstCommit = result.releases[0].commitTime
        var firstWeightAt: Double?
        var lastState = ""
        var finished = false
        while !finished {
            let now = Date().timeIntervalSince1970
            for event in events.newEvents() where event.rollout != "-" && !finished {
                if event.decision == "detected" && result.releases[current].revision == nil {
                    result.releases[current].revision = event.revision
                }
                guard event.decision == "Succeeded" || event.decision == "Failed" else { continue }
                result.releases[current].decision = event.decision
                result.releases[current].decisionTime = event.time
                result.releases[current].reason = event.reason
                result.timeline.append(Self.at(event.time - firstCommit) + event.decision)
                if current + 1 < scenario.releases.count {
                    // No pause: the next release goes in as soon as the verdict is logged.
                    current += 1
                    result.releases[current].commitTime = try commit(scenario.releases[current], number: current + 1, to: sandbox)
                } else {
                    finished = true
                }
            }
            if finished { break }
            if let state = sandbox.rollout() {
                result.releases[current].peakWeight = max(result.releases[current].peakWeight, state.routes.canaryWeight)
                if state.routes.canaryWeight > 0 && firstWeightAt == nil { firstWeightAt = now }
                let summary = "\(state.phase) \(state.routes.canaryWeight)%"
                if summary != lastState {
                    lastState = summary
                    result.timeline.append(Self.at(now - firstCommit) + summary)
                }
            }
            switch scenario.fault {
            case .none:
                break
            case .noTraffic(let seconds):
                if now >= firstCommit + seconds && FileManager.default.fileExists(atPath: generator.pauseFile) {
                    generator.resume()
                    result.timeline.append(String(format: "%.1fs traffic resumes", now - firstCommit))
                }
            case .prometheusDown(let seconds):
                if prometheus.killedAt == nil, let firstWeightAt, now >= firstWeightAt + outageAfterWeight {
                    try prometheus.kill()
                    result.timeline.append(String(format: "%.1fs Prometheus killed", now - firstCommit))
                } else if let killed = prometheus.killedAt, prometheus.backAt == nil,
                          now >= killed + max(0.5, seconds - settings.prometheusStartup) {
                    let restarting = Date().timeIntervalSince1970
                    try await prometheus.restart()
                    result.outageSeconds = prometheus.outageSeconds
                    result.prometheusStartup = prometheus.backAt.map { $0 - restarting }
                    result.timeline.append(String(format: "%.1fs Prometheus ready again", Date().timeIntervalSince1970 - firstCommit))
                }
            case .closedPromotionGate:
                if let gate, now >= firstCommit + timing.gateOpensAfterCommit, !FileManager.default.fileExists(atPath: gate.directory + "/gate-open") {
                    gate.open()
                    result.timeline.append(String(format: "%.1fs gate opens", now - firstCommit))
                }
            }
            if now > result.releases[current].commitTime + settings.decisionTimeout {
                result.timeline.append(String(format: "%.1fs no verdict: gave up", now - firstCommit))
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Who serves after the verdict.
        try await Task.sleep(for: .seconds(2))
        generator.stop()
        count(generator.answers(), into: &result, since: firstCommit)
        result.gateCalls = gate?.calls() ?? []
        result.wallSeconds = Self.seconds(ContinuousClock.now - started)
        if keep || !result.correct { result.folder = root }
        return result
    }

    /// Sets the release's env (and command) in the workload and commits;
    /// returns when the commit was made, in seconds since 1970.
    private func commit(_ release: SafetyScenario.Release, number: Int, to sandbox: QuickstartSandbox) throws -> Double {
        var values = ["ERROR_RATE": "0", "LATENCY_MS": "0", "DEGRADE_AFTER_S": "0", "DEGRADE_ERROR_RATE": "1",
                      // A new greeting: every release is a new revision, also one that only undoes a bad one.
                      "MESSAGE": "release \(number) of scenario \(scenario.id), seed \(seed)"]
        values.merge(release.env) { _, new in new }
        let path = sandbox.repository + "/deploy/workload.yaml"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let range = text.range(of: "- name: \(name)\n        value: ") else { throw SandboxError("no \(name) in \(path)") }
            let lineEnd = text[range.upperBound...].firstIndex(of: "\n") ?? text.endIndex
            text.replaceSubrange(range.upperBound..<lineEnd, with: "\"\(value)\"")
        }
        if release.crashOnStart {
            let command = #"command: ["python3", "app.py"]"#
            guard text.contains(command) else { throw SandboxError("no `\(command)` in \(path)") }
            text = text.replacingOccurrences(of: command, with: #"command: ["python3", "-c", "raise SystemExit('crashed on start')"]"#)
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let time = Date().timeIntervalSince1970
        try sandbox.commitAll("Release \(number) of scenario \(scenario.id) (\(scenario.name)), seed \(seed)", author: "Serin Bench")
        return time
    }

    private func count(_ answers: [LoadGenerator.Answer], into result: inout Result, since start: Double) {
        let recent = answers.filter { $0.sent >= start }
        result.requests = recent.count
        result.connectionErrors = recent.filter { $0.status == 0 }.count
        result.router5xx = recent.filter { $0.status >= 500 && $0.revision.isEmpty }.count
        for index in result.releases.indices {
            guard let revision = result.releases[index].revision.map({ String($0.prefix(12)) }) else { continue }
            let end = result.releases[index].decisionTime ?? .infinity
            let mine = recent.filter { $0.revision == revision }
            let before = mine.filter { $0.sent <= end }
            result.releases[index].served = before.count
            result.releases[index].served5xx = before.filter { $0.status >= 500 }.count
            result.releases[index].servedAfter = mine.count - before.count
        }
    }

    /// "12.3s " for the run's timeline.
    static func at(_ seconds: Double) -> String { String(format: "%.1fs ", seconds) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The managed Prometheus of a sandbox, killed (SIGKILL: an outage, not a
/// shutdown) and started again with the command line `serin run` recorded
/// for it, in the same folder: same port, same data.
final class PrometheusOutage {
    private struct Record: Decodable {
        var pid: Int32
        var arguments: [String]
    }

    private let sandbox: QuickstartSandbox
    private var record: Record?
    private var restarted: Process?
    private(set) var killedAt: Double?
    private(set) var backAt: Double?

    init(sandbox: QuickstartSandbox) { self.sandbox = sandbox }

    var outageSeconds: Double? {
        guard let killedAt, let backAt else { return nil }
        return backAt - killedAt
    }

    private var port: Int { URL(string: sandbox.prometheusAddress)?.port ?? 9090 }

    func kill() throws {
        let path = sandbox.stateDirectory + "/local/prometheus.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw SandboxError("no Prometheus record at \(path)") }
        let record = try JSONDecoder().decode(Record.self, from: data)
        self.record = record
        killedAt = Date().timeIntervalSince1970
        Glibc.kill(record.pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        while Loopback.isListening(port) && ContinuousClock.now < deadline { usleep(20_000) }
    }

    func restart() async throws {
        guard let record else { return }
        let process = Process()
        // Through python3 only to clear the signal mask it would inherit
        // from the bench (SIGTERM may be blocked here), so stopRestarted's
        // SIGTERM reaches it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])"]
            + record.arguments
        process.currentDirectoryURL = URL(fileURLWithPath: sandbox.stateDirectory + "/prometheus")
        process.standardInput = FileHandle.nullDevice
        let log = FileHandle(forWritingAtPath: sandbox.stateDirectory + "/local/logs/prometheus.log")
        log?.seekToEndOfFile()
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        try process.run()
        restarted = process
        // The port opens before the storage is ready; queries answer 503 until then.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? Loopback.request(port: port, path: "/-/ready", timeout: .seconds(1)), answer.status == 200 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        backAt = Date().timeIntervalSince1970
    }

    /// `serin down` stops only the Prometheus it recorded; the bench stops the one it started.
    func stopRestarted() {
        guard let restarted, restarted.isRunning else { return }
        restarted.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while restarted.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if restarted.isRunning { Glibc.kill(restarted.processIdentifier, SIGKILL) }
        restarted.waitUntilExit()
    }
}
