import Foundation
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// `deploy/kubernetes/rbac.yaml` is exactly what Serin needs: Serin,
    /// running as that ServiceAccount, syncs, releases and prunes a Canary
    /// with every call allowed, and every rule is used.
    @Suite struct RBACTests {
        typealias Operator = KubernetesOperatorTests

        static let deploy = Products.repositoryRoot + "/deploy/kubernetes"

        /// The install's namespace, ServiceAccount and RBAC, as an admin,
        /// once the aggregated ClusterRole holds the rules.
        static func install(_ client: KubeClient) async throws {
            for file in ["namespace.yaml", "serviceaccount.yaml", "rbac.yaml"] {
                for object in try KubeObject.manifests(yaml: String(contentsOfFile: deploy + "/" + file, encoding: .utf8)) {
                    let kind = try await client.resourceKind(of: object)
                    _ = try await client.resources(kind).apply(object, fieldManager: "serin-test", force: true)
                }
            }
            let roles = client.resources(ResourceKind(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole",
                                                      plural: "clusterroles", namespaced: false))
            let expected = try rules().count
            try await eventually("the serin ClusterRole aggregates serin-core") {
                let role = try await roles.get("serin")
                let count = (role["rules"]?.arrayValue ?? []).reduce(0) { total, rule in
                    total + (rule["resources"]?.arrayValue?.count ?? 0) * (rule["verbs"]?.arrayValue?.count ?? 0)
                }
                return count >= expected
            }
        }

        /// A kubeconfig with the ServiceAccount's token (Kubernetes 1.20 keeps it in a Secret).
        static func kubeconfig(_ client: KubeClient, in directory: TemporaryDirectory, namespace: String = "serin-system") async throws -> String {
            var token: String?
            try await eventually("the ServiceAccount has a token") {
                let secrets = try await client.resources(Secret.self).list(namespace: namespace).items
                let secret = secrets.first { $0.type == "kubernetes.io/service-account-token" && $0.metadata.annotations?["kubernetes.io/service-account.name"] == "serin" }
                token = secret?.value("token").map { String(decoding: $0, as: UTF8.self) }
                return token != nil
            }
            let config = try KubeTestCluster.config()
            let ca = try #require(config.certificateAuthority)
            let caFile = directory.path + "/ca.crt"
            try Data(ca).write(to: URL(fileURLWithPath: caFile))
            return try directory.write("kubeconfig", """
                apiVersion: v1
                kind: Config
                clusters: [{ name: test, cluster: { server: "\(config.server)", certificate-authority: \(caFile) } }]
                users: [{ name: serin, user: { token: "\(token ?? "")" } }]
                contexts: [{ name: serin, context: { cluster: test, user: serin } }]
                current-context: serin
                """)
        }

        /// Rules this test's path does not use: installing Flagger's CRDs on a
        /// cluster without them, the nginx router, and deleting the
        /// `sources.serin.dev` object of a source taken out of serin.yaml.
        static let otherPaths: Set<RequestCounter.Access> = [
            .init(verb: "create", resource: "apps/daemonsets"), .init(verb: "patch", resource: "apps/daemonsets"),
            .init(verb: "delete", resource: "apps/daemonsets"), .init(verb: "get", resource: "apps/daemonsets"),
            .init(verb: "list", resource: "apps/replicasets"),
            .init(verb: "get", resource: "networking.k8s.io/ingresses"), .init(verb: "get", resource: "autoscaling/horizontalpodautoscalers"),
            .init(verb: "get", resource: "gateway.networking.k8s.io/httproutes"),
            .init(verb: "get", resource: "keda.sh/scaledobjects"), .init(verb: "create", resource: "keda.sh/scaledobjects"),
            .init(verb: "patch", resource: "keda.sh/scaledobjects"), .init(verb: "delete", resource: "keda.sh/scaledobjects"),
            .init(verb: "create", resource: "apiextensions.k8s.io/customresourcedefinitions"),
            .init(verb: "patch", resource: "apiextensions.k8s.io/customresourcedefinitions"),
            .init(verb: "delete", resource: "serin.dev/sources"),
            .init(verb: "create", resource: "networking.k8s.io/ingresses"),
            .init(verb: "patch", resource: "networking.k8s.io/ingresses"),
            .init(verb: "delete", resource: "networking.k8s.io/ingresses"),
        ]

        /// The rules of the ClusterRole `serin-core` (or of another role), one access per verb and resource.
        static func rules(file: String = "rbac.yaml", kind: String = "ClusterRole", name: String = "serin-core") throws -> Set<RequestCounter.Access> {
            let objects = try KubeObject.manifests(yaml: String(contentsOfFile: deploy + "/" + file, encoding: .utf8))
            let role = try #require(objects.first { $0.kind == kind && $0.metadata.name == name })
            var allowed: Set<RequestCounter.Access> = []
            for rule in role["rules"]?.arrayValue ?? [] {
                for group in rule["apiGroups"]?.arrayValue ?? [] {
                    for resource in rule["resources"]?.arrayValue ?? [] {
                        for verb in rule["verbs"]?.arrayValue ?? [] {
                            allowed.insert(RequestCounter.Access(verb: verb.stringValue ?? "", resource: "\(group.stringValue ?? "")/\(resource.stringValue ?? "")"))
                        }
                    }
                }
            }
            return allowed
        }

        /// Serin as `kubeconfig`'s ServiceAccount, from Git: a Canary with a
        /// ConfigMap, a Secret and an HPA is Initialized at v1, released to
        /// v2, then leaves Git and is pruned (`extra` files stay in Git
        /// throughout). Returns what Serin asked the apiserver for and its event log.
        static func syncReleaseAndPrune(_ client: KubeClient, namespace: String, kubeconfig: String, operatorNamespace: String,
                                        source: String, leaseName: String, watchNamespace: String? = nil,
                                        extra: [String: String]) async throws -> (used: Set<RequestCounter.Access>, entries: [EventLog.Entry]) {
            let repository = try GitFixture()
            let secret = """
                apiVersion: v1
                kind: Secret
                metadata: { name: credentials, namespace: \(namespace) }
                stringData: { password: hunter2 }
                """
            let deployment = { (version: String) in
                Operator.deployment(namespace, version: version, settings: true)
                    .replacingOccurrences(of: "envFrom: [{ configMapRef: { name: settings } }]",
                                          with: "envFrom: [{ configMapRef: { name: settings } }, { secretRef: { name: credentials } }]")
            }
            // A Service of Git's own, beside the Canary's: applied, watched for drift, pruned.
            let service = """
                apiVersion: v1
                kind: Service
                metadata: { name: extra, namespace: \(namespace) }
                spec: { ports: [{ port: 80, protocol: TCP }], selector: { app: none } }
                """
            try repository.commit(["deploy/web.yaml": deployment("v1"),
                                   "deploy/canary.yaml": Operator.canary(namespace, autoscaler: true),
                                   "deploy/hpa.yaml": Operator.autoscaler(namespace),
                                   "deploy/settings.yaml": Operator.configMap(namespace, "hello"),
                                   "deploy/service.yaml": service,
                                   "deploy/secret.yaml": secret].merging(extra) { first, _ in first }, message: "v1")
            let running = try await Operator.RunningOperator(repository: repository, namespace: operatorNamespace, kubeconfig: kubeconfig,
                                                             source: source, leaseName: leaseName, watchNamespace: watchNamespace)
            let log = { EventLog.entries(inStateDirectory: running.stateDirectory.path + "/state") }
            do {
                try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                    try await Operator.phase(client, namespace) == "Initialized"
                }
                try repository.commit(["deploy/web.yaml": deployment("v2")], message: "v2")
                try await eventually("the release succeeds", timeout: .seconds(180)) {
                    try await Operator.phase(client, namespace) == "Succeeded"
                }
                // Out of Git: the sync prunes what it applied, the platform what it made.
                try repository.commit([:], message: "web goes", remove: ["deploy/web.yaml", "deploy/canary.yaml", "deploy/hpa.yaml",
                                                                         "deploy/settings.yaml", "deploy/secret.yaml", "deploy/service.yaml"])
                try await eventually("everything is pruned", timeout: .seconds(60)) {
                    let primary: Deployment? = try await client.resources(Deployment.self).getIfPresent("web-primary", namespace: namespace)
                    let canary = try await client.resources(SerinKubernetes.Canary.self).getIfPresent("web", namespace: namespace)
                    let route = try await client.resources(HTTPRouteV1Beta1.self).getIfPresent("web", namespace: namespace)
                    // The garbage collector may remove what the Canary owns before Serin does: wait for Serin's own removal too.
                    let access = await running.serinOperator.apiserverAccess()
                    let removed = access.contains(.init(verb: "delete", resource: "/services"))
                        && access.contains(.init(verb: "delete", resource: "gateway.networking.k8s.io/httproutes"))
                    return primary == nil && canary == nil && route == nil && removed
                }
            } catch {
                for entry in log() where entry.decision == "error" { print("error: \(entry.reason)") }
                print("Serin's accesses so far: \(await running.serinOperator.apiserverAccess().sorted())")
                await running.stop()
                throw error
            }
            let used = await running.serinOperator.apiserverAccess()
            let entries = log()
            await running.stop()
            return (used, entries)
        }

        /// Every file of the install is one the apiserver takes (a server-side dry run).
        @Test func theInstallManifestsAreAcceptedByTheApiserver() async throws {
            let client = try KubeTestCluster.client()
            do {
                try await Self.install(client)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            let run = try CommandRun.run("/usr/bin/env", ["kubectl", "apply", "--dry-run=server", "-k", Self.deploy], timeout: .seconds(60))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            for name in ["deployment.apps/serin", "service/serin", "configmap/serin-config", "clusterrole.rbac.authorization.k8s.io/serin-core"] {
                #expect(run.stdout.contains(name), "\(name) in \(run.stdout)")
            }
        }

        @Test(.timeLimit(.minutes(8)))
        func serinNeedsEveryRuleOfItsRoleAndNoOther() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                try await Self.install(client)
                let scratch = try TemporaryDirectory(prefix: "serin-kube-rbac")
                defer { scratch.remove() }
                let kubeconfig = try await Self.kubeconfig(client, in: scratch)
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let keep = Operator.configMap(namespace, "kept").replacingOccurrences(of: "name: settings", with: "name: kept")
                let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
                let (used, _) = try await Self.syncReleaseAndPrune(client, namespace: namespace, kubeconfig: kubeconfig, operatorNamespace: "serin-system",
                                                                   source: "rbac-\(suffix)", leaseName: "rbac-\(suffix)", extra: ["deploy/kept.yaml": keep])
                let allowed = try Self.rules()
                let forbidden = used.subtracting(allowed).sorted()
                let unused = allowed.subtracting(used).subtracting(Self.otherPaths).sorted()
                #expect(forbidden.isEmpty, "calls rbac.yaml does not allow: \(forbidden)")
                #expect(unused.isEmpty, "rules nothing used: \(unused)")
                print("Serin's accesses as the serin ServiceAccount: \(used.sorted())")
            }
        }
    }
}
