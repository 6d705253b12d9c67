import ArgumentParser
import Foundation
import SerinKubernetesTesting
import SerinSpec
import SerinTesting
import Synchronization

/// `serin run` with N clusters × M Canaries, in waves. The clusters are
/// `FakeApiserver`s in this process (named as the fakes they are: no
/// etcd, no controllers but the few a release needs, simulated), so the
/// operator's process (a child) carries only its own cost. It measures,
/// with every Canary of every cluster Initialized and nothing changing, the
/// operator's CPU and RSS (in all, and per cluster); then one commit
/// changes every Deployment, and it times commit → each wave's first
/// weight change (a canary's weight in an HTTPRoute of a cluster of that
/// wave) and each wave's last promotion.
struct ClustersBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusters",
        abstract: "CPU and RSS of `serin run` with N simulated clusters × M Canaries in waves; commit → each wave's first weight."
    )

    @Option(help: "Simulated clusters (FakeApiserver each).") var clusters = 50
    @Option(help: "Canaries per cluster (each with its Deployment, primary, three Services and an HTTPRoute).") var canaries = 100
    @Option(help: "Wave sizes, comma-separated, summing to --clusters (default: 1, then a fifth of the rest, then the rest).") var waves: String?
    @Option(help: "The Canaries' analysis interval, in seconds.") var interval = 5
    @Option(help: "Seconds a simulated Deployment takes to become ready.") var readyDelay = 1.0
    @Option(help: "Seconds of steady state to measure.") var window = 60.0
    @Option(help: "Seconds to wait for every cluster to be Initialized, and again for the release to reach every wave.") var timeout = 1800.0
    @Option(help: "The serin executable (default: the one beside serin-bench).") var serin: String?
    @Flag(help: "Keep the scratch folder (serin.log, state).") var keep = false

    func run() async throws {
        let serin = self.serin ?? OperatorBenchmark.siblingSerin()
        guard FileManager.default.isExecutableFile(atPath: serin) else {
            throw ValidationError("no serin executable at \(serin); build it or pass --serin PATH")
        }
        let plan = try wavePlan()
        let names = (0..<clusters).map { String(format: "c%02d", $0) }
        let observations = Observations()
        let servers = names.map { name in
            FakeApiserver(name: name, readyDelay: .milliseconds(Int(readyDelay * 1000))) { observations.record(cluster: name, $0) }
        }
        let ports = Ports()
        let scratch = try TemporaryDirectory(prefix: "serin-bench-clusters")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for server in servers {
                group.addTask { try await server.run { port in ports.set(server.name, port) } }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while ports.all.count < clusters {
                guard ContinuousClock.now < deadline else { throw BenchError("the fake apiservers did not all listen within 60 s") }
                try await Task.sleep(for: .milliseconds(50))
            }
            let report = try await benchmark(serin: serin, names: names, plan: plan, ports: ports.all, observations: observations,
                                             scratch: scratch)
            try Usage.printJSON(report)
            group.cancelAll()
        }
        if keep {
            FileHandle.standardError.write(Data("kept: \(scratch.path)\n".utf8))
        } else {
            scratch.remove()
        }
    }

    /// Cluster indices per wave.
    private func wavePlan() throws -> [Int] {
        if let waves {
            let sizes = waves.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard sizes.reduce(0, +) == clusters, sizes.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--waves \(waves) must be positive sizes summing to --clusters \(clusters)")
            }
            return sizes
        }
        guard clusters > 2 else { return Array(repeating: 1, count: clusters) }
        let second = max(1, (clusters - 1) / 5)
        return [1, second] + (clusters - 1 - second > 0 ? [clusters - 1 - second] : [])
    }

    private func benchmark(serin: String, names: [String], plan: [Int], ports: [String: Int], observations: Observations,
                           scratch: TemporaryDirectory) async throws -> [String: Any] {
        var waves: [[String]] = []
        var index = 0
        for size in plan {
            waves.append(Array(names[index..<index + size]))
            index += size
        }
        let repository = try GitFixture()
        let apps = (1...canaries).map { "app-\($0)" }
        try repository.commit(files(apps, version: "v1"), message: "\(canaries) canaries")
        var clusterLines: [String] = []
        for name in names {
            let kubeconfig = try scratch.write("\(name).kubeconfig", FakeApiserver.kubeconfig(port: ports[name] ?? 0, name: name))
            clusterLines.append("  - { name: \(name), kubeconfig: \(kubeconfig) }")
        }
        let wavesText = waves.map { "[" + $0.joined(separator: ", ") + "]" }.joined(separator: ", ")
        let port = try Loopback.freePort()
        let configFile = try scratch.write("serin.yaml", """
            stateDir: \(scratch.path)/state
            platform: kubernetes
            clusters:
            \(clusterLines.joined(separator: "\n"))
            prometheus: { address: "http://127.0.0.1:1" }
            api: { listen: "127.0.0.1:\(port)" }
            sources:
              - { name: bench, url: "file://\(repository.bare)", ref: { branch: main }, interval: 2s, waves: [\(wavesText)] }

            """)

        // 1. From nothing to every Canary of every cluster Initialized, wave by wave.
        let log = scratch.path + "/serin.log"
        let startedAt = ContinuousClock.now
        let process = try OperatorProcess(executable: serin, arguments: ["run", "--config", configFile], log: log)
        // Interrupted, the bench stops it too (the fake apiservers end with the bench's process).
        let undo = Interrupted.shared.register("serin run") { process.stop() }
        defer {
            Interrupted.shared.unregister(undo)
            process.stop()
        }
        var peakRSS = 0.0
        let total = clusters * canaries
        var lastReport = ContinuousClock.now
        while observations.count(phase: "Initialized") < total {
            try process.keepRunning()
            peakRSS = max(peakRSS, OperatorBenchmark.rssMegabytes(process.pid))
            if ContinuousClock.now - lastReport > .seconds(30) {
                lastReport = ContinuousClock.now
                let line = "\(Int(OperatorBenchmark.seconds(ContinuousClock.now - startedAt))) s: "
                    + "\(observations.count(phase: "Initialized")) of \(total) Canaries Initialized\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            guard ContinuousClock.now < startedAt + .seconds(timeout) else {
                throw BenchError("after \(Int(timeout)) s: \(observations.count(phase: "Initialized")) of \(total) Initialized; see \(log)")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let initializeSeconds = OperatorBenchmark.seconds(ContinuousClock.now - startedAt)
        let initializeCPU = OperatorBenchmark.cpuSeconds(process.pid)
        FileHandle.standardError.write(Data("\(total) Canaries in \(clusters) clusters Initialized in \(Int(initializeSeconds)) s\n".utf8))

        // 2. Steady state.
        try await Task.sleep(for: .seconds(10))
        let pid = process.pid
        let cpuBefore = OperatorBenchmark.cpuSeconds(pid), writesBefore = observations.writes
        let windowStart = ContinuousClock.now
        var samples: [Double] = []
        while ContinuousClock.now < windowStart + .seconds(window) {
            try process.keepRunning()
            samples.append(OperatorBenchmark.rssMegabytes(pid))
            try await Task.sleep(for: .seconds(1))
        }
        let measured = OperatorBenchmark.seconds(ContinuousClock.now - windowStart)
        let steadyCPU = OperatorBenchmark.cpuSeconds(pid) - cpuBefore
        let steadyWrites = observations.writes - writesBefore
        let rssMean = samples.reduce(0, +) / Double(max(1, samples.count))
        peakRSS = max(peakRSS, samples.max() ?? 0)

        // 3. One commit changes every Deployment: commit → each wave's first weight, and its last promotion.
        let releaseCPUBefore = OperatorBenchmark.cpuSeconds(pid)
        observations.arm()
        try repository.commit(files(apps, version: "v2"), message: "v2 of \(canaries) Deployments")
        let committed = ContinuousClock.now
        while observations.promoted(version: "v2") < total {
            try process.keepRunning()
            peakRSS = max(peakRSS, OperatorBenchmark.rssMegabytes(pid))
            guard ContinuousClock.now < committed + .seconds(timeout) else {
                throw BenchError("after \(Int(timeout)) s: \(observations.promoted(version: "v2")) of \(total) promoted v2; see \(log)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let releaseSeconds = OperatorBenchmark.seconds(ContinuousClock.now - committed)
        let releaseCPU = OperatorBenchmark.cpuSeconds(pid) - releaseCPUBefore
        let firstWeights = observations.firstWeights
        let promotions = observations.lastPromotions
        let perWave: [[String: Any]] = waves.enumerated().map { number, members in
            let first = members.compactMap { firstWeights[$0] }.min()
            let last = members.compactMap { promotions[$0] }.max()
            return ["wave": number + 1, "clusters": members.count,
                    "commit_to_first_weight_s": first.map { OperatorBenchmark.round(OperatorBenchmark.seconds($0 - committed)) } ?? -1,
                    "commit_to_every_canary_promoted_s": last.map { OperatorBenchmark.round(OperatorBenchmark.seconds($0 - committed)) } ?? -1]
        }
        let lastWave = perWave.last?["commit_to_first_weight_s"] ?? -1
        return [
            "benchmark": "clusters", "clusters": clusters, "canaries_per_cluster": canaries, "waves": plan,
            "analysis_interval_s": interval, "fake_ready_delay_s": readyDelay,
            "note": "clusters are FakeApiservers in serin-bench's process (simulated, no etcd, controllers faked); the operator is a child process",
            "initialize": ["seconds": OperatorBenchmark.round(initializeSeconds), "operator_cpu_s": OperatorBenchmark.round(initializeCPU)],
            "steady": [
                "window_s": OperatorBenchmark.round(measured),
                "operator_cpu_percent": OperatorBenchmark.round(steadyCPU / measured * 100),
                "operator_cpu_ms_per_s_per_cluster": OperatorBenchmark.round(steadyCPU / measured * 1000 / Double(clusters)),
                "operator_rss_mb_mean": OperatorBenchmark.round(rssMean),
                "operator_rss_mb_per_cluster": OperatorBenchmark.round(rssMean / Double(clusters)),
                "writes_to_apiservers": steadyWrites,
            ],
            "release": [
                "commit_to_last_wave_first_weight_s": lastWave,
                "seconds_until_every_canary_promoted": OperatorBenchmark.round(releaseSeconds),
                "operator_cpu_s": OperatorBenchmark.round(releaseCPU),
                "per_wave": perWave,
            ],
            "operator_rss_mb_peak": OperatorBenchmark.round(peakRSS),
        ]
    }

    /// One file per Canary: a namespace, its Deployment and its Canary.
    private func files(_ names: [String], version: String) -> [String: String] {
        var files = ["deploy/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: { name: bench }\n"]
        for name in names {
            files["deploy/\(name).yaml"] = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: { name: \(name), namespace: bench }
                spec:
                  replicas: 1
                  selector: { matchLabels: { app: \(name) } }
                  template:
                    metadata: { labels: { app: \(name) } }
                    spec:
                      containers:
                        - name: app
                          image: serin.local/kube-app:1
                          env: [{ name: APP_VERSION, value: "\(version)" }]
                          ports: [{ containerPort: 8080 }]
                ---
                apiVersion: flagger.app/v1beta1
                kind: Canary
                metadata: { name: \(name), namespace: bench }
                spec:
                  provider: gatewayapi:v1beta1
                  targetRef: { apiVersion: apps/v1, kind: Deployment, name: \(name) }
                  service: { port: 80, targetPort: 8080, gatewayRefs: [{ name: public, namespace: gateways }] }
                  analysis: { interval: \(interval)s, threshold: 2, maxWeight: 50, stepWeight: 50 }
                """
        }
        return files
    }

    /// What the fake apiservers were written, for the clocks.
    final class Observations: Sendable {
        private struct State {
            var phases: [String: String] = [:]
            var primaries: [String: String] = [:]
            var writes = 0
            var armed = false
            var firstWeights: [String: ContinuousClock.Instant] = [:]
            var lastPromotions: [String: ContinuousClock.Instant] = [:]
        }

        private let state = Mutex(State())

        func record(cluster: String, _ observation: FakeApiserver.Observation) {
            let object = observation.object
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            let now = ContinuousClock.now
            state.withLock { state in
                state.writes += 1
                switch observation.resource {
                case "flagger.app/v1beta1/canaries":
                    if let phase = object["status"]?["phase"]?.stringValue { state.phases["\(cluster)/\(name)"] = phase }
                case "apps/v1/deployments" where name.hasSuffix("-primary"):
                    let containers = object["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
                    let version = containers.first?["env"]?.arrayValue?.first?["value"]?.stringValue ?? ""
                    let key = "\(cluster)/\(name)"
                    if state.primaries[key] != version {
                        state.primaries[key] = version
                        if state.armed { state.lastPromotions[cluster] = now }
                    }
                case "gateway.networking.k8s.io/v1beta1/httproutes":
                    guard state.armed, state.firstWeights[cluster] == nil else { break }
                    let references = object["spec"]?["rules"]?.arrayValue?.flatMap { $0["backendRefs"]?.arrayValue ?? [] } ?? []
                    let canary = references.contains { ($0["name"]?.stringValue ?? "").hasSuffix("-canary") && ($0["weight"]?.intValue ?? 0) > 0 }
                    if canary { state.firstWeights[cluster] = now }
                default:
                    break
                }
            }
        }

        func arm() { state.withLock { $0.armed = true } }
        var writes: Int { state.withLock { $0.writes } }
        func count(phase: String) -> Int { state.withLock { $0.phases.values.filter { $0 == phase }.count } }
        func promoted(version: String) -> Int { state.withLock { $0.primaries.values.filter { $0 == version }.count } }
        var firstWeights: [String: ContinuousClock.Instant] { state.withLock { $0.firstWeights } }
        var lastPromotions: [String: ContinuousClock.Instant] { state.withLock { $0.lastPromotions } }
    }

    /// Each fake apiserver's port, as it starts listening.
    final class Ports: Sendable {
        private let table = Mutex<[String: Int]>([:])

        func set(_ name: String, _ port: Int) { table.withLock { $0[name] = port } }
        var all: [String: Int] { table.withLock { $0 } }
    }
}
