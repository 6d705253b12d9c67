import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Releases judged on the canary pods' own metrics, and an operator
    /// killed mid-release on a new, empty state directory.
    @Suite struct KubernetesReleaseTests {
        typealias Operator = KubernetesOperatorTests

        /// A stand-in for Prometheus' kubernetes_sd_configs, which Debian's
        /// Prometheus is built without ("field kubernetes_sd_configs not
        /// found"): the namespace's running pods, listed from the real
        /// apiserver every 500 ms, written as a file_sd target list with
        /// the `namespace` and `pod` labels kubernetes_sd relabelling gives.
        /// It also sends steady requests to the canary's pods (no Gateway
        /// API data plane runs here): those labelled `app: <app>`, on `port`.
        ///
        /// The listing and the load run apart, and each request has a
        /// deadline: a pod deleted while a request to it is in flight (the
        /// target scaled to zero when its Canary is initialized) answers
        /// nothing, and with the shared client's 90 s timeouts one loop
        /// stood still for minutes, so Prometheus never heard of the next
        /// canary pod and its release failed for want of data.
        final class FakePodDiscovery: Sendable {
            let file: String
            let task: Task<Void, Never>

            /// `isCanary`: the pods the steady requests go to (the target's, not the primary's; by default those labelled `app: <app>`).
            init(client: KubeClient, namespace: String, directory: TemporaryDirectory, app: String = "web", port: Int = 8080,
                 isCanary: (@Sendable (Pod) -> Bool)? = nil) {
                let isCanary = isCanary ?? { $0.metadata.labels?["app"] == app }
                let file = directory.path + "/pods.json"
                self.file = file
                // The canary pods' addresses, as last listed.
                let canaries = NIOLockedValueBox<[String]>([])
                task = Task {
                    await withDiscardingTaskGroup { group in
                        group.addTask {
                            while !Task.isCancelled {
                                let pods = (try? await client.resources(Pod.self).list(namespace: namespace).items) ?? []
                                let running = pods.filter { $0.status?.phase == "Running" && $0.status?.podIP != nil }
                                let groups = running.map { pod -> [String: Any] in
                                    // kube-prometheus' labels and Flagger's Prometheus' (kubernetes_sd relabelled).
                                    ["targets": ["\(pod.status?.podIP ?? ""):\(port)"],
                                     "labels": ["namespace": namespace, "pod": pod.metadata.name ?? "", "kubernetes_namespace": namespace,
                                                "kubernetes_pod_name": pod.metadata.name ?? "",
                                                "pod_template_hash": pod.metadata.labels?["pod-template-hash"] ?? ""]]
                                }
                                if let data = try? JSONSerialization.data(withJSONObject: groups) {
                                    try? data.write(to: URL(fileURLWithPath: file + ".tmp"))
                                    _ = rename(file + ".tmp", file)
                                }
                                // The canary: the target's pods, not the primary's.
                                canaries.withLockedValue { $0 = running.filter { isCanary($0) && $0.isReady }.compactMap { $0.status?.podIP } }
                                try? await Task.sleep(for: .milliseconds(500))
                            }
                        }
                        group.addTask {
                            while !Task.isCancelled {
                                for address in canaries.withLockedValue({ $0 }) {
                                    _ = try? await HTTPClient.shared.get(url: "http://\(address):\(port)/", deadline: .now() + .seconds(2)).get()
                                }
                                try? await Task.sleep(for: .milliseconds(50))
                            }
                        }
                    }
                }
            }
        }

        static func canary(_ namespace: String, metrics: Bool) -> String {
            let analysis = metrics
                ? "{ interval: 4s, threshold: 2, maxWeight: 50, stepWeight: 25, metrics: [{ name: request-success-rate, interval: 8s, thresholdRange: { min: 95 } }] }"
                : "{ interval: 3s, threshold: 2, maxWeight: 50, stepWeight: 10 }"
            return """
                apiVersion: flagger.app/v1beta1
                kind: Canary
                metadata: { name: web, namespace: \(namespace) }
                spec:
                  provider: gatewayapi:v1beta1
                  targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
                  progressDeadlineSeconds: 120
                  service: { port: 80, targetPort: 8080, gatewayRefs: [{ name: public, namespace: gateways }] }
                  analysis: \(analysis)
                """
        }

        static func failing(_ deployment: String) -> String {
            deployment.replacingOccurrences(of: #"env: [{ name: APP_VERSION, value: "v2" }]"#,
                                            with: #"env: [{ name: APP_VERSION, value: "v2" }, { name: ERROR_RATE, value: "1" }]"#)
        }

        @Test(.timeLimit(.minutes(10)))
        func aFailingReleaseIsRolledBackOnItsOwnMetrics() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let scratch = try TemporaryDirectory(prefix: "serin-kube-pods")
                defer { scratch.remove() }
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let discovery = FakePodDiscovery(client: client, namespace: namespace, directory: scratch)
                defer { discovery.task.cancel() }
                let prometheus = try PrometheusServer(fileTargets: discovery.file)
                defer { prometheus.stop() }
                let repository = try GitFixture()
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"),
                                       "deploy/canary.yaml": Self.canary(namespace, metrics: true)], message: "v1")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace, prometheus: prometheus.address)
                do {
                    try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                        try await Operator.phase(client, namespace) == "Initialized"
                    }
                    try repository.commit(["deploy/web.yaml": Self.failing(Operator.deployment(namespace, version: "v2"))], message: "v2 answers 500")
                    try await eventually("the canary takes 25%", timeout: .seconds(60)) {
                        try await Operator.canaryWeight(client, namespace) == 25
                    }
                    try await eventually("the release fails", timeout: .seconds(180)) {
                        try await Operator.phase(client, namespace) == "Failed"
                    }
                    let weight = try await Operator.canaryWeight(client, namespace)
                    #expect(weight == 0)
                    try await eventually("the canary is at zero") {
                        try await Operator.replicas(client, namespace, "web") == 0
                    }
                    let primary = try await Operator.version(client, namespace, "web-primary")
                    #expect(primary == "v1")
                    let failures = Operator.decisions(running, "Failed")
                    #expect(failures.contains { $0.contains("request-success-rate") }, "\(failures)")
                } catch {
                    let states = running.stateDirectory.path + "/state/rollouts"
                    for file in (try? FileManager.default.contentsOfDirectory(atPath: states)) ?? [] {
                        print("state \(file): " + ((try? String(contentsOfFile: states + "/" + file, encoding: .utf8)) ?? ""))
                    }
                    print("targets: " + ((try? String(contentsOfFile: discovery.file, encoding: .utf8)) ?? "none"))
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// Two `serin run` replicas on empty state directories: the standby
        /// does nothing while the leader holds the lease; the leader is
        /// killed with SIGKILL mid-release; the standby takes the lease once
        /// it expires, finds the release's state in the cluster and continues
        /// at the step reached, never acting before the leader was gone.
        @Test(.timeLimit(.minutes(10)))
        func aStandbyOnAnEmptyStateDirectoryContinuesWhenTheLeaderIsKilled() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let repository = try GitFixture()
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"),
                                       "deploy/canary.yaml": Self.canary(namespace, metrics: false)], message: "v1")
                let scratch = try TemporaryDirectory(prefix: "serin-kube-run")
                defer { scratch.remove() }
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                var leader: ServerProcess? = try Self.serinRun(repository: repository, namespace: namespace, in: scratch, name: "leader")
                defer { leader?.stop() }
                try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                    try await Operator.phase(client, namespace) == "Initialized"
                }
                let standby = try Self.serinRun(repository: repository, namespace: namespace, in: scratch, name: "standby")
                defer { standby.stop() }
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v2")], message: "v2")
                try await eventually("the canary takes 20%", timeout: .seconds(180)) {
                    (try await Operator.canaryWeight(client, namespace) ?? 0) >= 20
                }
                #expect(Self.decisions(scratch, "standby").isEmpty, "the standby acted while the leader held the lease")
                let before: Lease = try await client.resources(Lease.self).get("serin-leader", namespace: namespace)
                kill(leader?.process.processIdentifier ?? 0, SIGKILL)
                leader?.process.waitUntilExit()
                leader = nil
                let killed = Date().timeIntervalSince1970
                let reached = try await Operator.canaryWeight(client, namespace) ?? 0
                let state: ConfigMap? = try await client.resources(ConfigMap.self).getIfPresent("serin-state-web", namespace: namespace)
                #expect(state != nil, "the rollout's state is in the cluster")

                var seen: [Int] = []
                try await eventually("the release succeeds", timeout: .seconds(120)) {
                    if let weight = try await Operator.canaryWeight(client, namespace), seen.last != weight { seen.append(weight) }
                    return try await Operator.phase(client, namespace) == "Succeeded"
                }
                let backwards = seen.dropLast().filter { $0 < reached }
                #expect(backwards.isEmpty, "weights after the takeover: \(seen), reached \(reached) before it")
                let promoted = try await Operator.version(client, namespace, "web-primary")
                #expect(promoted == "v2")
                let after: Lease = try await client.resources(Lease.self).get("serin-leader", namespace: namespace)
                #expect(after.spec?.holderIdentity != before.spec?.holderIdentity)
                #expect((after.spec?.leaseTransitions ?? 0) > (before.spec?.leaseTransitions ?? 0))
                let standbyDecisions = Self.decisions(scratch, "standby")
                let first = standbyDecisions.map(\.time).min() ?? 0
                #expect(first > killed, "the standby's first decision came \(killed - first) s before the leader was killed")
                // The lease's 15 s, then the time a busy machine takes to start acting.
                #expect(first - killed < 45, "the standby took over \(first - killed) s after the kill (lease 15 s)")
                print("leader killed at step weight \(reached); the standby's first decision \(first - killed) s later; weights after: \(seen)")
            }
        }

        /// The apiserver out of Serin's reach mid-release (a relay the test
        /// cuts) until the rollout has met the outage (it recorded that it
        /// could not carry out its decisions): no verdict while it is away,
        /// no step lost or repeated after it. Without leader election: the
        /// outage lasts as long as Serin takes to meet it, which on a busy
        /// machine may pass the lease's renew deadline, and a lost lease
        /// ends the process (here, the test runner).
        @Test(.timeLimit(.minutes(10)))
        func anApiserverOutageMidReleaseLosesNoStepAndDecidesNothing() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let relay = try await OutageTests.relay()
                let scratch = try TemporaryDirectory(prefix: "serin-kube-outage")
                defer { scratch.remove() }
                let direct = try String(contentsOfFile: KubeTestCluster.environment["KUBECONFIG"] ?? "", encoding: .utf8)
                let server = try KubeTestCluster.config().server
                let kubeconfig = try scratch.write("kubeconfig", direct.replacingOccurrences(of: server, with: "https://127.0.0.1:\(relay.port)"))
                let repository = try GitFixture()
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"),
                                       "deploy/canary.yaml": Self.canary(namespace, metrics: false)], message: "v1")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace, kubeconfig: kubeconfig,
                                                                 leaderElection: false)
                do {
                    // Pods start in seconds, but the one node's kubelet was seen
                    // stalled for over a minute after the suite's other tests
                    // (pods of deleted namespaces, a large image imported).
                    try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                        try await Operator.phase(client, namespace) == "Initialized"
                    }
                    try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v2")], message: "v2")
                    try await eventually("the canary takes 20%", timeout: .seconds(180)) {
                        (try await Operator.canaryWeight(client, namespace) ?? 0) >= 20
                    }
                    try await relay.cut()
                    let cutAt = Date().timeIntervalSince1970
                    let reached = try await Operator.canaryWeight(client, namespace) ?? 0
                    // Twice: a decision it could not carry out, and the retry of it.
                    try await eventually("the rollout meets the outage", timeout: .seconds(120)) {
                        Self.rolloutErrors(running, after: cutAt).count >= 2
                    }
                    let during = try await Operator.canaryWeight(client, namespace) ?? 0
                    let phase = try await Operator.phase(client, namespace)
                    #expect(during == reached, "the route changed while Serin could not reach the apiserver")
                    #expect(phase == "Progressing")
                    try await relay.restore()
                    var seen: [Int] = [reached]
                    try await eventually("the release succeeds", timeout: .seconds(120)) {
                        if let weight = try await Operator.canaryWeight(client, namespace), seen.last != weight { seen.append(weight) }
                        return try await Operator.phase(client, namespace) == "Succeeded"
                    }
                    // Every step, in order: none went back, none was skipped while its route could not be written.
                    #expect(seen == [20, 30, 40, 50, 0].filter { $0 >= reached || $0 == 0 }, "weights: \(seen)")
                    // Each step's weight was set once: no verdict and no repeated step from the outage.
                    let entries = EventLog.entries(inStateDirectory: running.stateDirectory.path + "/state")
                    let failures = entries.filter { $0.decision == "Failed" }
                    #expect(failures.isEmpty, "\(failures)")
                    let errors = entries.filter { $0.decision == "error" && $0.time > cutAt }
                    print("apiserver outage at weight \(reached): \(errors.count) errors recorded, weights after: \(seen)")
                } catch {
                    await running.stop()
                    await relay.stop()
                    throw error
                }
                await running.stop()
                await relay.stop()
            }
        }

        /// The errors the rollouts of `running` recorded after `time`.
        static func rolloutErrors(_ running: Operator.RunningOperator, after time: Double) -> [EventLog.Entry] {
            let entries = EventLog.entries(inStateDirectory: running.stateDirectory.path + "/state")
            return entries.filter { $0.decision == "error" && $0.rollout != "-" && $0.time > time }
        }

        /// What a replica's event log holds.
        static func decisions(_ scratch: TemporaryDirectory, _ name: String) -> [EventLog.Entry] {
            EventLog.entries(inStateDirectory: scratch.path + "/" + name + "/state")
        }

        /// `serin run` as a process, on a new state directory `scratch/name`.
        static func serinRun(repository: GitFixture, namespace: String, in scratch: TemporaryDirectory, name: String) throws -> ServerProcess {
            let directory = scratch.path + "/" + name
            let port = try Loopback.freePort()
            let config = try scratch.write(name + "/serin.yaml", """
                stateDir: \(directory)/state
                platform: kubernetes
                kubernetes: { kubeconfig: \(KubeTestCluster.environment["KUBECONFIG"] ?? ""), namespace: \(namespace) }
                prometheus: { address: "http://127.0.0.1:1" }
                api: { listen: "127.0.0.1:\(port)" }
                sources:
                  - { name: apps, url: "file://\(repository.bare)", ref: { branch: main }, interval: 1s }
                """)
            return try ServerProcess(Products.executable("serin"), ["run", "--config", config], port: port, log: directory + "/serin.log")
        }
    }
}
