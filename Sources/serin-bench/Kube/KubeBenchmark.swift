import ArgumentParser
import Foundation
import SerinGit
import SerinKubernetes
import SerinKubernetesTesting
import SerinTesting

/// `serin run` (platform: kubernetes) with N Canaries on the real test
/// cluster: Deployments whose pods are bound to `FakeNode` (no container
/// runs; the pods are made Running and Ready through `pods/status`, as
/// KWOK does), Canaries on Gateway API HTTPRoutes, and `FakePrometheus`
/// answering every query at once. It measures, with every Canary
/// Initialized and nothing changing, the requests Serin sends the
/// apiserver per canary per analysis interval (Serin's own count, and the
/// apiserver's count of Serin's identity through API Priority and
/// Fairness), the operator's CPU and RSS; then one commit changes every
/// Deployment, and it times commit → each Canary's first weight change
/// (the canary's weight in its HTTPRoute, as the watch delivers it).
struct KubeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube",
        abstract: "Requests per canary per interval, CPU and RSS of `serin run` with N Canaries on the test cluster; commit → first weight change."
    )

    @Option(name: .customLong("canaries"), help: "Canaries (each with its Deployment, primary, three Services and an HTTPRoute); sizes separated by commas run one after the other.",
            transform: KubeBenchmark.sizes)
    var sizes: [Int] = [1000]
    @Option(help: "The serin executable (default: the one beside serin-bench).") var serin: String?
    @Option(help: "Analysis interval and Git source interval, in seconds.") var interval = 60
    @Option(help: "Seconds of steady state to measure.") var window = 180.0
    @Option(help: "Seconds to wait after every Canary is Initialized, before measuring.") var settle = 20.0
    @Option(help: "Seconds of a window without Serin first (the cluster's own traffic; 0: none).") var baseline = 0.0
    @Option(help: "Seconds to wait for every Canary to be Initialized, and again for every first weight change.") var timeout = 1800.0
    @Option(help: "kubectl, for the apiserver's /metrics (and to delete what the bench made when it is interrupted).") var kubectl = ProcessInfo.processInfo.environment["SERIN_KUBE_KUBECTL"] ?? "kubectl"
    @Flag(help: "Keep the namespace, the fake node and the scratch folder (logs, state) instead of removing them.") var keep = false

    static let secret = "serin-bench-kube-webhook"

    func run() async throws {
        let serin = self.serin ?? OperatorBenchmark.siblingSerin()
        guard FileManager.default.isExecutableFile(atPath: serin) else {
            throw ValidationError("no serin executable at \(serin); build it or pass --serin PATH")
        }
        let config: KubeConfig
        do {
            config = try KubeConfig.load()
        } catch {
            throw ValidationError("no cluster: \(error); start the test cluster with eval \"$(bash scripts/kube/cluster.sh up)\"")
        }
        var reports: [[String: Any]] = []
        try await KubeClient.withClient(config: config) { client in
            for canaries in sizes {
                reports.append(try await measure(client, serin: serin, canaries: canaries))
            }
        }
        if reports.count > 1 { try Usage.printJSON(KubeGrowth.summary(reports)) }
    }

    static func sizes(_ text: String) throws -> [Int] {
        let sizes = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--canaries takes numbers separated by commas, got \(text)") }
        return sizes
    }

    private func measure(_ client: KubeClient, serin: String, canaries: Int) async throws -> [String: Any] {
        let crds = client.resources(CustomResourceDefinition.self)
        guard try await crds.getIfPresent("httproutes.gateway.networking.k8s.io") != nil else {
            throw ValidationError("the cluster has no HTTPRoute CRD; create it with "
                + "kubectl create -f Tests/SerinKubernetesTests/Fixtures/httproute-crd-minimal.yaml")
        }
        let namespace = "bench-kube-\(canaries)-\(Int(Date().timeIntervalSince1970) % 1_000_000)"
        let scratch = try TemporaryDirectory(prefix: "serin-bench-kube")
        _ = try await client.resources(Namespace.self).create(Namespace(name: namespace))
        // Interrupted (SIGINT, SIGTERM), the bench leaves nothing running and
        // deletes what it made, as its clean-up below does (unless --keep).
        var undos: [Int] = []
        defer { undos.forEach(Interrupted.shared.unregister) }
        let kubectl = self.kubectl, keep = self.keep
        undos.append(Interrupted.shared.register("namespace \(namespace)") {
            guard !keep else { return }
            // BenchIdentity's cluster-wide objects are named after the namespace.
            for object in ["namespace/\(namespace)", "clusterrolebinding/\(namespace)", "flowschema.flowcontrol.apiserver.k8s.io/\(namespace)",
                           "flowschema.flowcontrol.apiserver.k8s.io/\(namespace)-leases"] {
                Interrupted.kubectl(kubectl, ["delete", "--ignore-not-found", "--wait=false", object])
            }
        })
        var identity: BenchIdentity?
        var node: FakeNode?
        var prometheus: FakePrometheus?
        var process: OperatorProcess?
        var report: [String: Any] = [:]
        do {
            identity = try await BenchIdentity.create(client, namespace: namespace, directory: scratch.path)
            node = try await FakeNode(client: client)
            let nodeName = node?.name ?? ""
            undos.append(Interrupted.shared.register("node \(nodeName)") {
                if !keep { Interrupted.kubectl(kubectl, ["delete", "--ignore-not-found", "--wait=false", "node/\(nodeName)"]) }
            })
            prometheus = try FakePrometheus(directory: scratch.path)
            nonisolated(unsafe) let started = prometheus
            undos.append(Interrupted.shared.register("the fake Prometheus") { started?.stop() })
            report = try await benchmark(client, serin: serin, canaries: canaries, namespace: namespace, identity: identity!, node: node!,
                                         prometheus: prometheus!, scratch: scratch) { started in
                process = started
                undos.append(Interrupted.shared.register("serin run") { started.stop() })
            }
            try Usage.printJSON(report)
        } catch {
            FileHandle.standardError.write(Data("serin-bench kube failed: \(error); logs in \(scratch.path)\n".utf8))
            process?.stop()
            if !keep { await cleanUp(client, namespace: namespace, identity: identity, node: node, prometheus: prometheus) }
            throw error
        }
        process?.stop()
        if keep {
            FileHandle.standardError.write(Data("kept: namespace \(namespace), node \(node?.name ?? ""), \(scratch.path)\n".utf8))
        } else {
            await cleanUp(client, namespace: namespace, identity: identity, node: node, prometheus: prometheus)
            scratch.remove()
        }
        return report
    }

    private func benchmark(_ client: KubeClient, serin: String, canaries: Int, namespace: String, identity: BenchIdentity, node: FakeNode,
                         prometheus: FakePrometheus, scratch: TemporaryDirectory,
                         started: (OperatorProcess) -> Void) async throws -> [String: Any] {
        let image = ProcessInfo.processInfo.environment["SERIN_KUBE_APP_IMAGE"] ?? "serin.local/kube-app:1"
        let repository = try GitFixture()
        let names = (1...canaries).map { "app-\($0)" }
        try repository.commit(files(names, namespace: namespace, node: node.name, image: image, version: "v1"), message: "\(canaries) canaries")
        let secretFile = try scratch.write("webhook-secret", Self.secret)
        // Secrets only their owner reads: `serin run` refuses a secret file other users could read.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile)
        let port = try Loopback.freePort()
        let configFile = try scratch.write("serin.yaml", """
            stateDir: \(scratch.path)/state
            platform: kubernetes
            kubernetes: { kubeconfig: \(identity.kubeconfig), namespace: \(namespace) }
            prometheus: { address: "\(prometheus.address)" }
            api: { listen: "127.0.0.1:\(port)" }
            sources:
              - { name: bench, url: "file://\(repository.bare)", ref: { branch: main }, interval: \(interval)s, webhookSecretFile: \(secretFile) }

            """)

        var baselineRequests: Double?
        if baseline > 0 {
            let before = try await apiserverMetrics()
            try await Task.sleep(for: .seconds(baseline))
            baselineRequests = try await apiserverMetrics().sum("apiserver_request_total") - before.sum("apiserver_request_total")
        }

        // Canaries and HTTPRoutes as Serin writes them, from one watch each.
        let canaryCache = Informer(client.resources(Canary.self), namespace: namespace)
        let routeCache = Informer(client.resources(HTTPRouteV1Beta1.self), namespace: namespace)
        let deploymentCache = Informer(client.resources(Deployment.self), namespace: namespace)
        let caches = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await canaryCache.run() }
                group.addTask { await routeCache.run() }
                group.addTask { await deploymentCache.run() }
            }
        }
        defer { caches.cancel() }
        // The Canaries name Gateways (Flagger requires it with Gateway API): a fake accepts their routes.
        let gateway = FakeGateway(routes: routeCache, client: client)
        defer { gateway.stop() }

        // 1. From nothing to every Canary Initialized.
        let log = scratch.path + "/serin.log"
        let startedAt = ContinuousClock.now
        let process = try OperatorProcess(executable: serin, arguments: ["run", "--config", configFile], log: log)
        started(process)
        var peakRSS = 0.0
        let initializeDeadline = startedAt + .seconds(timeout)
        /// Until every Canary is Initialized (and Serin's API answers), restarting Serin if it ends.
        func waitUntilInitialized() async throws {
            var lastProgress = ""
            while true {
                try process.keepRunning()
                let phases = canaryCache.list().map { $0.status?.phase ?? "" }
                let initialized = phases.filter { $0 == "Initialized" }.count
                if initialized == canaries, (try? serinMetrics(port)) != nil { return }
                peakRSS = max(peakRSS, OperatorBenchmark.rssMegabytes(process.pid))
                let progress = "\(initialized) of \(canaries) Initialized, \(node.podsMarkedReady) pods made Ready"
                let elapsed = Int(OperatorBenchmark.seconds(ContinuousClock.now - startedAt))
                if progress != lastProgress, elapsed % 30 == 0 {
                    FileHandle.standardError.write(Data("\(elapsed) s: \(progress)\n".utf8))
                    lastProgress = progress
                }
                guard ContinuousClock.now < initializeDeadline else { throw BenchError("after \(Int(timeout)) s: \(progress); see \(log)") }
                try await Task.sleep(for: .seconds(1))
            }
        }
        try await waitUntilInitialized()
        let initializeSeconds = OperatorBenchmark.seconds(ContinuousClock.now - startedAt)
        let initializeCPU = OperatorBenchmark.cpuSeconds(process.pid)
        let initializeMetrics = try serinMetrics(port)
        let initializeRequests = initializeMetrics.sum("serin_kubernetes_requests_total")
        let initializeByVerb = initializeMetrics.byLabels("serin_kubernetes_access_total").filter { $0.value > 0 }.mapValues { Int($0) }
        let initializeRestarts = process.restarts
        FileHandle.standardError.write(Data("\(canaries) Canaries Initialized in \(Int(initializeSeconds)) s; steady window of \(Int(window)) s\n".utf8))

        // 2. Steady state; measured again (at most twice more) when Serin or the apiserver restarted in it.
        var attempts = 0
        var serinBefore: MetricsText, apiserverBefore: MetricsText, serinAfter: MetricsText, apiserverAfter: MetricsText
        var cpu = 0.0, measured = 0.0, queries = 0, samples: [Double] = []
        var apiserverRestarted = false
        while true {
            attempts += 1
            try await Task.sleep(for: .seconds(settle))
            let restartsBefore = process.restarts, pid = process.pid
            serinBefore = try serinMetrics(port)
            apiserverBefore = try await apiserverMetrics()
            let cpuBefore = OperatorBenchmark.cpuSeconds(pid), queriesBefore = prometheus.queries
            let windowStart = ContinuousClock.now
            samples = []
            while ContinuousClock.now < windowStart + .seconds(window), process.isRunning {
                samples.append(OperatorBenchmark.rssMegabytes(pid))
                try await Task.sleep(for: .seconds(1))
            }
            measured = OperatorBenchmark.seconds(ContinuousClock.now - windowStart)
            let serinRan = process.isRunning && process.restarts == restartsBefore
            if serinRan {
                serinAfter = try serinMetrics(port)
                cpu = OperatorBenchmark.cpuSeconds(pid) - cpuBefore
            } else {
                serinAfter = serinBefore
            }
            apiserverAfter = try await apiserverMetrics()
            queries = prometheus.queries - queriesBefore
            // A restarted apiserver starts its counters again.
            apiserverRestarted = apiserverAfter.sum("apiserver_request_total") < apiserverBefore.sum("apiserver_request_total")
            if serinRan && !apiserverRestarted { break }
            FileHandle.standardError.write(Data("the steady window was disturbed (serin run restarted: \(!serinRan), apiserver restarted: \(apiserverRestarted))\n".utf8))
            guard attempts < 3 else { throw BenchError("no undisturbed steady window in 3 attempts; see \(log)") }
            try await waitUntilInitialized()
        }
        let pid = process.pid

        let intervals = measured / Double(interval)
        let perCanary = { (requests: Double) in Self.round3(requests / Double(canaries) / intervals) }
        let serinRequests = serinAfter.sum("serin_kubernetes_requests_total") - serinBefore.sum("serin_kubernetes_requests_total")
        let leaseFilter = { (labels: String) in labels.contains(#"/leases""#) }
        let serinLeases = serinAfter.sum("serin_kubernetes_access_total", where: leaseFilter)
            - serinBefore.sum("serin_kubernetes_access_total", where: leaseFilter)
        let byVerb = serinAfter.byLabels("serin_kubernetes_access_total").reduce(into: [String: Double]()) { result, entry in
            let delta = entry.value - (serinBefore.byLabels("serin_kubernetes_access_total")[entry.key] ?? 0)
            if delta > 0 { result[entry.key] = delta }
        }
        let schema = { (name: String) in { (labels: String) in labels.contains(#"flow_schema="\#(name)""#) } }
        let dispatched = "apiserver_flowcontrol_dispatched_requests_total"
        let apfAll = apiserverAfter.sum(dispatched, where: schema(identity.flowSchema)) - apiserverBefore.sum(dispatched, where: schema(identity.flowSchema))
        let apfLeases = apiserverAfter.sum(dispatched, where: schema(identity.leaseFlowSchema))
            - apiserverBefore.sum(dispatched, where: schema(identity.leaseFlowSchema))
        let everyClient = apiserverAfter.sum("apiserver_request_total") - apiserverBefore.sum("apiserver_request_total")
        let rssMean = samples.isEmpty ? 0 : samples.reduce(0, +) / Double(samples.count)
        peakRSS = max(peakRSS, samples.max() ?? 0)

        // 3. Drift: `kubectl set image` on up to 100 `-primary` Deployments, one after another;
        // each is put back by the drift watch (the source polls once an interval).
        let drift = try await measureDrift(client, namespace: namespace, names: names, cache: deploymentCache, process: process, port: port)

        // 4. One commit changes every Deployment: commit → first weight change of each Canary.
        let changes = routeCache.changes(), deploymentChanges = deploymentCache.changes()
        let releaseCPUBefore = OperatorBenchmark.cpuSeconds(pid), restartsBeforeRelease = process.restarts
        try repository.commit(files(names, namespace: namespace, node: node.name, image: image, version: "v2"), message: "v2 of \(canaries) Deployments")
        let committed = ContinuousClock.now
        let body = Array(#"{"ref":"refs/heads/main"}"#.utf8)
        let answer = try Loopback.request(port: port, method: "POST", path: "/hooks/git/bench", headers: [
            "Content-Type": "application/json",
            "X-Hub-Signature-256": WebhookVerifier(secret: Data(Self.secret.utf8)).signature(for: Data(body)),
        ], body: body)
        guard answer.status == 202 else { throw BenchError("the webhook answered \(answer.status): \(answer.body)") }
        let releaseDeadline = committed + .seconds(timeout)
        let watcher = Task {
            var seen: [String: Double] = [:]
            for await change in changes {
                guard let name = change.object.metadata.name, seen[name] == nil, Self.canaryWeight(change.object) > 0 else { continue }
                seen[name] = OperatorBenchmark.seconds(ContinuousClock.now - committed)
                if seen.count == canaries { break }
            }
            return seen
        }
        // Where the time goes, per Canary: Serin scaling the canary up, the
        // controller-manager (and the fake node) making its pod ready, Serin's first step.
        let canaryCount = canaries
        let stages = Task {
            var scaled: [String: Double] = [:], ready: [String: Double] = [:]
            for await change in deploymentChanges {
                let deployment = change.object
                guard let name = deployment.metadata.name, !name.hasSuffix("-primary"), (deployment.spec?.replicas ?? 0) > 0 else { continue }
                let at = OperatorBenchmark.seconds(ContinuousClock.now - committed)
                if scaled[name] == nil { scaled[name] = at }
                if ready[name] == nil, deployment.isRolledOut { ready[name] = at }
                if ready.count == canaryCount { break }
            }
            return (scaled: scaled, ready: ready)
        }
        let timer = Task {
            var peak = 0.0
            while ContinuousClock.now < releaseDeadline, !Task.isCancelled {
                _ = try? process.keepRunning()
                try? await Task.sleep(for: .seconds(1))
                peak = max(peak, OperatorBenchmark.rssMegabytes(process.pid))
            }
            watcher.cancel()
            stages.cancel()
            return peak
        }
        let firstWeight = await watcher.value
        stages.cancel()
        let (scaled, ready) = await stages.value
        timer.cancel()
        peakRSS = max(peakRSS, await timer.value)
        let releaseSeconds = OperatorBenchmark.seconds(ContinuousClock.now - committed)
        let releaseCPU = OperatorBenchmark.cpuSeconds(process.pid) - releaseCPUBefore
        peakRSS = max(peakRSS, OperatorBenchmark.rssMegabytes(process.pid))
        let latencies = Array(firstWeight.values)
        let percentiles = { (values: [Double]) -> [String: Double] in
            ["p50": Self.round3(Usage.percentile(values, 0.5)), "p99": Self.round3(Usage.percentile(values, 0.99)),
             "max": Self.round3(Usage.percentile(values, 1.0)), "count": Double(values.count)]
        }
        let toScaled = Array(scaled.values)
        let scaledToReady = ready.compactMap { name, at in scaled[name].map { at - $0 } }
        let readyToWeight = firstWeight.compactMap { name, at in ready[name].map { at - $0 } }
        // Serin's part of each Canary's commit → first weight: all but the
        // controller-manager's and the fake node's (scaled → rolled out).
        let serinShare = firstWeight.compactMap { name, at -> Double? in
            guard at > 0, let up = scaled[name], let out = ready[name] else { return nil }
            return (at - (out - up)) / at
        }

        var report: [String: Any] = [
            "benchmark": "kube", "canaries": canaries, "interval_s": interval, "window_s": OperatorBenchmark.round(measured),
            "load_average": EngineBenchmark.loadAverage(),
            "initialize": ["seconds": OperatorBenchmark.round(initializeSeconds), "operator_cpu_s": OperatorBenchmark.round(initializeCPU),
                           "operator_cpu_ms_per_canary": OperatorBenchmark.round(initializeCPU * 1000 / Double(canaries)),
                           "requests": Int(initializeRequests), "requests_by_verb_resource": initializeByVerb,
                           "serin_restarts": initializeRestarts],
            "steady": [
                "serin_requests": Int(serinRequests), "serin_lease_requests": Int(serinLeases),
                "serin_requests_per_canary_per_interval": perCanary(serinRequests),
                "serin_requests_per_canary_per_interval_without_lease": perCanary(serinRequests - serinLeases),
                "serin_requests_by_verb_resource": byVerb.mapValues { Int($0) },
                "apiserver": [
                    "dispatched_serin": Int(apfAll + apfLeases), "dispatched_serin_leases": Int(apfLeases),
                    "per_canary_per_interval": perCanary(apfAll + apfLeases),
                    "per_canary_per_interval_without_lease": perCanary(apfAll),
                    "request_total_every_client": Int(everyClient),
                ],
                "operator_cpu_ms_per_interval": OperatorBenchmark.round(cpu * 1000 / intervals),
                // Every Canary ticks once an interval: the operator's CPU per tick, all of it counted.
                "operator_cpu_us_per_canary_tick": OperatorBenchmark.round(cpu * 1_000_000 / intervals / Double(canaries)),
                "operator_cpu_percent": Self.round3(cpu / measured * 100),
                "operator_rss_mb_mean": OperatorBenchmark.round(rssMean), "operator_rss_mb_max": OperatorBenchmark.round(samples.max() ?? 0),
                "operator_cpu_ms_per_canary_per_interval": Self.round3(cpu * 1000 / intervals / Double(canaries)),
                "operator_rss_kb_per_canary": OperatorBenchmark.round(rssMean * 1024 / Double(canaries)),
                "metric_queries": queries, "attempts": attempts,
            ],
            "release": [
                // Serin restarted by the benchmark during the release (the times then include the restart).
                "serin_restarts": process.restarts - restartsBeforeRelease,
                "canaries_with_weight": latencies.count,
                "commit_to_first_weight_s": percentiles(latencies),
                "commit_to_canary_scaled_s": percentiles(toScaled),
                "canary_scaled_to_ready_s": percentiles(scaledToReady),
                "canary_ready_to_first_weight_s": percentiles(readyToWeight),
                "serin_share_of_commit_to_first_weight": ["p50": Self.round3(Usage.percentile(serinShare, 0.5)),
                                                          "p99": Self.round3(Usage.percentile(serinShare, 0.99))],
                "seconds": OperatorBenchmark.round(releaseSeconds), "operator_cpu_s": OperatorBenchmark.round(releaseCPU),
            ],
            "drift": drift,
            "operator_rss_mb_peak": OperatorBenchmark.round(peakRSS),
            "fake_node": ["pods_made_ready": node.podsMarkedReady, "requests": node.requestsSent],
        ]
        if let baselineRequests { report["baseline_apiserver_request_total_every_client"] = ["seconds": baseline, "requests": Int(baselineRequests)] }
        if latencies.count < canaries {
            FileHandle.standardError.write(Data("only \(latencies.count) of \(canaries) Canaries changed weight within \(Int(timeout)) s\n".utf8))
        }
        return report
    }

    /// Edits the image of up to 100 `-primary` Deployments (a JSON patch,
    /// as `kubectl set image` sends) and times each until Serin's drift
    /// watch has put it back, as the Deployment cache sees it; with Serin's
    /// CPU and requests meanwhile.
    private func measureDrift(_ client: KubeClient, namespace: String, names: [String], cache: Informer<Deployment>,
                              process: OperatorProcess, port: Int) async throws -> [String: Any] {
        let edited = Array(names.prefix(100)).map { $0 + "-primary" }
        let original = Dictionary(uniqueKeysWithValues: edited.map { name in
            (name, cache.get(name, namespace: namespace)?.spec?.template?["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue ?? "")
        })
        let changes = cache.changes()
        let cpuBefore = OperatorBenchmark.cpuSeconds(process.pid)
        let requestsBefore = try serinMetrics(port).sum("serin_kubernetes_requests_total")
        var editedAt: [String: ContinuousClock.Instant] = [:]
        let watcher = Task {
            var back: [String: ContinuousClock.Instant] = [:]
            var seenEdit: Set<String> = []
            for await change in changes {
                guard let name = change.object.metadata.name, original[name] != nil else { continue }
                let image = change.object.spec?.template?["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue
                if image != original[name] { seenEdit.insert(name) } else if seenEdit.contains(name), back[name] == nil { back[name] = .now }
                if back.count == edited.count { break }
            }
            return back
        }
        for name in edited {
            editedAt[name] = .now
            _ = try await client.resources(Deployment.self).jsonPatch(name, namespace: namespace, operations: [
                .replace("/spec/template/spec/containers/0/image", "serin.local/kube-app:drift"),
            ])
        }
        let deadline = Task {
            try? await Task.sleep(for: .seconds(120))
            watcher.cancel()
        }
        let back = await watcher.value
        deadline.cancel()
        let seconds = back.compactMap { name, at in editedAt[name].map { OperatorBenchmark.seconds(at - $0) } }
        let cpu = OperatorBenchmark.cpuSeconds(process.pid) - cpuBefore
        let requests = try serinMetrics(port).sum("serin_kubernetes_requests_total") - requestsBefore
        if back.count < edited.count {
            FileHandle.standardError.write(Data("drift: only \(back.count) of \(edited.count) edits were put back within 120 s\n".utf8))
        }
        return ["edited": edited.count, "put_back": back.count,
                "edit_to_put_back_s": ["p50": Self.round3(Usage.percentile(seconds, 0.5)), "p99": Self.round3(Usage.percentile(seconds, 0.99)),
                                       "max": Self.round3(Usage.percentile(seconds, 1.0))],
                "operator_cpu_s": OperatorBenchmark.round(cpu), "serin_requests": Int(requests)]
    }

    /// One file per Canary: its Deployment (pods bound to the fake node) and its Canary.
    private func files(_ names: [String], namespace: String, node: String, image: String, version: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { name in
            ("deploy/\(name).yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: \(name), namespace: \(namespace) }
            spec:
              replicas: 1
              selector: { matchLabels: { app: \(name) } }
              template:
                metadata: { labels: { app: \(name) } }
                spec:
                  nodeName: \(node)
                  tolerations: [{ key: \(FakeNode.taint), operator: Exists }]
                  terminationGracePeriodSeconds: 0
                  containers:
                    - { name: app, image: \(image), imagePullPolicy: Never, env: [{ name: APP_VERSION, value: \(version) }],
                        ports: [{ containerPort: 8080 }] }
            ---
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: \(name), namespace: \(namespace) }
            spec:
              provider: gatewayapi:v1beta1
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: \(name) }
              service: { port: 80, targetPort: 8080, gatewayRefs: [{ name: public, namespace: gateways }] }
              analysis:
                interval: \(interval)s
                threshold: 2
                maxWeight: 50
                stepWeight: 10
                metrics: [{ name: request-success-rate, interval: 1m, thresholdRange: { min: 99 } }]

            """)
        })
    }

    /// The weight of the route's `-canary` backend.
    static func canaryWeight(_ route: HTTPRouteV1Beta1) -> Int64 {
        let rules = route.spec?["rules"]?.arrayValue ?? []
        return rules.flatMap { $0["backendRefs"]?.arrayValue ?? [] }
            .filter { $0["name"]?.stringValue?.hasSuffix("-canary") == true }
            .compactMap { $0["weight"]?.intValue }.max() ?? 0
    }

    // MARK: metrics

    private func serinMetrics(_ port: Int) throws -> MetricsText {
        let answer = try Loopback.request(port: port, path: "/metrics", timeout: .seconds(30))
        guard answer.status == 200 else { throw BenchError("serin's /metrics answered \(answer.status)") }
        return MetricsText(answer.body)
    }

    /// The apiserver's /metrics; the test cluster is shared, and someone may restart its apiserver: retried for a minute.
    private func apiserverMetrics() async throws -> MetricsText {
        var attempt = 0
        while true {
            let run = try CommandRun.run(kubectl, ["get", "--raw", "/metrics"], timeout: .seconds(60))
            if run.status == 0 { return MetricsText(run.stdout) }
            attempt += 1
            guard attempt < 30 else { throw BenchError("kubectl get --raw /metrics: \(run.stderr)") }
            try await Task.sleep(for: .seconds(2))
        }
    }

    // MARK: cleaning up

    private func cleanUp(_ client: KubeClient, namespace: String, identity: BenchIdentity?, node: FakeNode?, prometheus: FakePrometheus?) async {
        prometheus?.stop()
        // The fake node finishes the pods' deletion: it goes last.
        _ = try? await client.resources(Namespace.self).deleteIfPresent(namespace)
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline, (try? await client.resources(Namespace.self).getIfPresent(namespace)) != nil {
            try? await Task.sleep(for: .seconds(2))
        }
        await identity?.remove(client)
        await node?.remove()
    }

    static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// Prometheus' text format, summed by metric name (and a filter on the labels).
struct MetricsText {
    /// (name, labels text, value) of every sample line.
    private let samples: [(name: Substring, labels: Substring, value: Double)]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            if let brace = series.firstIndex(of: "{") { return (series[..<brace], series[brace...], value) }
            return (series, "", value)
        }
    }

    func sum(_ name: String, where filter: (String) -> Bool = { _ in true }) -> Double {
        samples.filter { $0.name == name && filter(String($0.labels)) }.reduce(0) { $0 + $1.value }
    }

    func byLabels(_ name: String) -> [String: Double] {
        samples.filter { $0.name == name }.reduce(into: [:]) { $0[String($1.labels), default: 0] += $1.value }
    }
}
