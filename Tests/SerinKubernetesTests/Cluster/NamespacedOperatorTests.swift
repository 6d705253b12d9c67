import Foundation
import SerinEngine
import SerinOperator
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// `serin run --namespace NS` with `deploy/kubernetes/namespaced/role.yaml`:
    /// a namespaced Role is all it needs to sync, release and prune, and
    /// what Git declares elsewhere is left alone.
    @Suite struct NamespacedOperatorTests {
        typealias Operator = KubernetesOperatorTests

        static let roleFile = "namespaced/role.yaml"

        @Test func theCRDsAnAdminAppliesAreTheOnesSerinInstalls() throws {
            let path = RBACTests.deploy + "/namespaced/crds.yaml"
            let header = "# Flagger's CRDs and sources.serin.dev as Serin installs them: what an admin applies once before namespaced operators run.\n"
            let expected = header + FlaggerCRDs.yaml + "\n---\n" + SourceCRD.yaml + "\n"
            if ProcessInfo.processInfo.environment["SERIN_UPDATE_GOLDEN"] == "1" {
                try expected.write(toFile: path, atomically: true, encoding: .utf8)
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == expected,
                    "deploy/kubernetes/namespaced/crds.yaml differs from FlaggerCRDs.yaml and SourceCRD.yaml: run this test with SERIN_UPDATE_GOLDEN=1")
        }

        @Test func theNamespaceComesFromTheCommandOrTheFileAndIsChecked() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let kubernetes = try directory.write("kube.yaml", """
                stateDir: \(directory.path)/state
                platform: kubernetes
                kubernetes: { watchNamespace: team-a }
                prometheus: { address: "http://127.0.0.1:1" }
                sources: [{ name: apps, url: "file:///nowhere", ref: { branch: main } }]
                """)
            let fromFile = try OperatorConfig.load(kubernetes).get().kubernetes
            #expect(fromFile?.watchNamespace == "team-a")
            #expect(fromFile?.namespace == "team-a", "inventories and the Lease live in the watched namespace")
            #expect(try OperatorConfig.load(kubernetes, watchNamespace: "team-b").get().kubernetes?.watchNamespace == "team-b")
            guard case .failure(let invalid) = OperatorConfig.load(kubernetes, watchNamespace: "Team_B") else {
                Issue.record("an invalid namespace was taken")
                return
            }
            #expect(invalid.description.contains("kubernetes.watchNamespace: \"Team_B\" is not a namespace name"), "\(invalid)")
            let local = try directory.write("local.yaml", """
                stateDir: \(directory.path)/state
                platform: local
                prometheus: { address: "http://127.0.0.1:1" }
                sources: [{ name: apps, url: "file:///nowhere", ref: { branch: main } }]
                """)
            guard case .failure(let refused) = OperatorConfig.load(local, watchNamespace: "team-a") else {
                Issue.record("--namespace was taken on the local platform")
                return
            }
            #expect(refused.description.contains("--namespace is for platform: kubernetes"), "\(refused)")
        }

        @Test func theScopeLeavesOtherNamespacesAndClusterKindsOut() {
            let scope = NamespaceScope("team-a")
            #expect(scope.contains(kind: "Deployment", namespace: "team-a"))
            #expect(!scope.contains(kind: "Deployment", namespace: "team-b"))
            #expect(!scope.contains(kind: "Deployment", namespace: nil), "no namespace is default, as the engine reads it")
            #expect(NamespaceScope("default").contains(kind: "Deployment", namespace: nil))
            #expect(!scope.contains(kind: "Namespace", namespace: nil))
            #expect(!NamespaceScope("default").contains(kind: "ClusterRole", namespace: nil))
        }

        @Test(.timeLimit(.minutes(8)))
        func aNamespacedOperatorNeedsOnlyItsRoleAndLeavesOtherNamespacesAlone() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                // What an admin does once: the CRDs, the namespace (made by withNamespace), the Role.
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                try await ClusterSync(client: client, inventoryNamespace: namespace).ensureFlaggerCRDs()
                let role = try String(contentsOfFile: RBACTests.deploy + "/" + Self.roleFile, encoding: .utf8)
                    .replacingOccurrences(of: "team-a", with: namespace)
                for object in try KubeObject.manifests(yaml: role) {
                    let kind = try await client.resourceKind(of: object)
                    _ = try await client.resources(kind).apply(object, fieldManager: "serin-test", force: true)
                }
                let scratch = try TemporaryDirectory(prefix: "serin-kube-namespaced")
                defer { scratch.remove() }
                let kubeconfig = try await RBACTests.kubeconfig(client, in: scratch, namespace: namespace)
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }

                // Another team's objects in the same repository, and a cluster-scoped one.
                let elsewhere = "serin-other-team-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
                let others = """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: { name: theirs, namespace: \(elsewhere) }
                    data: { owner: "another operator" }
                    ---
                    apiVersion: v1
                    kind: Namespace
                    metadata: { name: \(elsewhere) }
                    """
                let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
                let (used, entries) = try await RBACTests.syncReleaseAndPrune(client, namespace: namespace, kubeconfig: kubeconfig,
                                                                              operatorNamespace: namespace, source: "team-\(suffix)",
                                                                              leaseName: "serin-leader", watchNamespace: namespace,
                                                                              extra: ["deploy/others.yaml": others])
                #expect(!entries.contains { $0.decision == "error" }, "\(entries.filter { $0.decision == "error" }.map(\.reason))")
                let skipped = entries.filter { $0.decision == "skipped" }.map(\.reason)
                #expect(skipped.contains { $0.contains("2 object(s) outside namespace \(namespace)") && $0.contains("ConfigMap \(elsewhere)/theirs") },
                        "\(skipped)")
                #expect(try await client.resources(Namespace.self).getIfPresent(elsewhere) == nil)
                let allowed = try RBACTests.rules(file: Self.roleFile, kind: "Role", name: "serin")
                let forbidden = used.subtracting(allowed).sorted()
                // Not on this path: the nginx router, DaemonSets, KEDA, reads of what Git does not hold,
                // deleting the object of a source taken out of serin.yaml.
                let otherPaths: Set<RequestCounter.Access> = RBACTests.otherPaths.filter { !$0.resource.hasPrefix("apiextensions.k8s.io/") }
                let unused = allowed.subtracting(used).subtracting(otherPaths).sorted()
                #expect(forbidden.isEmpty, "calls the namespaced Role does not allow: \(forbidden)")
                #expect(unused.isEmpty, "rules nothing used: \(unused)")
            }
        }
    }
}
