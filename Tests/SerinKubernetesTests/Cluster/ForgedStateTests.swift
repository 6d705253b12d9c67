import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// A tenant who may write ConfigMaps somewhere in the cluster forges a
    /// rollout's saved state (the revisions it names are whole pod
    /// templates, deployed at the next leader change): in another
    /// namespace, and at the rollout's own name in the Canary's namespace.
    /// Neither deploys anything.
    @Suite struct ForgedStateTests {
        typealias Operator = KubernetesOperatorTests

        static func canary(_ namespace: String) -> String {
            """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: web, namespace: \(namespace) }
            spec:
              provider: kubernetes
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
              service: { port: 80, targetPort: 8080 }
              analysis: { interval: 2s, threshold: 2, iterations: 2 }
            """
        }

        /// A state that runs `evil` in `victim`: what a forger writes.
        static func forgedState(victim: String) throws -> String {
            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "evil", "namespace": .string(victim)],
                "spec": [
                    "replicas": 1, "selector": ["matchLabels": ["app": "evil"]],
                    "template": ["metadata": ["labels": ["app": "evil"]],
                                 "spec": ["containers": [["name": "evil", "image": "evil.example/miner:1"]]]],
                ],
            ]
            var revision = KubernetesRevision(workload: WorkloadID(namespace: victim, name: "evil"),
                                              origin: RevisionOrigin(source: "apps", commit: String(repeating: "0", count: 40), author: "forger"),
                                              target: deployment, routing: nil)
            revision.id = "f0f0f0f0f0f0"
            var state = RolloutState()
            state.phase = .initializing
            state.primaryRevision = revision.id
            let stored = StoredRollout(state: state, analysis: AnalysisRound(), history: nil, revisions: [revision.id: revision])
            return String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)
        }

        static func forgedMap(name: String, namespace: String, rollout: String, state: String) -> ConfigMap {
            ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace,
                                           labels: [ClusterStateReplica.label: "rollout", "app.kubernetes.io/managed-by": "serin"],
                                           annotations: ["serin.dev/rollout": rollout]),
                      data: ["state.json": state])
        }

        @Test(.timeLimit(.minutes(4)))
        func aForgedRolloutStateDeploysNothing() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let tenant = namespace + "-tenant"
                _ = try await client.resources(Namespace.self).create(Namespace(name: tenant, labels: ["serin.dev/test": "true"]))
                do {
                    try await Self.forge(client, namespace, tenant)
                } catch {
                    _ = try? await client.resources(Namespace.self).deleteIfPresent(tenant, propagationPolicy: .background)
                    throw error
                }
                _ = try await client.resources(Namespace.self).deleteIfPresent(tenant, propagationPolicy: .background)
            }
        }

        static func forge(_ client: KubeClient, _ namespace: String, _ tenant: String) async throws {
            let repository = try GitFixture()
            try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"),
                                   "deploy/canary.yaml": Self.canary(namespace)], message: "v1")
            // A first operator: the inventory lists the Canary (so its rollout is this operator's).
            let first = try await Operator.RunningOperator(repository: repository, namespace: namespace)
            do {
                try await eventually("the inventory lists the Canary", timeout: .seconds(90)) {
                    let inventory = try await client.resources(ConfigMap.self).getIfPresent("serin-inventory-apps", namespace: namespace)
                    return inventory?.data?["entries"]?.contains("\"Canary\"") == true
                }
            } catch {
                await first.stop()
                throw error
            }
            await first.stop()
            let maps = client.resources(ConfigMap.self)
            _ = try await maps.deleteIfPresent("serin-state-web", namespace: namespace)
            let state = try Self.forgedState(victim: tenant)
            // In the tenant's own namespace, claiming the rollout by annotation;
            _ = try await maps.create(Self.forgedMap(name: "serin-state-web", namespace: tenant, rollout: "\(namespace).web", state: state))
            // and at the rollout's own name, beside the Canary.
            _ = try await maps.create(Self.forgedMap(name: "serin-state-web", namespace: namespace, rollout: "\(namespace).web", state: state))

            // A new leader on an empty state directory.
            let second = try await Operator.RunningOperator(repository: repository, namespace: namespace)
            do {
                // Its runner for the Canary has re-asserted what it restored and handled Git's revision.
                try await eventually("the rollout runs", timeout: .seconds(90)) {
                    EventLog.entries(inStateDirectory: second.stateDirectory.path + "/state").contains { $0.rollout == "\(namespace)/web" }
                }
                let evil = try await client.resources(Deployment.self).getIfPresent("evil", namespace: tenant)
                #expect(evil == nil, "a forged state deployed \(tenant)/evil")
                let restored = Operator.decisions(second, "restored")
                #expect(!restored.contains { $0.contains("\(namespace).web") }, "\(restored)")
                // Said, with where the state was and why it is not trusted.
                let refused = Operator.decisions(second, "error").filter { $0.contains("serin-state-web") }
                #expect(refused.contains { $0.contains("\(namespace)/serin-state-web") && $0.contains("not signed") }, "\(Operator.decisions(second, "error"))")
                // The rollout's own state, signed, replaces the forged copy once it is saved.
                try await eventually("the operator's signed state replaces the forged one", timeout: .seconds(60)) {
                    let state = try await maps.getIfPresent("serin-state-web", namespace: namespace)
                    return state?.data?["state.hmac"] != nil && state?.data?["state.json"]?.contains("evil") == false
                }
            } catch {
                await second.stop()
                throw error
            }
            await second.stop()
        }

        /// Git may not declare what Serin trusts by name: an inventory, a
        /// rollout state, the state's key, a Lease in Serin's namespace. Each
        /// is refused with the reason and nothing of the revision is written
        /// (all or nothing); without them the rest applies.
        @Test(.timeLimit(.minutes(2)))
        func gitCannotDeclareSerinsOwnObjects() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let forged = [
                    ("v1", "ConfigMap", "serin-state-web"), ("v1", "ConfigMap", "serin-inventory-other"),
                    ("v1", "ConfigMap", ClusterWaveStore.name(of: "apps")),
                    ("v1", "Secret", ClusterStateReplica.keySecret), ("coordination.k8s.io/v1", "Lease", "serin-leader"),
                ].map { apiVersion, kind, name in
                    KubeObject(apiVersion: apiVersion, kind: kind, metadata: ObjectMeta(name: name, namespace: namespace))
                }
                let ordinary = KubeObject(apiVersion: "v1", kind: "ConfigMap", metadata: ObjectMeta(name: "settings", namespace: namespace),
                                          content: ["data": ["a": "b"]])
                let sync = ClusterSync(client: client, inventoryNamespace: namespace, createsInventoryNamespace: false)
                let report = await sync.sync(source: "apps", objects: forged + [ordinary])
                #expect(report.applied.isEmpty, "\(report)")
                #expect(try await client.resources(ConfigMap.self).getIfPresent("settings", namespace: namespace) == nil)
                let alone = await sync.sync(source: "apps", objects: [ordinary])
                #expect(alone.applied == ["ConfigMap \(namespace)/settings"], "\(alone)")
                for object in forged {
                    let name = object.metadata.name ?? ""
                    #expect(report.refused.contains { $0.contains("\(object.kind) \(namespace)/\(name) is refused from Git") }, "\(report.refused)")
                    let kind = try await client.resourceKind(of: object)
                    #expect(try await client.resources(kind).getIfPresent(name, namespace: namespace) == nil, "\(object.kind) \(name) was written")
                }
            }
        }

        /// An inventory is trusted only as Serin wrote it: one edited by
        /// someone else (here listing a ConfigMap in another namespace, to be
        /// "pruned") prunes nothing, and the sync says why.
        @Test(.timeLimit(.minutes(2)))
        func anInventoryNotWrittenBySerinPrunesNothing() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "victim", namespace: namespace), data: ["kept": "yes"]))
                let entries = #"[{"apiVersion":"v1","kind":"ConfigMap","namespace":"\#(namespace)","name":"victim","digest":"x"}]"#
                // Written with another field manager, as `kubectl apply` or an edit would.
                _ = try await maps.apply(ConfigMap(metadata: ObjectMeta(name: ClusterSync.inventoryName("apps"), namespace: namespace,
                                                                        labels: ["app.kubernetes.io/managed-by": "serin", ClusterSync.sourceLabel: "apps"]),
                                                   data: ["entries": entries]),
                                         fieldManager: "kubectl-client-side-apply")
                let sync = ClusterSync(client: client, inventoryNamespace: namespace, createsInventoryNamespace: false)
                let report = await sync.sync(source: "apps", objects: [])
                let victim = try await maps.getIfPresent("victim", namespace: namespace)
                #expect(victim != nil, "a forged inventory pruned \(namespace)/victim: \(report)")
                #expect(report.pruned.isEmpty)
                #expect(report.failures.contains { $0.contains("not trusted") && $0.contains("kubectl-client-side-apply") }, "\(report.failures)")
                // Written again by Serin, it is trusted from then on.
                let again = await ClusterSync(client: client, inventoryNamespace: namespace, createsInventoryNamespace: false)
                    .sync(source: "apps", objects: [])
                #expect(again.failures.isEmpty, "\(again.failures)")
            }
        }
    }
}
