import ArgumentParser
import Foundation
import SerinGit
import SerinTesting

/// The real `serin run` as a process: how long it takes to be ready (from an
/// empty state directory, and restarted over a data plane that kept
/// serving), what it costs while idle with ten workloads, and how long a
/// signed Git webhook takes to start a canary.
struct OperatorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Start-to-ready, idle RSS and CPU, and webhook-to-canary latency of `serin run`."
    )

    @Option(help: "The serin executable (default: the one beside serin-bench).") var serin: String?
    @Option(help: "Workloads, each with a Canary.") var workloads = 10
    @Option(help: "Cold starts and warm restarts to time (each).") var runs = 5
    @Option(help: "Webhook pushes to time.") var pushes = 10
    @Option(help: "Seconds to wait after every workload is Initialized before sampling.") var settle = 20.0
    @Option(help: "Seconds to sample the idle operator.") var sample = 30.0
    @Option(help: "How often the operator polls the Git source (it also gets a webhook per push).") var sourceInterval = "10s"
    @Flag(help: "Keep the sandbox folder (logs, state) instead of removing it.") var keep = false

    static let token = "bench-token-0123456789"
    static let secret = "bench-webhook-secret"

    func run() async throws {
        let serin = self.serin ?? Self.siblingSerin()
        guard FileManager.default.isExecutableFile(atPath: serin) else {
            throw ValidationError("no serin executable at \(serin); build it or pass --serin PATH")
        }
        let example = try TemporaryDirectory(prefix: "serin-bench-operator-example")
        defer { example.remove() }
        try writeExample(example)
        let sandbox = try QuickstartSandbox(example: example.path, serin: serin, interval: "10s", sourceInterval: sourceInterval,
                                            apiToken: Self.token, webhookSecret: Self.secret)
        defer {
            // `serin down` needs the sandbox's config: wait for it before removing the folder.
            sandbox.tearDown(waiting: true)
            if !keep { try? FileManager.default.removeItem(atPath: sandbox.root) }
        }
        let names = (0..<workloads).map { "w-\($0)" }

        // 1a. Cold: an empty state directory each time.
        var cold: [Double] = []
        for run in 0..<runs {
            let started = ContinuousClock.now
            try sandbox.startOperator()
            cold.append(try await waitForReady(sandbox, since: started))
            try await waitForInitialized(sandbox, names)
            if run < runs - 1 {
                sandbox.stopOperator()
                _ = try CommandRun.run(serin, ["down", "--config", sandbox.configPath], timeout: .seconds(60))
                try FileManager.default.removeItem(atPath: sandbox.stateDirectory)
            }
        }

        // 1b. Warm: SIGTERM, the data plane keeps serving, a new `serin run`.
        var warm: [Double] = []
        for _ in 0..<runs {
            try await Task.sleep(for: .seconds(2))
            sandbox.stopOperator()
            let started = ContinuousClock.now
            try sandbox.startOperator()
            warm.append(try await waitForReady(sandbox, since: started))
            try await waitForInitialized(sandbox, names)
        }

        // 2. Idle, with every workload Initialized: first with code pages
        // never given back (`--trim-interval 0`), then as `serin run` runs
        // by default, side by side.
        var idle: [String: IdleSample] = [:]
        for (name, arguments) in [("untrimmed", ["--trim-interval", "0"]), ("default", [])] {
            sandbox.stopOperator()
            try sandbox.startOperator(arguments: arguments)
            _ = try await waitForReady(sandbox, since: .now)
            try await waitForInitialized(sandbox, names)
            try await Task.sleep(for: .seconds(settle))
            idle[name] = try await sampleIdle(sandbox)
        }
        guard let pid = sandbox.operatorPID, let untrimmed = idle["untrimmed"], let trimmed = idle["default"] else {
            throw ValidationError("the operator is not running; see \(sandbox.root)/operator.log")
        }

        // 3. Webhook → canary started.
        let events = EventTail(path: sandbox.stateDirectory + "/events.log")
        let verifier = WebhookVerifier(secret: Data(Self.secret.utf8))
        var webhook: [Double] = [], syncPart: [Double] = [], firstStep: [Double] = []
        let target = names[0]
        for push in 1...max(pushes, 1) {
            _ = events.newEvents() // skip what came before
            try sandbox.commit("RELEASE", to: "\(push)", message: "release \(push)", author: "Bench")
            let body = Array(#"{"ref":"refs/heads/main"}"#.utf8)
            let started = ContinuousClock.now
            let sentAt = Date().timeIntervalSince1970
            let answer = try Loopback.request(port: sandbox.apiPort, method: "POST", path: "/hooks/git/quickstart", headers: [
                "Content-Type": "application/json", "X-Hub-Signature-256": verifier.signature(for: Data(body)),
            ], body: body)
            guard answer.status == 202 else { throw ValidationError("the webhook answered \(answer.status): \(answer.body)") }
            var detected: Double?, canaryStarted = false
            let timeout = started + .seconds(60)
            polling: while true {
                for event in events.newEvents() {
                    let mine = event.rollout == target || event.rollout.hasSuffix("/\(target)")
                    if mine, event.decision == "detected", detected == nil { detected = event.time }
                    if !canaryStarted, event.decision == "platform", event.reason.contains("\(target)-canary-"), event.reason.contains("started revision") {
                        webhook.append(Self.seconds(ContinuousClock.now - started) * 1000)
                        if let detected { syncPart.append((detected - sentAt) * 1000) }
                        canaryStarted = true
                    }
                }
                // The canary ready and its first step in force (traffic on the canary).
                if canaryStarted, (sandbox.rollout("default.\(target)")?.step ?? 0) >= 1 {
                    firstStep.append(Self.seconds(ContinuousClock.now - started) * 1000)
                    break polling
                }
                guard ContinuousClock.now < timeout else { throw ValidationError("push \(push): no canary on its first step within 60 s; see \(sandbox.root)") }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await abort(target, sandbox)
        }

        // Right after the releases, before the next periodic return of pages.
        let afterReleases = Self.rssMegabytes(pid)

        try Usage.printJSON([
            "benchmark": "operator", "workloads": workloads, "runs": runs, "pushes": webhook.count,
            "start_to_ready_ms": ["cold_median": Self.median(cold), "warm_median": Self.median(warm),
                                  "cold": cold.map(Self.round), "warm": warm.map(Self.round)],
            "operator_idle_rss_mb": Self.round(trimmed.rss),
            "operator_idle_cpu_percent": trimmed.cpuPercent,
            "operator_idle_rss_breakdown": trimmed.breakdown,
            "operator_idle_untrimmed": ["rss_mb": Self.round(untrimmed.rss), "cpu_percent": untrimmed.cpuPercent,
                                        "rss_breakdown": untrimmed.breakdown],
            "operator_rss_after_releases_mb": Self.round(afterReleases),
            "router_idle_rss_mb": Self.round(trimmed.routerRSS),
            "idle_sample_seconds": sample, "idle_settle_seconds": settle,
            "webhook_to_canary_started_ms": ["p50": Usage.percentile(webhook, 0.5), "p90": Usage.percentile(webhook, 0.9),
                                             "max": Usage.percentile(webhook, 1.0)],
            "webhook_to_detected_ms_p50": Usage.percentile(syncPart, 0.5),
            "webhook_to_canary_first_step_ms": ["p50": Usage.percentile(firstStep, 0.5), "p90": Usage.percentile(firstStep, 0.9)],
        ])
    }

    // MARK: the repository

    private func writeExample(_ folder: TemporaryDirectory) throws {
        var canaries: [String] = []
        for index in 0..<workloads {
            // The sandbox gives workload.yaml's port 8080 a free one; the others get theirs here.
            let port = try index == 0 ? 8080 : Loopback.freePort()
            let file = index == 0 ? "deploy/workload.yaml" : "deploy/w-\(index).yaml"
            _ = try folder.write(file, """
            apiVersion: serin.dev/v1alpha1
            kind: Workload
            metadata:
              name: w-\(index)
            spec:
              replicas: 1
              service:
                port: \(port)
              template:
                command: ["/usr/bin/python3", "-m", "http.server", "$(PORT)", "--bind", "127.0.0.1"]
                env:
                  - name: RELEASE
                    value: "0"
                  # Identical templates would share a revision id; see the commit message.
                  - name: WORKLOAD
                    value: "w-\(index)"
                readinessProbe:
                  httpGet: { path: / }

            """)
            canaries.append("""
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata:
              name: w-\(index)
            spec:
              targetRef: { apiVersion: serin.dev/v1alpha1, kind: Workload, name: w-\(index) }
              analysis:
                interval: 10s
                threshold: 3
                stepWeight: 20
                maxWeight: 60
                metrics:
                  - name: request-success-rate
                    interval: 30s
                    thresholdRange: { min: 99 }
                  - name: request-duration
                    interval: 30s
                    thresholdRange: { max: 250 }

            """)
        }
        _ = try folder.write("deploy/canary.yaml", canaries.joined(separator: "---\n"))
    }

    // MARK: waiting

    private func waitForReady(_ sandbox: QuickstartSandbox, since started: ContinuousClock.Instant) async throws -> Double {
        let deadline = started + .seconds(60)
        while ContinuousClock.now < deadline {
            if let answer = try? Loopback.request(port: sandbox.apiPort, path: "/readyz", timeout: .seconds(2)), answer.status == 200 {
                return Self.round(Self.seconds(ContinuousClock.now - started) * 1000)
            }
            guard sandbox.operatorIsRunning else { throw ValidationError("serin run exited; see \(sandbox.root)/operator.log") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw ValidationError("serin run not ready within 60 s; see \(sandbox.root)/operator.log")
    }

    private func waitForInitialized(_ sandbox: QuickstartSandbox, _ names: [String]) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if names.allSatisfy({ sandbox.rollout("default.\($0)")?.phase == "Initialized" }) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let phases = names.map { "\($0): \(sandbox.rollout("default.\($0)")?.phase ?? "unreadable")" }
        throw ValidationError("not every workload Initialized within 120 s (\(phases.joined(separator: ", "))); see \(sandbox.root)")
    }

    /// Aborts the rollout and waits until its canary process is gone, so the next push starts a fresh one.
    private func abort(_ name: String, _ sandbox: QuickstartSandbox) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var aborted = false
        while ContinuousClock.now < deadline {
            if !aborted {
                let answer = try Loopback.request(port: sandbox.apiPort, method: "POST", path: "/api/v1/rollouts/\(name)/abort",
                                                  headers: ["Authorization": "Bearer \(Self.token)"])
                aborted = (200..<300).contains(answer.status)
            }
            if aborted, sandbox.rollout("default.\(name)")?.phase == "Failed",
               !sandbox.workloadPIDs().keys.contains(where: { $0.hasPrefix("\(name)-canary-") }) {
                try await Task.sleep(for: .milliseconds(500))
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("\(name) did not abort within 60 s; see \(sandbox.root)")
    }

    /// The idle operator sampled every second for `sample` seconds: the
    /// largest RSS of the operator and the router, the operator's CPU.
    struct IdleSample {
        var rss: Double, routerRSS: Double, cpuPercent: Double, breakdown: [String: Any]
    }

    func sampleIdle(_ sandbox: QuickstartSandbox) async throws -> IdleSample {
        guard let pid = sandbox.operatorPID else { throw ValidationError("the operator is not running; see \(sandbox.root)/operator.log") }
        let routerPID = Self.recordedPID(sandbox.stateDirectory + "/local/router.json")
        let cpuBefore = Self.cpuSeconds(pid)
        let wallBefore = ContinuousClock.now
        var rss: [Double] = [], routerRSS: [Double] = []
        let deadline = wallBefore + .seconds(sample)
        while ContinuousClock.now < deadline {
            rss.append(Self.rssMegabytes(pid))
            if let routerPID { routerRSS.append(Self.rssMegabytes(routerPID)) }
            try await Task.sleep(for: .seconds(1))
        }
        let cpu = (Self.cpuSeconds(pid) - cpuBefore) / Self.seconds(ContinuousClock.now - wallBefore) * 100
        return IdleSample(rss: rss.max() ?? 0, routerRSS: routerRSS.max() ?? 0, cpuPercent: (cpu * 100).rounded() / 100,
                          breakdown: Self.rssBreakdown(pid))
    }

    // MARK: processes

    static func siblingSerin() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("serin").path
    }

    static func recordedPID(_ path: String) -> Int32? {
        struct Record: Decodable { var pid: Int32 }
        return FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Record.self, from: $0) }?.pid
    }

    /// VmRSS from /proc/PID/status, in MiB.
    static func rssMegabytes(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return kilobytes / 1024
    }

    /// Where a process's resident memory is, from /proc/PID/smaps: anonymous
    /// (heap, stacks, written copies of file pages) and file-backed pages in
    /// total, and the largest file-backed mappings by file, in MiB.
    static func rssBreakdown(_ pid: Int32) -> [String: Any] {
        // /proc files have no size: read to the end rather than what stat says.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps"),
              let data = try? handle.readToEnd() else { return [:] }
        let text = String(decoding: data, as: UTF8.self)
        var byFile: [String: Double] = [:]
        var anonymous = 0.0, total = 0.0
        var current = "[anon]"
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-") && !first.hasSuffix(":") {
                current = fields.count >= 6 ? String(fields[5...].joined(separator: " ")) : "[anon]"
            } else if first == "Rss:", fields.count > 1, let kilobytes = Double(fields[1]) {
                total += kilobytes
                byFile[current.hasPrefix("/") ? URL(fileURLWithPath: current).lastPathComponent : current, default: 0] += kilobytes
            } else if first == "Anonymous:", fields.count > 1, let kilobytes = Double(fields[1]) {
                anonymous += kilobytes
            }
        }
        // Pss shares each page among the processes mapping it (the router runs the same binary).
        var proportional = 0.0
        if let rollup = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps_rollup").flatMap({ try? $0.readToEnd() }) {
            let line = String(decoding: rollup, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("Pss:") }
            proportional = line.flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Double($0) } ?? 0
        }
        let largest = byFile.filter { !$0.key.hasPrefix("[") }.sorted { $0.value > $1.value }.prefix(8)
        return [
            "total_mb": round(total / 1024), "anonymous_mb": round(anonymous / 1024), "pss_mb": round(proportional / 1024),
            "file_backed_mb": round((total - anonymous) / 1024),
            "largest_files_mb": Dictionary(uniqueKeysWithValues: largest.map { ($0.key, round($0.value / 1024)) }),
        ]
    }

    /// utime + stime from /proc/PID/stat, in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return round(sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2)
    }
}

/// The event log's new lines since the last look, read from where it stopped.
final class EventTail {
    private let path: String
    private var offset: UInt64 = 0
    private var partial = Data()

    init(path: String) { self.path = path }

    func newEvents() -> [QuickstartSandbox.Event] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        guard let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        partial.append(data)
        var events: [QuickstartSandbox.Event] = []
        while let newline = partial.firstIndex(of: 0x0A) {
            let line = partial[partial.startIndex..<newline]
            partial = Data(partial[partial.index(after: newline)...])
            if let event = try? JSONDecoder().decode(QuickstartSandbox.Event.self, from: line) { events.append(event) }
        }
        return events
    }
}
