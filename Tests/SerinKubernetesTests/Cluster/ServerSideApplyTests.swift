import SerinTesting
import Testing

@testable import SerinKubernetes
import SerinSpec

extension ClusterTests {
    /// The field ownership Serin relies on: the Git sync (manager "serin-git")
    /// and the rollout (manager "serin-rollout", owning spec.replicas) apply
    /// the same Deployment, and neither resets the other's fields.
    @Suite struct ServerSideApplyTests {
        /// What Git declares: everything but replicas (unless given); `version`
        /// stands for the change of a release.
        static func deployment(_ namespace: String, version: String, replicas: Int32? = nil) -> Deployment {
            let labels: JSONValue = ["app": "web"]
            let container: JSONValue = ["name": "web", "image": .string(image), "env": [["name": "VERSION", "value": .string(version)]]]
            return Deployment(
                metadata: ObjectMeta(name: "web", namespace: namespace, labels: ["app": "web"]),
                spec: .init(replicas: replicas, selector: LabelSelector(matchLabels: ["app": "web"]),
                            template: ["metadata": ["labels": labels],
                                       "spec": ["containers": [container]]]))
        }

        static var image: String { KubeTestCluster.environment["SERIN_KUBE_APP_IMAGE"] ?? "serin.local/app:latest" }

        @Test func twoFieldManagers() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let deployments = client.resources(Deployment.self)
                // Git declares replicas 2 at first.
                let first = try await deployments.apply(Self.deployment(namespace, version: "v1", replicas: 2), fieldManager: "serin-git")
                #expect(first.spec?.replicas == 2)

                // The rollout may not take a field Git owns without force...
                var scale = Deployment(metadata: ObjectMeta(name: "web", namespace: namespace), spec: .init(replicas: 5))
                let conflict = await #expect(throws: KubeError.self) {
                    try await deployments.apply(scale, fieldManager: "serin-rollout")
                }
                #expect(conflict?.status == 409, "\(String(describing: conflict))")
                #expect(conflict?.isConflict == true)
                // ...and takes it with force.
                scale = try await deployments.apply(scale, fieldManager: "serin-rollout", force: true)
                #expect(scale.spec?.replicas == 5)

