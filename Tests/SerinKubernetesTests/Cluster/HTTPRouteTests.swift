import Testing

@testable import SerinKubernetes
import SerinSpec

extension ClusterTests {
    /// An HTTPRoute written in v1beta1 and read in v1 (Flagger's two
    /// gatewayapi providers), its weights patched, its status written.
    @Suite struct HTTPRouteTests {
        static func weights(_ route: GatewayHTTPRoute<some GatewayAPIVersion>) -> [Int64] {
            route.spec?["rules"]?.arrayValue?.first?["backendRefs"]?.arrayValue?.compactMap { $0["weight"]?.intValue } ?? []
        }

        @Test func bothVersionsAndStatus() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let spec: JSONValue = [
                    "parentRefs": [["name": "gateway", "namespace": .string(namespace)]],
                    "hostnames": ["web.example"],
                    "rules": [["backendRefs": [
                        ["name": "web-primary", "port": 80, "weight": 90],
                        ["name": "web-canary", "port": 80, "weight": 10],
                    ]]],
                ]
                let created = try await client.resources(HTTPRouteV1Beta1.self).create(
                    HTTPRouteV1Beta1(metadata: ObjectMeta(name: "web", namespace: namespace), spec: spec))
                #expect(Self.weights(created) == [90, 10])

                let routes = client.resources(HTTPRoute.self)
                var route = try await routes.get("web", namespace: namespace)
                #expect(route.spec == spec)
                #expect(!route.isAccepted)

                // The router's step: shift weight with a JSON patch that checks what it replaces.
                route = try await routes.jsonPatch("web", namespace: namespace, operations: [
                    .test("/spec/rules/0/backendRefs/1/weight", 10),
                    .replace("/spec/rules/0/backendRefs/0/weight", 70),
                    .replace("/spec/rules/0/backendRefs/1/weight", 30),
                ])
                #expect(Self.weights(route) == [70, 30])
                #expect(Self.weights(try await client.resources(HTTPRouteV1Beta1.self).get("web", namespace: namespace)) == [70, 30])

                // What a gateway controller reports, read back as typed conditions.
                route.status = .init(parents: [.init(
                    parentRef: ["name": "gateway"], controllerName: "example.com/gateway",
                    conditions: [KubeCondition(type: "Accepted", status: "True", reason: "Accepted", message: "",
                                               lastTransitionTime: "2026-12-02T10:00:00Z", observedGeneration: route.metadata.generation)])])
                _ = try await routes.updateStatus(route)
                let accepted = try await client.resources(HTTPRouteV1Beta1.self).getStatus("web", namespace: namespace)
                #expect(accepted.isAccepted)
                #expect(accepted.status?.parents?.first?.controllerName == "example.com/gateway")
            }
        }
    }
}
