import Foundation
import SerinKubernetes
import SerinSpec

/// A stand-in for a Gateway API implementation, which cannot run here, named
/// as a fake: every HTTPRoute an informer brings (added, or changed to a
/// generation not yet accepted) is accepted as a gateway controller reports
/// it (`status.parents[].conditions[Accepted]` at that generation). Driven by
/// the informer's watch, not by listing, so at a thousand routes it costs
/// the apiserver one status write per route change and nothing at rest.
/// Nothing routes traffic.
public final class FakeGateway: Sendable {
    public static let controllerName = "serin.dev/fake-gateway-controller"
    private let task: Task<Void, Never>

    public init(routes: Informer<HTTPRouteV1Beta1>, client: KubeClient) {
        let changes = routes.changes()
        let writer = client.resources(HTTPRouteV1Beta1.resourceKind)
        task = Task {
            for await change in changes {
                let route: HTTPRouteV1Beta1
                switch change {
                case .added(let added): route = added
                case .updated(_, let new): route = new
                case .deleted: continue
                }
                guard let generation = route.metadata.generation, !Self.accepted(route, generation),
                      let accepting = try? Self.accepting(route, generation) else { continue }
                // A conflict (the route was written again meanwhile) brings a newer change: accepted then.
                _ = try? await writer.updateStatus(accepting)
            }
        }
    }

    public func stop() {
        task.cancel()
    }

    /// Every parent accepted this generation.
    public static func accepted(_ route: HTTPRouteV1Beta1, _ generation: Int64) -> Bool {
        guard let parents = route.status?.parents, !parents.isEmpty else { return false }
        return parents.allSatisfy { parent in
            parent.conditions?.contains { $0.type == "Accepted" && $0.status == "True" && ($0.observedGeneration ?? generation) >= generation } ?? false
        }
    }

    /// The route with every parent's `Accepted` condition at `generation`.
    public static func accepting(_ route: HTTPRouteV1Beta1, _ generation: Int64) throws -> KubeObject {
        var json = try JSONValue(encoding: route)
        json["apiVersion"] = .string(HTTPRouteV1Beta1.resourceKind.apiVersion)
        json["kind"] = .string(HTTPRouteV1Beta1.resourceKind.kind)
        let condition: JSONValue = ["type": "Accepted", "status": "True", "reason": "Accepted", "message": "accepted by the fake gateway",
                                    "lastTransitionTime": .string(ISO8601DateFormatter().string(from: Date())),
                                    "observedGeneration": .int(generation)]
        let parents = (route.spec?["parentRefs"]?.arrayValue ?? []).map { parent -> JSONValue in
            ["parentRef": parent, "controllerName": .string(controllerName), "conditions": [condition]]
        }
        json["status"] = ["parents": .array(parents)]
        return try KubeObject(json: json)
    }
}
