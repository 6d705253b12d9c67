import Foundation
import Logging
import Prometheus
import SerinEngine
import SerinOperator
import SerinSpec
import SerinTesting
import Synchronization
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// `serin run` with `platform: kubernetes` against the real cluster, with
    /// real pods of the test app: Git → the cluster → Flagger's objects →
    /// a release step by step → Flagger's status on the Canary.
    @Suite struct KubernetesOperatorTests {
        static let image = ProcessInfo.processInfo.environment["SERIN_KUBE_APP_IMAGE"] ?? "serin.local/kube-app:1"

        /// `settings`: the container takes its environment from ConfigMap `settings` too.
        static func deployment(_ namespace: String, version: String, settings: Bool = false) -> String {
            let envFrom = settings ? "\n          envFrom: [{ configMapRef: { name: settings } }]" : ""
            return """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: web, namespace: \(namespace) }
            spec:
              replicas: 1
              selector: { matchLabels: { app: web } }
              template:
                metadata: { labels: { app: web } }
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: app
                      image: \(image)
                      imagePullPolicy: Never
                      env: [{ name: APP_VERSION, value: "\(version)" }]
                      ports: [{ containerPort: 8080 }]
                      readinessProbe: { httpGet: { path: /readyz, port: 8080 }, periodSeconds: 1 }\(envFrom)
            """
        }

        static func autoscaler(_ namespace: String) -> String {
            """
            apiVersion: autoscaling/v2beta2
            kind: HorizontalPodAutoscaler
            metadata: { name: web, namespace: \(namespace) }
            spec:
              scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
              minReplicas: 1
              maxReplicas: 2
              metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 80 } } }]
            """
        }

        static func canary(_ namespace: String, autoscaler: Bool = false) -> String {
            let reference = autoscaler ? "\n  autoscalerRef: { apiVersion: autoscaling/v2beta2, kind: HorizontalPodAutoscaler, name: web }" : ""
            return """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: web, namespace: \(namespace) }
            spec:
              provider: gatewayapi:v1beta1\(reference)
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
              progressDeadlineSeconds: 120
              service: { port: 80, targetPort: 8080, gatewayRefs: [{ name: public, namespace: gateways }] }
              analysis: { interval: 2s, threshold: 2, maxWeight: 50, stepWeight: 25 }
            """
        }

        static func configMap(_ namespace: String, _ value: String) -> String {
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: settings, namespace: \(namespace) }
            data: { greeting: "\(value)" }
            """
        }

        /// A running operator on its own state directory.
        final class RunningOperator: Sendable {
            let task: Task<Void, any Error>
            let stateDirectory: TemporaryDirectory
            let serinOperator: Operator

            /// `namespace` holds the inventory and the lease; `kubeconfig` defaults to the test cluster's admin.
            /// Without `leaderElection`, no lease: a lost lease ends the process, the test runner here.
            /// `settings` and `kubernetesFields`: more of serin.yaml's `kubernetes` block (`provider: gatewayapi:v1`), in flow style;
            /// `sourceFields`: more of the source's fields.
            init(repository: GitFixture, namespace: String, prometheus: String = "http://127.0.0.1:1", kubeconfig: String? = nil,
                 source: String = "apps", leaseName: String = "serin-leader", leaderElection: Bool = true, watchNamespace: String? = nil,
                 serviceAccount: String? = nil, settings: String = "", sourceFields: String = "", kubernetesFields: String = "") async throws {
                let kubernetesMore = [settings, kubernetesFields].filter { !$0.isEmpty }.joined(separator: ", ")
                stateDirectory = try TemporaryDirectory(prefix: "serin-kube-state")
                let kubeconfig = kubeconfig ?? KubeTestCluster.environment["KUBECONFIG"] ?? ""
                let lease = leaderElection ? "leaseName: \(leaseName)" : "leaderElection: false"
                let config = try stateDirectory.write("serin.yaml", """
                    stateDir: \(stateDirectory.path)/state
                    platform: kubernetes
                    kubernetes: { kubeconfig: \(kubeconfig), namespace: \(namespace), \(lease)\(watchNamespace.map { ", watchNamespace: \($0)" } ?? "")\(kubernetesMore.isEmpty ? "" : ", " + kubernetesMore) }
                    prometheus: { address: "\(prometheus)" }
                    sources:
                      - { name: \(source), url: "file://\(repository.bare)", ref: { branch: main }, interval: 1s\(serviceAccount.map { ", serviceAccountName: \($0)" } ?? "")\(sourceFields.isEmpty ? "" : ", " + sourceFields) }
                    """)
                let resolved = try OperatorConfig.load(config).get()
                let serinOperator = try Operator(config: resolved, options: .init(serinExecutable: "/bin/false", registry: PrometheusCollectorRegistry()))
                self.serinOperator = serinOperator
                task = Task { try await serinOperator.run() }
            }

            /// Cancels the operator and waits for it to end, at most a minute: an
            /// operator that does not stop is a failure, never a hung test run.
            func stop() async {
                task.cancel()
                let task = self.task
                let stopped = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let answer = FirstAnswer(continuation)
                    Task { _ = await task.result; answer.give(true) }
                    Task { try? await Task.sleep(for: loadedMachineTimeout); answer.give(false) }
                }
                #expect(stopped, "the operator did not stop within \(loadedMachineTimeout) of being cancelled")
                stateDirectory.remove()
            }
        }

        /// Resumes a continuation with the first value given, once.
        final class FirstAnswer: Sendable {
            private let continuation: Mutex<CheckedContinuation<Bool, Never>?>

            init(_ continuation: CheckedContinuation<Bool, Never>) {
                self.continuation = Mutex(continuation)
            }

            func give(_ value: Bool) {
                continuation.withLock { waiting in
                    waiting?.resume(returning: value)
                    waiting = nil
                }
            }
        }

        static func phase(_ client: KubeClient, _ namespace: String) async throws -> String? {
            let canary: SerinKubernetes.Canary? = try await client.resources(SerinKubernetes.Canary.self).getIfPresent("web", namespace: namespace)
            return canary?.status?.phase
        }

        static func canaryWeight(_ client: KubeClient, _ namespace: String) async throws -> Int? {
            let route: HTTPRouteV1Beta1? = try await client.resources(HTTPRouteV1Beta1.self).getIfPresent("web", namespace: namespace)
            let spec: JSONValue = route?.spec ?? .null
            return FlaggerObjects.canaryWeight(.object(["spec": spec]), service: "web")
        }

        static func version(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> String? {
            version(of: try await client.resources(Deployment.self).get(name, namespace: namespace))
        }

        /// The value of the first environment variable of the first container.
        static func version(of deployment: Deployment) -> String? {
            let template: JSONValue = deployment.spec?.template ?? .null
            let containers: [JSONValue] = template["spec"]?["containers"]?.arrayValue ?? []
            let env: [JSONValue] = containers.first?["env"]?.arrayValue ?? []
            return env.first?["value"]?.stringValue
        }

        static func replicas(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> Int32? {
            let deployment: Deployment? = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
            return deployment?.spec?.replicas
        }

        @Test(.timeLimit(.minutes(10)))
        func aCanaryIsReleasedOnTheCluster() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let repository = try GitFixture()
                try repository.commit(["deploy/web.yaml": Self.deployment(namespace, version: "v1", settings: true),
                                       "deploy/canary.yaml": Self.canary(namespace, autoscaler: true),
                                       "deploy/hpa.yaml": Self.autoscaler(namespace),
                                       "deploy/settings.yaml": Self.configMap(namespace, "hello")], message: "v1")
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let running = try await RunningOperator(repository: repository, namespace: namespace)
                do {
                    try await Self.release(client, namespace, repository)
                    // The API's view of it, as on the local platform.
                    let sources = await running.serinOperator.sources()
                    #expect(sources.map(\.name) == ["apps"])
                    #expect(sources.first?.conditions.isReady == true, "\(sources)")
                    let workloads = await running.serinOperator.workloads()
                    let web = try #require(workloads.first { $0.name == "web" && $0.namespace == namespace }, "\(workloads)")
                    #expect(web.kind == "Deployment")
                    #expect(web.rollout == "\(namespace)/web")
                    #expect(web.conditions["Ready"]?.reason == "Serving", "\(web.conditions)")
                    #expect(web.readyReplicas == web.replicas && web.replicas > 0)
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        static func greeting(_ client: KubeClient, _ namespace: String, _ name: String = "settings") async throws -> String? {
            let map: ConfigMap? = try await client.resources(ConfigMap.self).getIfPresent(name, namespace: namespace)
            return map?.data?["greeting"]
        }

        /// The ConfigMap a Deployment's first container takes its environment from.
        static func configMapReference(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> String? {
            let deployment: Deployment = try await client.resources(Deployment.self).get(name, namespace: namespace)
            let template: JSONValue = deployment.spec?.template ?? .null
            let containers: [JSONValue] = template["spec"]?["containers"]?.arrayValue ?? []
            let sources: [JSONValue] = containers.first?["envFrom"]?.arrayValue ?? []
            return sources.first?["configMapRef"]?["name"]?.stringValue
        }

        static func decisions(_ running: RunningOperator, _ decision: String) -> [String] {
            EventLog.entries(inStateDirectory: running.stateDirectory.path + "/state").filter { $0.decision == decision }.map(\.reason)
        }

        /// Weights no gateway took are not a step: with no Gateway API
        /// controller, the route change fails, saying what is missing.
        @Test(.timeLimit(.minutes(5)))
        func aRouteNoGatewayAcceptsIsAnError() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let platform = KubernetesPlatform(client: client, namespace: namespace, routeAcceptance: .seconds(2))
                let manifests = ManifestLoader().load(text: Self.deployment(namespace, version: "v1") + "\n---\n" + Self.canary(namespace), file: "web.yaml")
                let (diagnostics, plans) = Validator(platform: .kubernetes).validateAndPlan(manifests)
                #expect(!diagnostics.hasErrors)
                let desired = DesiredState(source: "apps", revision: "main@sha1:1", commit: "1", author: nil, manifests: manifests, plans: plans)
                let revision = try #require(try await platform.revisions(in: desired).revisions.first)
                do {
                    try await platform.deployPrimary(revision)
                    Issue.record("the route was taken as applied with no gateway controller")
                } catch {
                    let message = "\(error)"
                    #expect(message.contains("was not accepted within"), "\(message)")
                    #expect(message.contains("gateways/public"), "\(message)")
                }
                // The fake controller accepts it: the same call goes through.
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                try await platform.deployPrimary(revision)
            }
        }

        /// Flux's contract: what Git holds is applied, what leaves Git is
        /// pruned, what is changed by hand is put back and reported, and an
        /// invalid commit changes nothing.
        @Test(.timeLimit(.minutes(6)))
        func gitIsSyncedIntoTheCluster() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                let other = """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: { name: other, namespace: \(namespace) }
                    data: { kept: "yes" }
                    """
                try repository.commit(["deploy/settings.yaml": Self.configMap(namespace, "hello"), "deploy/other.yaml": other], message: "first")
                // Not Serin's: never pruned.
                _ = try await client.resources(ConfigMap.self).create(ConfigMap(metadata: ObjectMeta(name: "by-hand", namespace: namespace)))
                let running = try await RunningOperator(repository: repository, namespace: namespace)
                do {
                    try await eventually("settings is applied", timeout: .seconds(60)) {
                        try await Self.greeting(client, namespace) == "hello"
                    }
                    // Changed by hand: put back at the next resync, and reported.
                    let maps = client.resources(ConfigMap.self)
                    _ = try await maps.mergePatch("settings", namespace: namespace, patch: ["data": ["greeting": "edited"]])
                    try await eventually("the edit is undone") {
                        try await Self.greeting(client, namespace) == "hello"
                    }
                    try await eventually("the drift is reported") {
                        !Self.decisions(running, "drift").isEmpty
                    }
                    // An invalid commit: nothing changes.
                    let broken = try repository.commit(["deploy/settings.yaml": "kind: ConfigMap\nmetadata: { name: settings\n"], message: "broken")
                    // Seen and refused first (the source reports it), so the check below can fail.
                    try await eventually("the broken commit is refused") {
                        await running.serinOperator.sources().contains { $0.lastAttemptedRevision?.hasSuffix(broken) == true && !$0.errors.isEmpty }
                    }
                    let kept = try await Self.greeting(client, namespace)
                    #expect(kept == "hello")
                    // Removed from Git: pruned; what Serin never applied stays.
                    try repository.commit(["deploy/settings.yaml": Self.configMap(namespace, "hello")], message: "drop other", remove: ["deploy/other.yaml"])
                    try await eventually("other is pruned") {
                        try await maps.getIfPresent("other", namespace: namespace) == nil
                    }
                    let byHand: ConfigMap? = try await maps.getIfPresent("by-hand", namespace: namespace)
                    #expect(byHand != nil)
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        static func release(_ client: KubeClient, _ namespace: String, _ repository: GitFixture) async throws {
            // The first sync: Flagger's objects, the route on the primary, Initialized.
            try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                try await Self.phase(client, namespace) == "Initialized"
            }
            let services = client.resources(Service.self)
            for name in ["web", "web-primary", "web-canary"] {
                let service: Service? = try await services.getIfPresent(name, namespace: namespace)
                #expect(service != nil, "Service \(name)")
            }
            let initialWeight = try await Self.canaryWeight(client, namespace)
            #expect(initialWeight == 0)
            let targetReplicas = try await Self.replicas(client, namespace, "web")
            #expect(targetReplicas == 0)
            let greeting: ConfigMap = try await client.resources(ConfigMap.self).get("settings", namespace: namespace)
            #expect(greeting.data?["greeting"] == "hello")
            // The primary runs on a copy of the ConfigMap its template uses.
            let primaryGreeting = try await Self.greeting(client, namespace, "settings-primary")
            #expect(primaryGreeting == "hello")
            let reference = try await Self.configMapReference(client, namespace, "web-primary")
            #expect(reference == "settings-primary")
            // And it has an autoscaler of its own.
            let primaryAutoscaler: HorizontalPodAutoscaler? = try await client.resources(HorizontalPodAutoscaler.self)
                .getIfPresent("web-primary", namespace: namespace)
            #expect(primaryAutoscaler?.spec?.scaleTargetRef.name == "web-primary")

            // A new template in Git is the canary.
            try repository.commit(["deploy/web.yaml": Self.deployment(namespace, version: "v2", settings: true)], message: "v2")
            try await eventually("the canary takes 25%", timeout: .seconds(120)) {
                try await Self.canaryWeight(client, namespace) == 25
            }
            let progressing = try await Self.phase(client, namespace)
            #expect(progressing == "Progressing")
            try await eventually("the Canary's status shows the weight") {
                let canary: SerinKubernetes.Canary? = try await client.resources(SerinKubernetes.Canary.self).getIfPresent("web", namespace: namespace)
                return (canary?.status?.canaryWeight ?? 0) >= 25
            }
            try await eventually("the release succeeds", timeout: .seconds(120)) {
                try await Self.phase(client, namespace) == "Succeeded"
            }
            let promoted = try await Self.version(client, namespace, "web-primary")
            #expect(promoted == "v2")
            try await eventually("the target is back at zero") {
                try await Self.replicas(client, namespace, "web") == 0
            }
            let finalWeight = try await Self.canaryWeight(client, namespace)
            #expect(finalWeight == 0)
            let canary: SerinKubernetes.Canary = try await client.resources(SerinKubernetes.Canary.self).get("web", namespace: namespace)
            let promotedCondition = canary.status?.conditions?.first { $0.type == "Promoted" }
            #expect(promotedCondition?.status == "True")
            let events = try await client.resources(Event.self).list(namespace: namespace)
            let onCanary = events.items.filter { $0.involvedObject.kind == "Canary" }
            #expect(!onCanary.isEmpty, "decisions are Events on the Canary")

            // A change of the ConfigMap alone is a release too, and reaches the primary through it.
            try repository.commit(["deploy/settings.yaml": Self.configMap(namespace, "bonjour")], message: "settings")
            try await eventually("the new settings are released", timeout: .seconds(120)) {
                try await Self.greeting(client, namespace, "settings-primary") == "bonjour"
            }
            try await eventually("the settings release succeeds", timeout: .seconds(60)) {
                try await Self.phase(client, namespace) == "Succeeded"
            }
        }
    }
}
