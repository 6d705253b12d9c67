import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// A cluster Flagger ran, taken over by Serin without a fight; and
    /// KEDA's ScaledObject written as Flagger writes it.
    @Suite struct FlaggerTakeoverTests {
        typealias Operator = KubernetesOperatorTests

        static func deployment(_ namespace: String, version: String) -> String {
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: podinfo, namespace: \(namespace), labels: { app.kubernetes.io/name: podinfo } }
            spec:
              replicas: 1
              selector: { matchLabels: { app: podinfo } }
              template:
                metadata: { labels: { app: podinfo } }
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: podinfod
                      image: \(Operator.image)
                      imagePullPolicy: Never
                      env: [{ name: APP_VERSION, value: "\(version)" }]
                      ports: [{ name: http, containerPort: 8080 }]
                      readinessProbe: { httpGet: { path: /readyz, port: 8080 }, periodSeconds: 1 }
            """
        }

        static func canary(_ namespace: String) -> String {
            """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: podinfo, namespace: \(namespace) }
            spec:
              provider: kubernetes
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
              progressDeadlineSeconds: 180
              service: { port: 80, targetPort: 8080 }
              analysis: { interval: 2s, threshold: 3, iterations: 2 }
            """
        }

        /// What Flagger's controllers make (`createPrimaryDeployment`,
        /// `reconcileService`): `podinfo-primary` selected by `app:
        /// podinfo-primary` with a `flagger-id` on its pods, the three
        /// Services, each owned by the Canary; the target at zero; the
        /// Canary's status Succeeded. Written with Flagger's field manager.
        static func leaveAsFlaggerDoes(_ client: KubeClient, _ namespace: String) async throws {
            let objects = try KubeObject.manifests(yaml: deployment(namespace, version: "6.0.0") + "\n---\n" + canary(namespace))
            var target = try #require(objects.first)
            target["spec"]?["replicas"] = 0
            _ = try await client.resources(Deployment.resourceKind).apply(target, fieldManager: "flagger", force: true)
            let canary = try await client.resources(SerinKubernetes.Canary.resourceKind).apply(objects[1], fieldManager: "flagger", force: true)
            let owner: JSONValue = ["apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "podinfo", "uid": .string(canary.metadata.uid ?? ""),
                                    "controller": true, "blockOwnerDeletion": true]
            var template = target["spec"]?["template"] ?? .null
            template["metadata"] = ["labels": ["app": "podinfo-primary"], "annotations": ["flagger-id": "4c5e3d0a-0000-4000-8000-000000000001"]]
            let primary = try KubeObject(json: [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "podinfo-primary", "namespace": .string(namespace), "labels": ["app": "podinfo-primary"], "ownerReferences": [owner]],
                "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "podinfo-primary"]], "template": template],
            ])
            _ = try await client.resources(Deployment.resourceKind).apply(primary, fieldManager: "flagger", force: true)
            for (name, selector) in [("podinfo", "podinfo-primary"), ("podinfo-primary", "podinfo-primary"), ("podinfo-canary", "podinfo")] {
                let service = try KubeObject(json: [
                    "apiVersion": "v1", "kind": "Service",
                    "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name)],
                                 "annotations": ["kustomize.toolkit.fluxcd.io/reconcile": "disabled"], "ownerReferences": [owner]],
                    "spec": ["type": "ClusterIP", "selector": ["app": .string(selector)],
                             "ports": [["name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"]]],
                ])
                _ = try await client.resources(Service.resourceKind).apply(service, fieldManager: "flagger", force: true)
            }
            var status = SerinKubernetes.Canary.Status(phase: "Succeeded", canaryWeight: 0, failedChecks: 0, iterations: 0,
                                                       lastAppliedSpec: "5d8f7c6b4a", lastPromotedSpec: "5d8f7c6b4a",
                                                       lastTransitionTime: "2024-01-01T00:00:00Z")
            status.conditions = [KubeCondition(type: "Promoted", status: "True", reason: "Succeeded",
                                               message: "Canary analysis completed successfully, promotion finished.")]
            _ = try await client.resources(SerinKubernetes.Canary.self).applyStatus(
                SerinKubernetes.Canary(metadata: ObjectMeta(name: "podinfo", namespace: namespace), status: status), fieldManager: "flagger", force: true)
        }

        static func pods(_ client: KubeClient, _ namespace: String, _ app: String) async throws -> [Pod] {
            try await client.resources(Pod.self).list(namespace: namespace, labelSelector: "app=\(app)").items
        }

        /// Flagger's namespace (its `-primary` with the selector it gave it,
        /// its Services, the Canary Succeeded): Serin adopts it, with no
        /// release and no restart of a pod, then releases the next revision.
        @Test(.timeLimit(.minutes(8)))
        func aClusterFlaggerRanIsTakenOverWithoutARelease() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await Self.leaveAsFlaggerDoes(client, namespace)
                try await eventually("Flagger's primary serves", timeout: .seconds(180)) {
                    let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                    return primary.isRolledOut
                }
                let before = Set(try await Self.pods(client, namespace, "podinfo-primary").compactMap(\.metadata.uid))
                let repository = try GitFixture()
                try repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.0"),
                                       "deploy/canary.yaml": Self.canary(namespace)], message: "as Flagger ran it")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace)
                let log = { () async -> [EventLog.Entry] in await (try? EventLog(stateDirectory: running.stateDirectory.path + "/state"))?.entries() ?? [] }
                do {
                    try await eventually("the Canary is adopted", timeout: .seconds(120)) {
                        await log().contains { $0.decision == "Initialized" && $0.reason.contains("adopted") }
                    }
                    let decisions = await log().filter { $0.rollout == "\(namespace)/podinfo" }.map(\.decision)
                    #expect(!decisions.contains("detected") && !decisions.contains("Progressing"), "no release: \(decisions)")
                    // The status is written after the decision is logged.
                    try await eventually("the Canary's status says Initialized", timeout: .seconds(30)) {
                        try await client.resources(SerinKubernetes.Canary.self).get("podinfo", namespace: namespace).status?.phase == "Initialized"
                    }
                    let canary = try await client.resources(SerinKubernetes.Canary.self).get("podinfo", namespace: namespace)
                    let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                    #expect(primary.spec?.selector?.matchLabels == ["app": "podinfo-primary"])
                    #expect(primary.spec?.template?["metadata"]?["annotations"]?["flagger-id"] == "4c5e3d0a-0000-4000-8000-000000000001",
                            "the pods' template is Flagger's, untouched")
                    let after = Set(try await Self.pods(client, namespace, "podinfo-primary").compactMap(\.metadata.uid))
                    #expect(after == before, "no pod of the primary restarted")
                    #expect(try await Operator.replicas(client, namespace, "podinfo") == 0)
                    let apex: Service = try await client.resources(Service.self).get("podinfo", namespace: namespace)
                    #expect(apex.spec?.selector == ["app": "podinfo-primary"])
                    #expect(apex.metadata.ownerReferences?.first?.uid == canary.metadata.uid)
                    // Then Serin releases the next revision.
                    try repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.1")], message: "6.0.1")
                    try await eventually("6.0.1 is released", timeout: .seconds(240)) {
                        let canary = try await client.resources(SerinKubernetes.Canary.self).get("podinfo", namespace: namespace)
                        let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                        return canary.status?.phase == "Succeeded" && FlaggerScenarioTests.version(primary.spec?.template) == "6.0.1"
                    }
                    let released = await log().contains { $0.decision == "Progressing" }
                    #expect(released, "a release, this time")
                } catch {
                    for entry in await log() { print("\(entry.decision): \(entry.reason)") }
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// KEDA cannot run here; its ScaledObject CRD can: `<so>-primary`
        /// scales the primary with its queries, the target's is paused, as
        /// Flagger's ScaledObject reconciler writes them.
        @Test(.timeLimit(.minutes(6)))
        func aScaledObjectIsWrittenAsFlaggerWritesIt() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "keda-scaledobjects-crd.yaml")
                let scaledObject = """
                    apiVersion: keda.sh/v1alpha1
                    kind: ScaledObject
                    metadata: { name: podinfo-so, namespace: \(namespace) }
                    spec:
                      scaleTargetRef: { name: podinfo }
                      minReplicaCount: 1
                      maxReplicaCount: 3
                      triggers:
                        - type: prometheus
                          name: requests
                          metadata: { serverAddress: "http://prometheus:9090", threshold: "10", query: 'sum(rate(http_requests_total{pod=~"podinfo-.*"}[1m]))' }
                    """
                let canary = Self.canary(namespace).replacingOccurrences(of: "  provider: kubernetes", with: """
                      provider: kubernetes
                      autoscalerRef:
                        apiVersion: keda.sh/v1alpha1
                        kind: ScaledObject
                        name: podinfo-so
                        primaryScalerQueries: { requests: 'sum(rate(http_requests_total{pod=~"podinfo-primary-.*"}[1m]))' }
                        primaryScalerReplicas: { minReplicas: 2, maxReplicas: 5 }
                    """)
                let repository = try GitFixture()
                try repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.0"), "deploy/so.yaml": scaledObject,
                                       "deploy/canary.yaml": canary], message: "with KEDA")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace)
                let scaledObjects = client.resources(ResourceKind(group: "keda.sh", version: "v1alpha1", kind: "ScaledObject", plural: "scaledobjects",
                                                                  namespaced: true))
                do {
                    try await eventually("podinfo-so-primary is written", timeout: .seconds(120)) {
                        try await scaledObjects.getIfPresent("podinfo-so-primary", namespace: namespace) != nil
                    }
                    let primary = try await scaledObjects.get("podinfo-so-primary", namespace: namespace)
                    #expect(primary["spec"]?["scaleTargetRef"]?["name"] == "podinfo-primary")
                    #expect(primary["spec"]?["minReplicaCount"] == 2 && primary["spec"]?["maxReplicaCount"] == 5)
                    #expect(primary["spec"]?["triggers"]?.arrayValue?.first?["metadata"]?["query"]
                            == #"sum(rate(http_requests_total{pod=~"podinfo-primary-.*"}[1m]))"#)
                    #expect(primary.metadata.ownerReferences?.first?.kind == "Canary")
                    try await eventually("the target's ScaledObject is paused", timeout: .seconds(30)) {
                        let target = try await scaledObjects.get("podinfo-so", namespace: namespace)
                        return target.metadata.annotations?["autoscaling.keda.sh/paused-replicas"] == "0"
                    }
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }
    }
}
