import AsyncHTTPClient
import Foundation
import NIOCore
import Prometheus
import SerinEngine
import SerinKubernetesTesting
import SerinOperator
import SerinSpec
import SerinTesting
import Synchronization
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// One source, two real control planes: `staging` (the test cluster,
    /// its real node) and `production` (the second control plane of
    /// `cluster.sh second`, whose only node is a `FakeNode`), in waves
    /// `[[staging], [production]]`. A revision reaches production only
    /// once staging promoted it; a revision staging rolls back never
    /// reaches production; production out of reach halts its wave.
    @Suite struct WaveTests {
        typealias Operator = KubernetesOperatorTests

        /// The second control plane: SERIN_KUBE2_KUBECONFIG, as `cluster.sh second env` prints it.
        static func productionKubeconfig() throws -> String {
            guard let path = KubeTestCluster.environment["SERIN_KUBE2_KUBECONFIG"], !path.isEmpty else {
                throw KubeTestCluster.NotConfigured(description: """
                    no second control plane for the multi-cluster tests: SERIN_KUBE2_KUBECONFIG is not set. \
                    Start it and export its environment: eval "$(bash scripts/kube/cluster.sh second up)"
                    """)
            }
            return path
        }

        /// Both clusters, each with the same namespace (the same manifests
        /// go to both), the HTTPRoute CRD, a fake gateway controller, and
        /// production's FakeNode; all removed afterwards.
        struct Clusters: Sendable {
            let staging: KubeClient
            let production: KubeClient
            let namespace: String
            let productionKubeconfig: String
            let stagingKubeconfig: String
        }

        static func withClusters(_ test: String = #function, _ body: (Clusters) async throws -> Void) async throws {
            let productionPath = try productionKubeconfig()
            let production = try KubeClient(config: KubeConfig.load(path: productionPath))
            do {
                try await KubeTestCluster.withNamespace(test) { staging, namespace in
                    _ = try await production.resources(Namespace.self).create(Namespace(name: namespace, labels: ["serin.dev/test": "true"]))
                    let node = try await FakeNode(client: production, name: "serin-test-fake-node", tainted: false)
                    let gateways = [FakeGatewayController(client: staging, namespace: namespace),
                                    FakeGatewayController(client: production, namespace: namespace)]
                    let result: Result<Void, any Error>
                    do {
                        for client in [staging, production] { try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml") }
                        try await body(Clusters(staging: staging, production: production, namespace: namespace,
                                                productionKubeconfig: productionPath, stagingKubeconfig: KubeTestCluster.environment["KUBECONFIG"] ?? ""))
                        result = .success(())
                    } catch {
                        result = .failure(error)
                    }
                    for gateway in gateways { gateway.stop() }
                    _ = try? await production.resources(Namespace.self).deleteIfPresent(namespace, propagationPolicy: .background)
                    await node.remove()
                    try result.get()
                }
            } catch {
                try? await production.shutdown()
                throw error
            }
            try await production.shutdown()
        }

        /// serin.yaml with both clusters; `productionKubeconfig` may point through a relay.
        static func config(_ clusters: Clusters, state: String, repository: GitFixture, productionKubeconfig: String? = nil,
                           pause: Bool = false, api: Int? = nil) -> String {
            """
            stateDir: \(state)
            platform: kubernetes
            clusters:
              - { name: staging, kubeconfig: \(clusters.stagingKubeconfig), namespace: \(clusters.namespace) }
              - { name: production, kubeconfig: \(productionKubeconfig ?? clusters.productionKubeconfig), namespace: \(clusters.namespace) }
            prometheus: { address: "http://127.0.0.1:1" }
            \(api.map { "api: { listen: \"127.0.0.1:\($0)\" }" } ?? "")
            sources:
              - name: apps
                url: "file://\(repository.bare)"
                ref: { branch: main }
                path: deploy
                interval: 1s
                waves: [ [ staging ], [ production ] ]
                pause: \(pause)
            """
        }

        /// An operator in this process on `clusters`.
        final class RunningFleet: Sendable {
            let task: Task<Void, any Error>
            let directory: TemporaryDirectory
            let serinOperator: SerinOperator.Operator

            init(_ clusters: Clusters, repository: GitFixture, productionKubeconfig: String? = nil) async throws {
                directory = try TemporaryDirectory(prefix: "serin-waves")
                let file = try directory.write("serin.yaml", WaveTests.config(clusters, state: directory.path + "/state", repository: repository,
                                                                               productionKubeconfig: productionKubeconfig))
                let resolved = try OperatorConfig.load(file).get()
                let serinOperator = try SerinOperator.Operator(config: resolved, options: .init(serinExecutable: "/bin/false",
                                                                                             registry: PrometheusCollectorRegistry()))
                self.serinOperator = serinOperator
                task = Task { try await serinOperator.run() }
            }

            func source() async -> SourceStatusReport? { await serinOperator.sources().first }

            func stop() async {
                task.cancel()
                _ = await task.result
                directory.remove()
            }
        }

        static func files(_ namespace: String, version: String, greeting: String, failing: Bool = false) -> [String: String] {
            var canary = Operator.canary(namespace)
            if failing {
                // A rollout webhook nobody answers: every analysis step fails, and the release is rolled back.
                canary = canary.replacingOccurrences(of: "analysis: { interval: 2s, threshold: 2, maxWeight: 50, stepWeight: 25 }",
                                                     with: "analysis: { interval: 2s, threshold: 2, maxWeight: 50, stepWeight: 25, "
                                                        + "webhooks: [{ name: gate, type: rollout, url: \"http://127.0.0.1:1/\", timeout: 2s }] }")
            }
            return ["deploy/web.yaml": Operator.deployment(namespace, version: version, settings: true),
                    "deploy/canary.yaml": canary,
                    "deploy/settings.yaml": Operator.configMap(namespace, greeting)]
        }

        /// The first revision goes wave by wave too: staging, then production.
        /// A fleet on a new repository at v1, settled on both clusters, then
        /// `body`; the fleet is stopped after it, whatever happens.
        static func withSettledFleet(_ clusters: Clusters, productionKubeconfig: String? = nil,
                                     _ body: (GitFixture, RunningFleet) async throws -> Void) async throws {
            let repository = try GitFixture()
            try repository.commit(files(clusters.namespace, version: "v1", greeting: "hello"), message: "v1")
            let fleet = try await RunningFleet(clusters, repository: repository, productionKubeconfig: productionKubeconfig)
            do {
                try await settleFirst(clusters, fleet)
                try await body(repository, fleet)
            } catch {
                await fleet.stop()
                throw error
            }
            await fleet.stop()
        }

        static func settleFirst(_ clusters: Clusters, _ fleet: RunningFleet) async throws {
            for (name, client) in [("staging", clusters.staging), ("production", clusters.production)] {
                try await eventually("the Canary is Initialized on \(name)", timeout: .seconds(180)) {
                    try await Operator.phase(client, clusters.namespace) == "Initialized"
                }
            }
            try await eventually("every wave released v1", timeout: .seconds(30)) {
                guard let waves = await fleet.source()?.waves else { return false }
                return waves.wave == 3 && waves.hold == nil
            }
        }

        /// What the test saw of each cluster, from watches (every change the
        /// apiservers made, however brief, not samples of it): when staging
        /// promoted `version`, and when production first ran (or took a
        /// canary of) it, with every version and greeting production had.
        final class Watch: Sendable {
            struct Seen: Sendable {
                var stagingPromoted: ContinuousClock.Instant?
                var productionCanary: ContinuousClock.Instant?
                var productionVersions: Set<String> = []
                var productionGreetings: Set<String> = []
                var stagingPrimary: String?
                var stagingPhase: String?
                /// Watches that listed the state they start from.
                var listed: Set<String> = []
            }

            let seen = SendableBox(Seen())
            private let tasks: [Task<Void, Never>]

            init(_ clusters: Clusters, version: String) {
                let seen = self.seen
                let namespace = clusters.namespace
                let record: @Sendable (ContinuousClock.Instant, (inout Seen) -> Void) -> Void = { now, change in
                    seen.update { seen in
                        change(&seen)
                        if seen.stagingPrimary == version, seen.stagingPhase == "Succeeded", seen.stagingPromoted == nil {
                            seen.stagingPromoted = now
                        }
                    }
                }
                tasks = [
                    Self.follow(Deployment.self, clusters.staging, namespace, "staging deployments", into: seen) { deployment, now in
                        guard deployment.metadata.name == "web-primary" else { return }
                        record(now) { $0.stagingPrimary = Operator.version(of: deployment) }
                    },
                    Self.follow(SerinKubernetes.Canary.self, clusters.staging, namespace, "staging canaries", into: seen) { canary, now in
                        guard canary.metadata.name == "web" else { return }
                        record(now) { $0.stagingPhase = canary.status?.phase }
                    },
                    Self.follow(Deployment.self, clusters.production, namespace, "production deployments", into: seen) { deployment, now in
                        guard ["web", "web-primary"].contains(deployment.metadata.name ?? ""), let running = Operator.version(of: deployment) else { return }
                        record(now) { seen in
                            seen.productionVersions.insert(running)
                            if running == version, seen.productionCanary == nil { seen.productionCanary = now }
                        }
                    },
                    Self.follow(ConfigMap.self, clusters.production, namespace, "production configmaps", into: seen) { map, now in
                        guard map.metadata.name == "settings", let greeting = map.data?["greeting"] else { return }
                        record(now) { _ = $0.productionGreetings.insert(greeting) }
                    },
                ]
            }

            /// Every object of `R` in the namespace, through the project's
            /// `Informer` (its list, then every addition and change its watch
            /// brings, reconnecting as it does); `name` joins `listed` once
            /// the informer has listed and its objects were handled.
            static func follow<R: KubeResource>(_ type: R.Type, _ client: KubeClient, _ namespace: String, _ name: String,
                                                into seen: SendableBox<Seen>,
                                                _ handle: @escaping @Sendable (R, ContinuousClock.Instant) -> Void) -> Task<Void, Never> {
                let informer = Informer(client.resources(R.self), namespace: namespace)
                let changes = informer.changes()
                return Task {
                    await withDiscardingTaskGroup { group in
                        group.addTask { await informer.run() }
                        group.addTask {
                            for await change in changes {
                                switch change {
                                case .added(let object), .updated(_, let object): handle(object, .now)
                                case .deleted: break
                                }
                            }
                        }
                        group.addTask {
                            try? await informer.waitForSync()
                            for object in informer.list() { handle(object, .now) }
                            seen.update { _ = $0.listed.insert(name) }
                        }
                    }
                }
            }

            /// Every watch has listed what it starts from.
            var listening: Bool { seen.value.listed.count == tasks.count }

            func stop() async {
                for task in tasks { task.cancel() }
                for task in tasks { await task.value }
            }
        }

        /// A good revision: staging releases it with its canary first;
        /// production's Deployment does not change until staging promoted it.
        @Test(.timeLimit(.minutes(8)))
        func aGoodRevisionReachesProductionOnlyAfterStagingPromotedIt() async throws {
            try await Self.withClusters { clusters in
                try await Self.withSettledFleet(clusters) { repository, fleet in
                    // One Lease for the operator, in the home cluster (staging).
                    let lease: Lease? = try await clusters.staging.resources(Lease.self).getIfPresent("serin-leader", namespace: clusters.namespace)
                    let noLease: Lease? = try await clusters.production.resources(Lease.self).getIfPresent("serin-leader", namespace: clusters.namespace)
                    #expect(lease != nil && noLease == nil)
                    // The record of waves is a ConfigMap in the home cluster.
                    let record: ConfigMap? = try await clusters.staging.resources(ConfigMap.self)
                        .getIfPresent(ClusterWaveStore.name(of: "apps"), namespace: clusters.namespace)
                    #expect(record?.data?["record.json"]?.contains("\"wave\":2") == true, "\(String(describing: record))")

                    let watch = Watch(clusters, version: "v2")
                    try await eventually("the watches listed both clusters", timeout: .seconds(30)) { watch.listening }
                    try repository.commit(Self.files(clusters.namespace, version: "v2", greeting: "hello"), message: "v2")
                    try await eventually("staging's canary takes 25%", timeout: .seconds(120)) {
                        try await Operator.canaryWeight(clusters.staging, clusters.namespace) == 25
                    }
                    // The API: the revision is in wave 1, production keeps v1.
                    let during = try #require(await fleet.source())
                    #expect(during.waves?.wave == 1, "\(String(describing: during.waves))")
                    #expect(during.waves?.revisions["production"] != during.revision)
                    let rollouts = await fleet.serinOperator.rollouts()
                    #expect(Set(rollouts.map(\.qualifiedName)) == ["staging/\(clusters.namespace)/web", "production/\(clusters.namespace)/web"])
                    try await eventually("production runs v2", timeout: .seconds(240)) {
                        try await Operator.version(clusters.production, clusters.namespace, "web-primary") == "v2"
                    }
                    try await eventually("production's release succeeds", timeout: .seconds(60)) {
                        try await Operator.phase(clusters.production, clusters.namespace) == "Succeeded"
                    }
                    await watch.stop()
                    let seen = watch.seen.value
                    let promoted = try #require(seen.stagingPromoted, "staging was never seen promoting v2")
                    let reached = try #require(seen.productionCanary, "production was never seen taking v2")
                    #expect(promoted <= reached, "production took v2 \(promoted - reached) before staging promoted it")
                    try await eventually("the source is Ready with v2 in every wave", timeout: .seconds(30)) {
                        guard let source = await fleet.source() else { return false }
                        return source.conditions.isReady && source.waves?.wave == 3
                            && source.waves?.revisions["production"] == source.revision && source.waves?.revisions["staging"] == source.revision
                    }
                    // Each cluster's rollout has a state file of its own.
                    let state = fleet.directory.path + "/state/clusters"
                    for cluster in ["staging", "production"] {
                        #expect(FileManager.default.fileExists(atPath: "\(state)/\(cluster)/rollouts/\(clusters.namespace).web.json"), "\(cluster)")
                    }
                }
            }
        }

        /// A bad revision: staging rolls it back; the wave halts with the
        /// reason; production never sees it, neither its Deployment nor its ConfigMap.
        @Test(.timeLimit(.minutes(8)))
        func aBadRevisionRolledBackOnStagingNeverReachesProduction() async throws {
            try await Self.withClusters { clusters in
                try await Self.withSettledFleet(clusters) { repository, fleet in
                    let watch = Watch(clusters, version: "v2")
                    try await eventually("the watches listed both clusters", timeout: .seconds(30)) { watch.listening }
                    try repository.commit(Self.files(clusters.namespace, version: "v2", greeting: "bad", failing: true), message: "bad v2")
                    try await eventually("staging takes the bad ConfigMap", timeout: .seconds(120)) {
                        try await Operator.greeting(clusters.staging, clusters.namespace) == "bad"
                    }
                    try await eventually("staging rolls v2 back", timeout: .seconds(180)) {
                        try await Operator.phase(clusters.staging, clusters.namespace) == "Failed"
                    }
                    try await eventually("the source says its wave halted", timeout: .seconds(30)) {
                        await fleet.source()?.conditions["Ready"]?.reason == "WaveHalted"
                    }
                    let source = try #require(await fleet.source())
                    let ready = try #require(source.conditions["Ready"])
                    #expect(ready.message.contains("halted at wave 1 (staging)"), "\(ready.message)")
                    #expect(ready.message.contains("rolled"), "\(ready.message)")
                    #expect(source.waves?.hold?.hasPrefix("staging: ") == true, "\(String(describing: source.waves))")
                    #expect(source.waves?.revisions["production"] != source.revision)
                    // Watched through the whole release, and once more after the halt: production held v1 and hello.
                    await watch.stop()
                    let seen = watch.seen.value
                    #expect(seen.productionCanary == nil, "production took v2")
                    #expect(seen.productionVersions == ["v1"], "\(seen.productionVersions)")
                    #expect(seen.productionGreetings == ["hello"], "\(seen.productionGreetings)")
                    let primary = try await Operator.version(clusters.production, clusters.namespace, "web-primary")
                    let greeting = try await Operator.greeting(clusters.production, clusters.namespace)
                    #expect(primary == "v1" && greeting == "hello")
                    let productionPhase = try await Operator.phase(clusters.production, clusters.namespace)
                    #expect(productionPhase == "Initialized")

                    // A newer commit starts again from the first wave, and goes through.
                    try repository.commit(Self.files(clusters.namespace, version: "v3", greeting: "fixed"), message: "v3")
                    try await eventually("production runs v3", timeout: .seconds(300)) {
                        try await Operator.version(clusters.production, clusters.namespace, "web-primary") == "v3"
                    }
                    let fixed = try await Operator.greeting(clusters.production, clusters.namespace)
                    #expect(fixed == "fixed")
                }
            }
        }

        /// Production out of reach (its apiserver behind a relay the test
        /// cuts): staging keeps serving and releasing; the wave to
        /// production halts saying why, and goes on when it answers again.
        @Test(.timeLimit(.minutes(8)))
        func anUnreachableClusterHaltsItsWave() async throws {
            try await Self.withClusters { clusters in
                let server = try #require(URL(string: clusters.production.config.server))
                let relay = try await TCPRelay(to: server.host ?? "127.0.0.1", port: server.port ?? 443)
                let scratch = try TemporaryDirectory(prefix: "serin-waves-relay")
                defer { scratch.remove() }
                let original = try String(contentsOfFile: clusters.productionKubeconfig, encoding: .utf8)
                let relayed = try scratch.write("production.kubeconfig",
                                                original.replacingOccurrences(of: "https://127.0.0.1:\(server.port ?? 443)",
                                                                              with: "https://127.0.0.1:\(relay.port)"))
                do {
                    try await Self.withSettledFleet(clusters, productionKubeconfig: relayed) { repository, fleet in
                        try await relay.cut()
                        try repository.commit(Self.files(clusters.namespace, version: "v2", greeting: "hello"), message: "v2")
                        try await eventually("staging promotes v2", timeout: .seconds(180)) {
                            try await Operator.version(clusters.staging, clusters.namespace, "web-primary") == "v2"
                        }
                        try await eventually("the wave to production halts, saying why", timeout: .seconds(60)) {
                            guard let source = await fleet.source() else { return false }
                            return source.waves?.wave == 2 && source.waves?.hold?.contains("cluster production cannot be reached") == true
                        }
                        let halted = try #require(await fleet.source())
                        #expect(halted.conditions["Ready"]?.status == .false, "\(halted.conditions)")
                        #expect(halted.conditions["Ready"]?.message.contains("production") == true, "\(halted.conditions)")
                        // The other cluster keeps serving: its rollout is settled on v2.
                        let stagingPhase = try await Operator.phase(clusters.staging, clusters.namespace)
                        #expect(stagingPhase == "Succeeded")
                        // Production still runs v1 (read directly, not through the relay).
                        let held = try await Operator.version(clusters.production, clusters.namespace, "web-primary")
                        #expect(held == "v1")

                        try await relay.restore()
                        try await eventually("production runs v2 once it answers", timeout: .seconds(240)) {
                            try await Operator.version(clusters.production, clusters.namespace, "web-primary") == "v2"
                        }
                        try await eventually("every wave released v2", timeout: .seconds(60)) {
                            guard let source = await fleet.source() else { return false }
                            return source.waves?.wave == 3 && source.conditions.isReady
                        }
                    }
                } catch {
                    await relay.stop()
                    throw error
                }
                await relay.stop()
            }
        }

        /// `serin run` killed with SIGKILL in the middle of a wave and
        /// started again on an empty state directory: it resumes at the same
        /// wave (the record is in the home cluster, the rollouts' states in
        /// their clusters). Killed while staging analyses v2 (wave 1), and
        /// again while the next wave waits for `serin promote apps` (pause).
        @Test(.timeLimit(.minutes(9)))
        func aKilledOperatorResumesAtTheSameWave() async throws {
            try await Self.withClusters { clusters in
                let repository = try GitFixture()
                try repository.commit(Self.files(clusters.namespace, version: "v1", greeting: "hello"), message: "v1")
                let scratch = try TemporaryDirectory(prefix: "serin-waves-kill")
                defer { scratch.remove() }
                let port = try Loopback.freePort()
                let state = scratch.path + "/state"
                let tokenFile = try scratch.write("token", OperatorAPI.token)
                // serin refuses a token file others can read.
                chmod(tokenFile, 0o600)
                let config = try scratch.write("serin.yaml", Self.config(clusters, state: state, repository: repository, pause: true, api: port)
                    .replacingOccurrences(of: "api: { listen: \"127.0.0.1:\(port)\" }",
                                          with: "api: { listen: \"127.0.0.1:\(port)\", tokenFile: \(tokenFile) }"))
                let api = OperatorAPI(port: port)
                func start(_ log: String) throws -> ServerProcess {
                    try ServerProcess(Products.executable("serin"), ["run", "--config", config], port: port, log: scratch.path + "/" + log)
                }
                func source() async -> SourceStatusReport? {
                    await api.sources()?.first
                }
                var serin = try start("serin-1.log")
                defer { serin.stop() }
                // v1 waits for the promotion before production too.
                try await eventually("staging has v1", timeout: .seconds(180)) {
                    try await Operator.phase(clusters.staging, clusters.namespace) == "Initialized"
                }
                try await eventually("v1 waits for serin promote", timeout: .seconds(60)) {
                    await source()?.waves?.hold?.contains("serin promote apps") == true
                }
                let first = try await api.post("/api/v1/sources/apps/promote")
                #expect(first.status == 202, "\(first)")
                try await eventually("production has v1", timeout: .seconds(180)) {
                    try await Operator.phase(clusters.production, clusters.namespace) == "Initialized"
                }

                // Killed in wave 1: staging analyses v2.
                try repository.commit(Self.files(clusters.namespace, version: "v2", greeting: "hello"), message: "v2")
                try await eventually("staging's canary takes 25%", timeout: .seconds(120)) {
                    try await Operator.canaryWeight(clusters.staging, clusters.namespace) == 25
                }
                let before = try #require(await source()?.waves)
                #expect(before.wave == 1 && before.hold == nil, "\(before)")
                kill(serin.process.processIdentifier, SIGKILL)
                serin.process.waitUntilExit()
                try FileManager.default.removeItem(atPath: state)
                serin = try start("serin-2.log")
                try await eventually("the restarted operator knows where v2 stands", timeout: .seconds(90)) {
                    guard let waves = await source()?.waves else { return false }
                    return waves.revision == before.revision && waves.wave == 1 && waves.hold == nil
                }
                let production = try await Operator.version(clusters.production, clusters.namespace, "web-primary")
                #expect(production == "v1")
                // Released by wave 1: the next wave waits for the promotion.
                try await eventually("staging promotes v2, and the next wave waits", timeout: .seconds(180)) {
                    guard let waves = await source()?.waves else { return false }
                    return waves.revision == before.revision && waves.wave == 1 && waves.hold?.contains("serin promote apps") == true
                }
                let stagingPrimary = try await Operator.version(clusters.staging, clusters.namespace, "web-primary")
                #expect(stagingPrimary == "v2")

                // Killed while wave 2 waits for the promotion.
                kill(serin.process.processIdentifier, SIGKILL)
                serin.process.waitUntilExit()
                try FileManager.default.removeItem(atPath: state)
                serin = try start("serin-3.log")
                try await eventually("the restarted operator still waits for the promotion", timeout: .seconds(90)) {
                    guard let waves = await source()?.waves else { return false }
                    return waves.revision == before.revision && waves.wave == 1 && waves.hold?.contains("serin promote apps") == true
                }
                let stillV1 = try await Operator.version(clusters.production, clusters.namespace, "web-primary")
                #expect(stillV1 == "v1")
                let promoted = try await api.post("/api/v1/sources/apps/promote")
                #expect(promoted.status == 202 && promoted.body.contains("wave 2"), "\(promoted)")
                try await eventually("production runs v2", timeout: .seconds(240)) {
                    try await Operator.version(clusters.production, clusters.namespace, "web-primary") == "v2"
                }
            }
        }
    }
}

/// A value several tasks read and change, under a lock.
final class SendableBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    var value: Value { mutex.withLock { $0 } }

    func update(_ change: (inout Value) -> Void) {
        mutex.withLock { change(&$0) }
    }
}

/// `serin run`'s API on a port, as the CLI reads it.
struct OperatorAPI: Sendable {
    let port: Int

    func sources() async -> [SourceStatusReport]? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/sources")
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)), response.status.code == 200,
              let body = try? await response.body.collect(upTo: 16 << 20) else { return nil }
        return try? JSONDecoder().decode([SourceStatusReport].self, from: Data(buffer: body))
    }

    /// A command, with the operator's token.
    func post(_ path: String) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(OperatorAPI.token)")
        request.body = .bytes(ByteBuffer(string: #"{"by":"test"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    static let token = "serin-waves-test-token"
}