                // Git's next apply leaves replicas out: they stay the rollout's.
                let template = Self.deployment(namespace, version: "v2")
                let afterGit = try await deployments.apply(template, fieldManager: "serin-git")
                #expect(afterGit.spec?.replicas == 5)
                #expect(afterGit.spec?.template?["spec"]?["containers"]?.arrayValue?.first?["env"] == [["name": "VERSION", "value": "v2"]])
                // Git declaring replicas again is a conflict it must not force.
                let gitConflict = await #expect(throws: KubeError.self) {
                    try await deployments.apply(Self.deployment(namespace, version: "v2", replicas: 2), fieldManager: "serin-git")
                }
                #expect(gitConflict?.isConflict == true)

                // The rollout scales; Git applies again; replicas are still the rollout's.
                _ = try await deployments.apply(Deployment(metadata: ObjectMeta(name: "web", namespace: namespace), spec: .init(replicas: 3)),
                                                fieldManager: "serin-rollout")
                let final = try await deployments.apply(Self.deployment(namespace, version: "v3"), fieldManager: "serin-git")
                #expect(final.spec?.replicas == 3)
                #expect(final.metadata.generation == 5)

                // Server-side apply is idempotent: the same apply is no new
                // generation (the resourceVersion moves with the controller's
                // status writes, so it says nothing here).
                let same = try await deployments.apply(Self.deployment(namespace, version: "v3"), fieldManager: "serin-git")
                #expect(same.metadata.generation == final.metadata.generation)
            }
        }

        /// The pod template survives a copy to `-primary` through JSONValue,
        /// and the controller's ReplicaSet carries the pod-template-hash.
        @Test func templateCopiedToPrimary() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let deployments = client.resources(Deployment.self)
                var source = Self.deployment(namespace, version: "v1", replicas: 0)
                source.spec?.template?["spec"]?["terminationGracePeriodSeconds"] = 7
                source.spec?.template?["metadata"]?["annotations"] = ["serin.dev/note": "kept"]
                let web = try await deployments.apply(source, fieldManager: "serin-git")

                var primary = Deployment(metadata: ObjectMeta(name: "web-primary", namespace: namespace, labels: ["app": "web-primary"]),
                                         spec: web.spec)
                primary.spec?.selector = LabelSelector(matchLabels: ["app": "web-primary"])
                primary.spec?.template?["metadata"]?["labels"] = ["app": "web-primary"]
                let copied = try await deployments.apply(primary, fieldManager: "serin")
                #expect(copied.spec?.template?["spec"]?["terminationGracePeriodSeconds"] == 7)
                #expect(copied.spec?.template?["metadata"]?["annotations"] == ["serin.dev/note": "kept"])
                // Everything the apiserver defaulted in the template came along too.
                #expect(copied.spec?.template?["spec"]?["dnsPolicy"] == web.spec?.template?["spec"]?["dnsPolicy"])

                try await eventually("a ReplicaSet of web-primary with a pod-template-hash") {
                    let sets = try await client.resources(ReplicaSet.self).list(namespace: namespace, labelSelector: "app=web-primary")
                    return sets.items.contains { $0.podTemplateHash != nil && $0.metadata.ownerReferences?.first?.name == "web-primary" }
                }
                try await eventually("web-primary's status observed") {
                    let status = try await deployments.getStatus("web-primary", namespace: namespace)
                    return status.status?.observedGeneration == status.metadata.generation && status.isRolledOut
                }
            }
        }

        /// Manifests from Git: untyped objects, their resource found by discovery.
        @Test func untypedManifests() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let yaml = """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: web}
                    spec:
                      selector: {app: web}
                      # 1.20's server-side apply rejects a port without its
                      # protocol (a key of the ports list) with a 500.
                      ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
                    ---
                    apiVersion: coordination.k8s.io/v1
                    kind: Lease
                    metadata: {name: leader}
                    spec: {holderIdentity: serin-0, leaseDurationSeconds: 15}
                    """
                for var object in try KubeObject.manifests(yaml: yaml) {
                    object.metadata.namespace = namespace
                    let kind = try await client.resourceKind(of: object)
                    let applied = try await client.resources(kind).apply(object, fieldManager: "serin-git")
                    #expect(applied.metadata.uid != nil)
                    #expect(applied.apiVersion == object.apiVersion)
                }
                let service = try await client.resources(Service.self).get("web", namespace: namespace)
                #expect(service.spec?.ports?.first?.targetPort == 8080)
                #expect(service.spec?.clusterIP != nil)
                let lease = try await client.resources(Lease.self).get("leader", namespace: namespace)
                #expect(lease.spec?.holderIdentity == "serin-0")

                #expect(try await client.resourceKind(apiVersion: "apps/v1", kind: "Deployment") == Deployment.resourceKind)
                #expect(try await client.resourceKind(apiVersion: "v1", kind: "Namespace") == Namespace.resourceKind)
                #expect(try await client.resourceKind(apiVersion: "autoscaling/v2beta2", kind: "HorizontalPodAutoscaler")
                    == HorizontalPodAutoscaler.resourceKind)
                let unknown = await #expect(throws: KubeError.self) {
                    try await client.resourceKind(apiVersion: "example.com/v1", kind: "Nothing")
                }
                #expect(unknown?.isNotFound == true)
                let groups = try await client.apiGroups().map(\.name)
                #expect(groups.contains("apps") && groups.contains("coordination.k8s.io"))
                // Discovery answers are cached: a second look-up sends nothing.
                let before = client.requests.current
                _ = try await client.resourceKind(apiVersion: "apps/v1", kind: "ReplicaSet")
                #expect(client.requests.current.since(before).total == 0)
            }
        }
    }
}
