import Foundation
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Each typed resource written and read back through the real apiserver,
    /// so its Swift shape matches what the apiserver sends.
    @Suite struct TypedResourceTests {
        @Test func writeAndReadBack() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let namespaceObject = try await client.resources(Namespace.self).get(namespace)
                #expect(namespaceObject.status?.phase == "Active")
                #expect(namespaceObject.metadata.labels?["serin.dev/test"] == "true")

                let secret = try await client.resources(Secret.self).create(
                    Secret(metadata: ObjectMeta(name: "token", namespace: namespace), type: "Opaque", stringData: ["token": "s3cr3t/+"]))
                #expect(secret.value("token") == Data("s3cr3t/+".utf8))
                #expect(secret.stringData == nil)

                let hpa = try await client.resources(HorizontalPodAutoscaler.self).create(HorizontalPodAutoscaler(
                    metadata: ObjectMeta(name: "web", namespace: namespace),
                    spec: .init(scaleTargetRef: .init(apiVersion: "apps/v1", kind: "Deployment", name: "web"), minReplicas: 2, maxReplicas: 4,
                                metrics: [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]])))
                #expect(hpa.spec?.maxReplicas == 4)
                #expect(hpa.spec?.metrics?.arrayValue?.first?["resource"]?["target"]?["averageUtilization"] == 80)

                let ingress = try await client.resources(Ingress.self).create(Ingress(
                    metadata: ObjectMeta(name: "web", namespace: namespace,
                                         annotations: ["nginx.ingress.kubernetes.io/canary": "true",
                                                       "nginx.ingress.kubernetes.io/canary-weight": "10"]),
                    spec: ["rules": [["host": "web.example", "http": ["paths": [[
                        "path": "/", "pathType": "Prefix",
                        "backend": ["service": ["name": "web-canary", "port": ["number": 80]]],
                    ]]]]]]))
                #expect(ingress.metadata.annotations?["nginx.ingress.kubernetes.io/canary-weight"] == "10")
                #expect(ingress.spec?["rules"]?.arrayValue?.first?["host"] == "web.example")

                let lease = try await client.resources(Lease.self).create(Lease(
                    metadata: ObjectMeta(name: "serin-leader", namespace: namespace),
                    spec: .init(holderIdentity: "serin-0", leaseDurationSeconds: 15, acquireTime: "2026-12-02T10:00:00.000000Z",
                                renewTime: "2026-12-02T10:00:05.000000Z", leaseTransitions: 0)))
                #expect(lease.spec?.renewTime == "2026-12-02T10:00:05.000000Z")

                let event = try await client.resources(Event.self).create(Event(
                    metadata: ObjectMeta(name: "web.1", namespace: namespace),
                    involvedObject: .init(apiVersion: "flagger.app/v1beta1", kind: "Canary", name: "web", namespace: namespace),
                    reason: "Synced", message: "Advance web canary weight 10", type: "Normal", source: .init(component: "serin")))
                #expect(event.involvedObject.kind == "Canary")
                #expect(event.source?.component == "serin")

                let service = try await client.resources(Service.self).create(Service(
                    metadata: ObjectMeta(name: "web-primary", namespace: namespace),
                    spec: .init(selector: ["app": "web-primary"], ports: [.init(name: "http", port: 80, targetPort: "http")])))
                #expect(service.spec?.type == "ClusterIP")
                #expect(service.spec?.ports?.first?.targetPort == "http")
                #expect(service.spec?.ports?.first?.protocol == "TCP")

                // A typed PUT keeps what the type does not name.
                var nodePort = Service(metadata: ObjectMeta(name: "web-nodeport", namespace: namespace),
                                       spec: .init(type: "NodePort", selector: ["app": "web"], ports: [.init(port: 80, protocol: "TCP")]))
                nodePort.spec?.other["externalTrafficPolicy"] = "Local"
                var read = try await client.resources(Service.self).create(nodePort)
                #expect(read.spec?.other["externalTrafficPolicy"] == "Local")
                read.spec?.selector = ["app": "web-canary"]
                let updated = try await client.resources(Service.self).update(read)
                #expect(updated.spec?.selector == ["app": "web-canary"])
                #expect(updated.spec?.other["externalTrafficPolicy"] == "Local")
                #expect(updated.spec?.ports?.first?.nodePort == read.spec?.ports?.first?.nodePort)

                // Every pod of the cluster decodes (the launcher's own among them).
                let pods = try await client.resources(Pod.self).listAll()
                for pod in pods.items { #expect(pod.metadata.name != nil) }

                // Cluster-scoped lists decode too.
                let crds = try await client.resources(CustomResourceDefinition.self).listAll()
                for crd in crds.items { #expect(!crd.spec.versions.isEmpty) }
            }
        }
    }
}
