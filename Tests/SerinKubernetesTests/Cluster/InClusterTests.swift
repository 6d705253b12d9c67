import AsyncHTTPClient
import Foundation
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Serin installed from `deploy/kubernetes/` and running as pods of its
    /// Deployment, with the ServiceAccount's in-cluster credentials: the
    /// image is built from this build's `serin` (`scripts/kube/serin-image.sh`,
    /// cached by the binary's hash) and imported into the test cluster.
    @Suite struct InClusterTests {
        typealias Operator = KubernetesOperatorTests
        typealias Release = KubernetesReleaseTests

        /// The host as pods see it: the pod bridge's gateway.
        static let hostFromPods = "10.244.0.1"

        static func kubectl(_ arguments: [String], timeout: Duration = .seconds(120)) throws -> CommandRun {
            let kubectl = KubeTestCluster.environment["SERIN_KUBE_KUBECTL"].flatMap { $0.isEmpty ? nil : $0 } ?? "kubectl"
            return try CommandRun.run("/usr/bin/env", [kubectl] + arguments, timeout: timeout)
        }

        /// `serin.local/serin:<hash>`, built and imported when this binary has not been.
        static func image() throws -> String {
            let script = Products.repositoryRoot + "/scripts/kube/serin-image.sh"
            let run = try CommandRun.run("/bin/bash", [script, Products.executable("serin"), "--import"], timeout: .seconds(300))
            guard run.status == 0, let reference = run.stdout.split(separator: "\n").last.map(String.init) else {
                throw KubeTestCluster.TestFailure(description: "serin-image.sh failed (\(run.status)): \(run.stderr)")
            }
            return reference
        }

        /// A kustomization over deploy/kubernetes (kubectl 1.20's kustomize
        /// takes only a relative base): the image built here, and a
        /// serin.yaml with the test's Git source and Prometheus, both on
        /// the host where pods reach it.
        static func overlay(in directory: TemporaryDirectory, image: String, git: String, prometheus: String) throws -> String {
            let depth = directory.path.split(separator: "/").count
            let base = String(repeating: "../", count: depth) + Products.repositoryRoot.dropFirst() + "/deploy/kubernetes"
            let tag = image.split(separator: ":").last.map(String.init) ?? "dev"
            _ = try directory.write("kustomization.yaml", """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                bases: [\(base)]
                images: [{ name: serin.local/serin, newTag: "\(tag)" }]
                patchesStrategicMerge: [config.yaml]
                secretGenerator: [{ name: serin-api-token, namespace: serin-system, literals: [token=in-cluster-test-token] }]
                """)
            _ = try directory.write("config.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: { name: serin-config, namespace: serin-system }
                data:
                  serin.yaml: |
                    stateDir: /var/lib/serin
                    platform: kubernetes
                    kubernetes: { namespace: serin-system }
                    prometheus: { address: "\(prometheus)" }
                    api: { listen: "0.0.0.0:9797" }
                    sources:
                      - { name: apps, url: "\(git)", ref: { branch: main }, path: deploy, interval: 2s }
                """)
            return directory.path
        }

        /// What the install leaves in serin-system besides the namespace,
        /// the ServiceAccount and the RBAC (which RBACTests installs too).
        static func uninstall() throws {
            _ = try kubectl(["delete", "-n", "serin-system", "--ignore-not-found", "--wait=false",
                             "deployment/serin", "service/serin", "configmap/serin-config", "configmap/serin-inventory-apps",
                             "lease.coordination.k8s.io/serin-leader"])
        }

        @Test(.timeLimit(.minutes(12)))
        func serinRunsAsAPodOfTheInstallAndReleasesACanary() async throws {
            let started = ContinuousClock.now
            let image = try Self.image()
            let built = ContinuousClock.now - started
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let scratch = try TemporaryDirectory(prefix: "serin-kube-incluster")
                defer { scratch.remove() }
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let discovery = Release.FakePodDiscovery(client: client, namespace: namespace, directory: scratch)
                defer { discovery.task.cancel() }
                let prometheus = try PrometheusServer(fileTargets: discovery.file, host: "0.0.0.0")
                defer { prometheus.stop() }
                let repository = try GitFixture()
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"),
                                       "deploy/canary.yaml": Release.canary(namespace, metrics: true)], message: "v1")
                // git daemon on loopback (to know it listens) and on the pods' gateway.
                let gitPort = try Loopback.freePort()
                let root = URL(fileURLWithPath: repository.bare).deletingLastPathComponent().path
                let daemon = try ServerProcess("/usr/lib/git-core/git-daemon", [
                    "--reuseaddr", "--export-all", "--base-path=\(root)", "--listen=127.0.0.1", "--listen=\(Self.hostFromPods)",
                    "--port=\(gitPort)", root,
                ], port: gitPort)
                defer { daemon.stop() }
                let overlay = try TemporaryDirectory(prefix: "serin-kube-overlay")
                defer { overlay.remove() }
                try Self.uninstall()
                let apply = try Self.kubectl(["apply", "-k", Self.overlay(in: overlay, image: image,
                                                                         git: "git://\(Self.hostFromPods):\(gitPort)/remote.git",
                                                                         prometheus: "http://\(Self.hostFromPods):\(prometheus.port)")])
                #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
                do {
                    let pods = client.resources(Pod.self)
                    try await eventually("two serin pods run", timeout: .seconds(180)) {
                        let running = try await pods.list(namespace: "serin-system", labelSelector: "app.kubernetes.io/name=serin").items
                            .filter { $0.status?.phase == "Running" && $0.metadata.deletionTimestamp == nil }
                        return running.count == 2
                    }
                    try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                        try await Operator.phase(client, namespace) == "Initialized"
                    }
                    // The leader is one of the pods: Serin acts from inside the cluster.
                    let lease: Lease = try await client.resources(Lease.self).get("serin-leader", namespace: "serin-system")
                    let leader = lease.spec?.holderIdentity ?? ""
                    let names = try await pods.list(namespace: "serin-system", labelSelector: "app.kubernetes.io/name=serin").items
                        .compactMap(\.metadata.name)
                    #expect(names.contains { leader.hasPrefix($0) }, "lease holder \(leader), pods \(names)")

                    try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v2")], message: "v2")
                    var seen: [Int] = []
                    try await eventually("the release succeeds", timeout: .seconds(150)) {
                        if let weight = try await Operator.canaryWeight(client, namespace), seen.last != weight { seen.append(weight) }
                        return try await Operator.phase(client, namespace) == "Succeeded"
                    }
                    #expect(seen == [0, 25, 50, 0], "weights: \(seen)")
                    let route: HTTPRouteV1Beta1 = try await client.resources(HTTPRouteV1Beta1.self).get("web", namespace: namespace)
                    #expect(route.metadata.generation == 4, "the route's spec changed \(route.metadata.generation ?? 0) times")
                    let promoted = try await Operator.version(client, namespace, "web-primary")
                    #expect(promoted == "v2")
                    // Flagger's status, as a person sees it.
                    let shown = try Self.kubectl(["get", "canaries", "-n", namespace])
                    #expect(shown.stdout.contains("Succeeded"), "\(shown.stdout)\(shown.stderr)")
                    // The analysis ran on the canary pods' metrics, queried from inside
                    // the cluster: the leader's API (on its pod's IP) shows the values.
                    let leaderPod = try await pods.list(namespace: "serin-system", labelSelector: "app.kubernetes.io/name=serin").items
                        .first { leader.hasPrefix($0.metadata.name ?? "-") }
                    let podIP = try #require(leaderPod?.status?.podIP)
                    let detail = try await HTTPClient.shared.get(url: "http://\(podIP):9797/api/v1/namespaces/\(namespace)/rollouts/web").get()
                    let body = detail.body.map { String(buffer: $0) } ?? ""
                    let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                    let evaluations = (json?["evaluations"] as? [[String: Any]]) ?? []
                    let rates = evaluations.filter { $0["metric"] as? String == "request-success-rate" }.compactMap { $0["value"] as? Double }
                    #expect(!rates.isEmpty && rates.allSatisfy { $0 >= 95 }, "evaluations: \(body)")
                    let events = try await client.resources(Event.self).list(namespace: namespace).items
                        .filter { $0.involvedObject.kind == "Canary" }.compactMap(\.message)
                    print("in-cluster release: image \(image) (built/imported in \(built)), weights \(seen), "
                          + "\(Double((ContinuousClock.now - started).components.seconds)) s in all; kubectl get canaries:\n\(shown.stdout)"
                          + "request-success-rate from inside the cluster: \(rates); events: \(events)")
                } catch {
                    let logs = try? Self.kubectl(["logs", "-n", "serin-system", "-l", "app.kubernetes.io/name=serin", "--tail=40"])
                    print("serin pods' logs:\n\(logs?.stdout ?? "")\(logs?.stderr ?? "")")
                    let described = try? Self.kubectl(["get", "pods", "-n", "serin-system", "-o", "wide"])
                    print(described?.stdout ?? "")
                    try? Self.uninstall()
                    throw error
                }
                try Self.uninstall()
            }
        }
    }
}
