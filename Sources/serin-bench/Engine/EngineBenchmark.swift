import ArgumentParser
import Foundation
import Logging
import SerinAnalysis
import SerinEngine
import SerinEngineTesting
import SerinSpec
import Synchronization

/// The engine as `serin run` runs it, with N Canaries at once: the
/// reconciler, a runner and a worker per Canary, the scheduler that steps
/// them, metric evaluations through the real evaluator, the state saved
/// after every decision and the audit trail; only the platform (a fake,
/// everything ready at once) and the metrics (in process, varying values)
/// are stand-ins. It measures memory per rollout at rest and while every
/// rollout releases with a full evaluation history, the CPU of one tick
/// (a runner's analysis: its checks, verdict, decision, saved state), and
/// the CPU of rollouts at rest.
struct EngineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Memory per rollout and CPU per tick of the rollout engine with N Canaries.")

    @Option(help: "Canaries (each with its Deployment).") var rollouts = 10_000
    @Option(help: "Analysis interval in seconds (default: 1 per 10,000 rollouts, at least 1).") var interval: Int?
    @Option(help: "Intervals of release to measure (the history fills after 17).") var intervals = 20
    @Option(help: "Distinct analysis specs among the Canaries.") var specs = 10
    @Option(help: "Where the state files go (tmpfs by default: the figure is the engine's, not the disk's).") var stateDir = "/dev/shm"
    @Flag(help: "Only the machine, the evaluator and the history in one loop, without runners (the benchmark before issue 28).")
    var machineOnly = false
    @Option(help: "With --machine-only: how long to tick, in seconds.") var seconds = 10.0
    @Flag(help: "With --machine-only: keep whole evaluations in a list, as before issue 28.") var wholeHistory = false

    func run() async throws {
        if machineOnly {
            try await MachineLoop(rollouts: rollouts, seconds: seconds, wholeHistory: wholeHistory).run()
            return
        }
        let interval = self.interval ?? max(1, rollouts / 10_000)
        let root = stateDir + "/serin-bench-engine-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let heapAtStart = Usage.heapBytesInUse()
        let clock = ContinuousClock()
        var started = clock.now
        let first = try desiredState(version: "v1", interval: interval)
        let second = try desiredState(version: "v2", interval: interval)
        let setupSeconds = OperatorBenchmark.seconds(clock.now - started)
        let heapDesired = Usage.heapBytesInUse()
        progress("\(rollouts) Canaries read, validated and planned twice in \(Int(setupSeconds)) s")

        let platform = FakeInstantPlatform()
        let counters = Counters()
        let store = try StateStore(stateDirectory: root)
        let log = try EventLog(stateDirectory: root)
        var logger = Logger(label: "serin.bench")
        logger.logLevel = .warning
        let reconciler = Reconciler(parts: .init(
            platform: platform, checks: CountingChecks(inner: Self.checks(first.manifests), counters: counters), hooks: OpenHooks(),
            notifier: CountingNotifier(counters: counters), store: store, log: log, stateDirectory: root, sources: ["bench"],
            pollInterval: .milliseconds(250), clock: ContinuousClock(), logger: logger))
        try await reconciler.start()
        let running = Task { await reconciler.run() }
        defer { running.cancel() }
        let heapBefore = Usage.heapBytesInUse(), rssBefore = Usage.rssBytes()

        // 1. Every Canary's first revision: the primary deployed, Initialized.
        started = clock.now
        var cpu = Usage.cpuMicroseconds()
        await reconciler.apply(first)
        try await wait("Initialized", timeout: 600) { counters.phases(.initialized) >= rollouts }
        let initializeCPU = Usage.cpuMicroseconds() - cpu
        let initializeSeconds = OperatorBenchmark.seconds(clock.now - started)
        let heapAtRest = Usage.heapBytesInUse(), rssAtRest = Usage.rssBytes()
        progress("Initialized in \(Int(initializeSeconds)) s")

        // 2. At rest: nothing is due, nothing should run.
        cpu = Usage.cpuMicroseconds()
        let restSeconds = Double(max(3, 2 * interval))
        try await Task.sleep(for: .seconds(restSeconds))
        let restCPU = Usage.cpuMicroseconds() - cpu

        // 3. A new revision of every Deployment: every rollout analyses, tick after tick.
        started = clock.now
        cpu = Usage.cpuMicroseconds()
        let checksBefore = counters.checks.load(ordering: .relaxed)
        await reconciler.apply(second)
        let releaseDeadline = started + .seconds(intervals * interval)
        var peakHeap = 0, peakRSS = 0
        while clock.now < releaseDeadline {
            try await Task.sleep(for: .seconds(min(interval, 5)))
            peakHeap = max(peakHeap, Usage.heapBytesInUse())
            peakRSS = max(peakRSS, Usage.rssBytes())
            progress("\(Int(OperatorBenchmark.seconds(clock.now - started))) s: \(counters.checks.load(ordering: .relaxed) - checksBefore) ticks")
        }
        let releaseCPU = Usage.cpuMicroseconds() - cpu
        let releaseSeconds = OperatorBenchmark.seconds(clock.now - started)
        let ticks = counters.checks.load(ordering: .relaxed) - checksBefore
        let heapReleasing = Usage.heapBytesInUse(), rssReleasing = Usage.rssBytes()
        let sample = await reconciler.status(of: "bench/app-1", eventLimit: 0)
        let stateFile = (try? FileManager.default.attributesOfItem(atPath: store.path(for: "bench.app-1"))[.size] as? Int) ?? 0

        let perRollout = { (bytes: Int) in bytes / rollouts }
        try Usage.printJSON([
            "benchmark": "engine", "rollouts": rollouts, "interval_s": interval, "specs": specs,
            "load_average": Self.loadAverage(),
            "initialize": [
                "seconds": OperatorBenchmark.round(initializeSeconds),
                "cpu_us_per_rollout": Int(initializeCPU / Double(rollouts)),
            ],
            "at_rest": [
                "heap_bytes_per_rollout": perRollout(heapAtRest - heapBefore),
                "rss_bytes_per_rollout": perRollout(rssAtRest - rssBefore),
                "cpu_us_per_rollout_per_interval": OperatorBenchmark.round(restCPU / restSeconds * Double(interval) / Double(rollouts)),
            ],
            "releasing": [
                "seconds": OperatorBenchmark.round(releaseSeconds),
                "ticks": ticks,
                "cpu_us_per_tick": OperatorBenchmark.round(releaseCPU / Double(max(ticks, 1))),
                "heap_bytes_per_rollout": perRollout(heapReleasing - heapBefore),
                "heap_bytes_per_rollout_peak": perRollout(peakHeap - heapBefore),
                "rss_bytes_per_rollout": perRollout(rssReleasing - rssBefore),
                "rss_bytes_per_rollout_peak": perRollout(peakRSS - rssBefore),
                "evaluations_kept_per_rollout": sample?.evaluations.count ?? 0,
                "state_file_bytes": stateFile,
                "phases": counters.phaseCounts(),
            ],
            "desired_state_heap_bytes_per_rollout": perRollout(heapDesired - heapAtStart) / 2,
            "setup_seconds": OperatorBenchmark.round(setupSeconds),
        ])
    }

    private func wait(_ what: String, timeout: Double, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw BenchError("not every rollout \(what) within \(Int(timeout)) s") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }

    /// N Deployments and their Canaries, `specs` analyses among them (stepWeight 2 to 40: twenty analysis ticks, three metrics each).
    private func desiredState(version: String, interval: Int) throws -> DesiredState {
        var manifests = Manifests()
        manifests.append(contentsOf: ManifestLoader().load(text: Self.template, file: "bench/metric-template.yaml"))
        let chunk = 1000
        for start in stride(from: 0, to: rollouts, by: chunk) {
            var text = ""
            for index in start..<min(rollouts, start + chunk) {
                text += Self.documents(name: "app-\(index)", version: version, interval: interval, spec: index % max(1, specs))
            }
            manifests.append(contentsOf: ManifestLoader().load(text: text, file: "bench/apps-\(start / chunk).yaml"))
        }
        let (diagnostics, plans) = Validator(platform: .kubernetes).validateAndPlan(manifests)
        guard !diagnostics.hasErrors, plans.count == rollouts else {
            throw ValidationError("the generated Canaries do not validate: \(diagnostics.errors.prefix(3))")
        }
        return DesiredState(source: "bench", revision: "main@sha1:\(version)", commit: version, author: "Bench <bench@example.com>",
                            manifests: manifests, plans: plans)
    }

    static func documents(name: String, version: String, interval: Int, spec: Int) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: \(name), namespace: bench }
        spec:
          replicas: 1
          selector: { matchLabels: { app: \(name) } }
          template:
            metadata: { labels: { app: \(name), version: \(version) } }
            spec:
              containers: [{ name: app, image: "example.com/app:\(version)", ports: [{ containerPort: 8080 }] }]
        ---
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: { name: \(name), namespace: bench }
        spec:
          targetRef: { apiVersion: apps/v1, kind: Deployment, name: \(name) }
          service: { port: 80, targetPort: 8080 }
          analysis:
            interval: \(interval)s
            threshold: \(3 + spec)
            stepWeight: 2
            maxWeight: 40
            metrics:
              - { name: request-success-rate, interval: 1m, thresholdRange: { min: 95 } }
              - { name: request-duration, interval: 1m, thresholdRange: { max: 500 } }
              - { name: error-ratio, templateRef: { name: error-ratio }, interval: 1m, thresholdRange: { max: 0.01 } }
        ---

        """
    }

    static let template = """
        apiVersion: flagger.app/v1beta1
        kind: MetricTemplate
        metadata: { name: error-ratio, namespace: bench }
        spec:
          provider: { type: prometheus, address: "http://prometheus.invalid:9090" }
          query: |
            (sum(rate(http_requests_total{app="{{ target }}",status=~"5.."}[{{ interval }}])) or vector(0))
            / sum(rate(http_requests_total{app="{{ target }}"}[{{ interval }}]))

        """

    /// The real evaluator over `FakeMetrics`.
    static func checks(_ manifests: Manifests) -> AnalysisChecks {
        let templates = Dictionary(manifests.metricTemplates.map { ("\($0.namespace)/\($0.name)", $0.spec) }, uniquingKeysWith: { first, _ in first })
        let metrics = FakeMetrics()
        let evaluator = MetricEvaluator(templates: templates, builtins: .kubernetesPods, provider: { _ in metrics })
        return AnalysisChecks(evaluator: evaluator) { context in
            MetricQueries.Context(name: context.rollout.name, namespace: context.rollout.namespace, target: context.target.name,
                                  canaryRevision: context.canaryRevision ?? "", primaryRevision: context.primaryRevision ?? "")
        }
    }

    static func loadAverage() -> [Double] {
        var loads = [Double](repeating: 0, count: 3)
        _ = getloadavg(&loads, 3)
        return loads.map { ($0 * 100).rounded() / 100 }
    }
}

/// Answers every query at once with a value that varies from tick to tick,
/// always within the benchmark's thresholds, so every check passes and
/// every message differs (as real ones do). A fake.
final class FakeMetrics: MetricProvider, Sendable {
    private let state = Mutex<UInt64>(0x9E37_79B9_7F4A_7C15)

    func query(_ query: String) async throws -> MetricSample {
        let unit = state.withLock { seed -> Double in
            // SplitMix64.
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        if query.hasPrefix("histogram_quantile") { return .value(20 + unit * 180) }
        if query.hasPrefix("(sum(rate") { return .value(unit * 0.005) }
        if query.contains("5..") { return .value((unit * 2).rounded(.down)) }
        return .value(2000 + (unit * 1000).rounded(.down))
    }
}

final class Counters: Sendable {
    let checks = Atomic<Int>(0)
    private let phaseTable = Mutex<[RolloutPhase: Int]>([:])

    func entered(_ phase: RolloutPhase) { phaseTable.withLock { $0[phase, default: 0] += 1 } }
    func phases(_ phase: RolloutPhase) -> Int { phaseTable.withLock { $0[phase] ?? 0 } }
    func phaseCounts() -> [String: Int] { phaseTable.withLock { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) } }
}

/// Counts the ticks that ran checks.
struct CountingChecks: CheckRunner {
    let inner: AnalysisChecks
    let counters: Counters

    func runChecks(_ plan: Plan, _ context: CheckContext) async -> CheckResults {
        counters.checks.add(1, ordering: .relaxed)
        return await inner.runChecks(plan, context)
    }
}

/// Counts the phases rollouts enter.
struct CountingNotifier: Notifier {
    let counters: Counters

    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        counters.entered(notification.phase)
    }
}

struct OpenHooks: HookRunner {
    func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase) async -> (open: Bool, reason: String) { (true, "no webhooks") }
    func fire(_ type: String, _ plan: Plan, phase: RolloutPhase) async {}
}
