import Foundation
import SerinOperator
import SerinSpec
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// A client acting as a tenant's ServiceAccount (issue 21, item 5) has
    /// that account's rights, not the operator's: the real apiserver's RBAC
    /// refuses what the account may not do, though the client's own
    /// credentials (an admin's) could.
    @Suite struct ImpersonationTests {
        static func tenantRBAC(_ namespace: String) -> String {
            """
            apiVersion: v1
            kind: ServiceAccount
            metadata: { name: tenant, namespace: \(namespace) }
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: { name: tenant, namespace: \(namespace) }
            rules:
            - { apiGroups: [""], resources: [configmaps], verbs: [get, list, create, patch, delete] }
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: { name: tenant, namespace: \(namespace) }
            roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: tenant }
            subjects: [{ kind: ServiceAccount, name: tenant, namespace: \(namespace) }]
            """
        }

        @Test(.timeLimit(.minutes(2)))
        func anImpersonatedServiceAccountCannotCreateWhatItMayNot() async throws {
            try await KubeTestCluster.withNamespace { admin, namespace in
                try await Self.installTenant(admin, namespace)
                let config = try KubeTestCluster.config().impersonating(.serviceAccount("tenant", namespace: namespace))
                try await KubeClient.withClient(config: config, retryPolicy: RetryPolicy(maxAttempts: 1)) { tenant in
                    // What the Role grants (once the authorizer has seen the binding).
                    try await eventually("the tenant may create a ConfigMap in its namespace", timeout: .seconds(30)) {
                        do {
                            _ = try await tenant.resources(ConfigMap.self).apply(
                                ConfigMap(metadata: ObjectMeta(name: "allowed", namespace: namespace), data: ["a": "b"]), fieldManager: "serin")
                            return true
                        } catch let error as KubeError where error.status == 403 {
                            return false
                        }
                    }
                    // A kind it has no rule for, in its own namespace.
                    let deployment = try KubeObject(json: [
                        "apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": ["name": "web", "namespace": .string(namespace)],
                        "spec": ["selector": ["matchLabels": ["app": "web"]],
                                 "template": ["metadata": ["labels": ["app": "web"]],
                                              "spec": ["containers": [["name": "web", "image": "serin.local/kube-app:1"]]]]],
                    ])
                    await Self.expectForbidden("a Deployment", namespace: namespace) {
                        _ = try await tenant.resources(try await admin.resourceKind(of: deployment)).apply(deployment, fieldManager: "serin")
                    }
                    // Its kind, in another namespace.
                    await Self.expectForbidden("a ConfigMap in kube-system", namespace: namespace) {
                        _ = try await tenant.resources(ConfigMap.self).apply(
                            ConfigMap(metadata: ObjectMeta(name: "serin-impersonation-test", namespace: "kube-system"), data: [:]),
                            fieldManager: "serin")
                    }
                    // Reads are the account's too: no Secrets.
                    await Self.expectForbidden("listing Secrets", namespace: namespace) {
                        _ = try await tenant.resources(Secret.self).list(namespace: namespace)
                    }
                }
                #expect(try await admin.resources(Deployment.self).getIfPresent("web", namespace: namespace) == nil)
                #expect(try await admin.resources(ConfigMap.self).getIfPresent("serin-impersonation-test", namespace: "kube-system") == nil)
            }
        }

        /// A source synced as its ServiceAccount applies what the account
        /// may and nothing else: a revision with an object the account may
        /// not write is refused whole at the dry run (all or nothing), each
        /// refusal reported with RBAC's answer; without them the rest applies.
        @Test(.timeLimit(.minutes(2)))
        func aSourceSyncedAsItsServiceAccountAppliesOnlyWhatTheAccountMay() async throws {
            try await KubeTestCluster.withNamespace { admin, namespace in
                try await Self.installTenant(admin, namespace)
                let config = try KubeTestCluster.config().impersonating(.serviceAccount("tenant", namespace: namespace))
                try await KubeClient.withClient(config: config, retryPolicy: RetryPolicy(maxAttempts: 1)) { tenant in
                    let allowed = KubeObject(apiVersion: "v1", kind: "ConfigMap", metadata: ObjectMeta(name: "settings", namespace: namespace),
                                             content: ["data": ["a": "b"]])
                    let elsewhere = KubeObject(apiVersion: "v1", kind: "ConfigMap",
                                               metadata: ObjectMeta(name: "serin-impersonation-sync", namespace: "kube-system"))
                    let secret = KubeObject(apiVersion: "v1", kind: "Secret", metadata: ObjectMeta(name: "stolen", namespace: namespace))
                    let sync = ClusterSync(client: admin, inventoryNamespace: namespace, createsInventoryNamespace: false,
                                           sourceClients: ["apps": tenant])
                    var report = ClusterSync.Report()
                    try await eventually("the authorizer has seen the binding", timeout: .seconds(30)) {
                        report = await sync.sync(source: "apps", objects: [allowed, elsewhere, secret])
                        return !report.refused.isEmpty && !report.refused.contains { $0.contains("\(namespace)/settings") }
                    }
                    #expect(report.applied.isEmpty, "\(report)")
                    #expect(report.refused.contains { $0.contains("kube-system/serin-impersonation-sync") && $0.contains("forbidden") },
                            "\(report.refused)")
                    #expect(report.refused.contains { $0.contains("\(namespace)/stolen") && $0.contains("forbidden") }, "\(report.refused)")
                    #expect(try await admin.resources(ConfigMap.self).getIfPresent("settings", namespace: namespace) == nil)
                    let allowedAlone = await sync.sync(source: "apps", objects: [allowed])
                    #expect(allowedAlone.applied == ["ConfigMap \(namespace)/settings"], "\(allowedAlone)")
                }
                #expect(try await admin.resources(ConfigMap.self).getIfPresent("serin-impersonation-sync", namespace: "kube-system") == nil)
                #expect(try await admin.resources(Secret.self).getIfPresent("stolen", namespace: namespace) == nil)
            }
        }

        /// The operator syncs a source with `serviceAccountName` as that
        /// account: a revision declaring more than the account's rights is
        /// refused whole at the dry run, the apiserver's refusal recorded;
        /// the next commit, within them, is applied.
        @Test(.timeLimit(.minutes(3)))
        func anOperatorSyncsASourceAsItsServiceAccount() async throws {
            try await KubeTestCluster.withNamespace { admin, namespace in
                try await Self.installTenant(admin, namespace)
                let repository = try GitFixture()
                try repository.commit(["deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: \(namespace) }\ndata: { a: b }\n",
                                       "deploy/stray.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: serin-impersonation-operator, namespace: kube-system }\n"],
                                      message: "v1")
                let running = try await KubernetesOperatorTests.RunningOperator(repository: repository, namespace: namespace, serviceAccount: "tenant")
                do {
                    try await eventually("the refusal is recorded", timeout: .seconds(90)) {
                        KubernetesOperatorTests.decisions(running, "refused").contains {
                            $0.contains("kube-system/serin-impersonation-operator") && $0.contains("system:serviceaccount:\(namespace):tenant")
                        }
                    }
                    #expect(try await admin.resources(ConfigMap.self).getIfPresent("serin-impersonation-operator", namespace: "kube-system") == nil)
                    #expect(try await admin.resources(ConfigMap.self).getIfPresent("settings", namespace: namespace) == nil,
                            "part of a refused revision was applied")
                    try repository.commit([:], message: "v2: within the account's rights", remove: ["deploy/stray.yaml"])
                    try await eventually("the next commit's ConfigMap is applied", timeout: .seconds(90)) {
                        try await admin.resources(ConfigMap.self).getIfPresent("settings", namespace: namespace) != nil
                    }
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// `sources[].serviceAccountName`, else `kubernetes.defaultServiceAccount`,
        /// names who each source acts as; the field is refused off Kubernetes.
        @Test func eachSourcesServiceAccountComesFromItsFieldOrTheDefault() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let kubernetes = try directory.write("kube.yaml", """
                stateDir: \(directory.path)/state
                platform: kubernetes
                kubernetes: { namespace: serin-system, defaultServiceAccount: tenants }
                prometheus: { address: "http://127.0.0.1:1" }
                sources:
                  - { name: a, url: "file:///nowhere", ref: { branch: main }, serviceAccountName: team-a }
                  - { name: b, url: "file:///nowhere", ref: { branch: main } }
                """)
            #expect(try OperatorConfig.load(kubernetes).get().kubernetes?.serviceAccounts == ["a": "team-a", "b": "tenants"])
            let local = try directory.write("local.yaml", """
                stateDir: \(directory.path)/state
                platform: local
                prometheus: { address: "http://127.0.0.1:1" }
                sources: [{ name: a, url: "file:///nowhere", ref: { branch: main }, serviceAccountName: team-a }]
                """)
            guard case .failure(let refused) = OperatorConfig.load(local) else {
                Issue.record("serviceAccountName was taken on the local platform")
                return
            }
            #expect(refused.description.contains("sources[0].serviceAccountName: is read only with platform: kubernetes"), "\(refused)")
        }

        /// The tenant's ServiceAccount, Role and binding, as an admin.
        static func installTenant(_ admin: KubeClient, _ namespace: String) async throws {
            for object in try KubeObject.manifests(yaml: tenantRBAC(namespace)) {
                _ = try await admin.resources(try await admin.resourceKind(of: object)).apply(object, fieldManager: "serin-test", force: true)
            }
        }

        static func expectForbidden(_ what: String, namespace: String, _ call: () async throws -> Void) async {
            do {
                try await call()
                Issue.record("\(what) was allowed to system:serviceaccount:\(namespace):tenant")
            } catch let error as KubeError {
                #expect(error.status == 403, "\(what): \(error)")
                #expect(error.message.contains("system:serviceaccount:\(namespace):tenant"), "\(what): \(error.message)")
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
    }
}
