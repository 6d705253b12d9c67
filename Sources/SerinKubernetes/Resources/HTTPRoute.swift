import SerinSpec
/// gateway.networking.k8s.io HTTPRoute, in v1 (`HTTPRoute`) or v1beta1
/// (`HTTPRouteV1Beta1`), as Flagger's `gatewayapi:v1` and
/// `gatewayapi:v1beta1` providers. The spec (rules, backendRefs with
/// weights) stays raw JSON; the status is typed so readiness can be read.
public struct GatewayHTTPRoute<Version: GatewayAPIVersion>: KubeResource, Hashable {
    public static var resourceKind: ResourceKind {
        ResourceKind(group: "gateway.networking.k8s.io", version: Version.version, kind: "HTTPRoute", plural: "httproutes", namespaced: true)
    }

    public struct ParentStatus: Codable, Sendable, Hashable {
        public var parentRef: JSONValue?
        public var controllerName: String?
        public var conditions: [KubeCondition]?
    }

    public struct Status: Codable, Sendable, Hashable {
        public var parents: [ParentStatus]?
    }

    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    /// Every parent gateway has accepted the route.
    public var isAccepted: Bool {
        guard let parents = status?.parents, !parents.isEmpty else { return false }
        return parents.allSatisfy { parent in parent.conditions?.contains { $0.type == "Accepted" && $0.status == "True" } ?? false }
    }
}

public typealias HTTPRoute = GatewayHTTPRoute<GatewayV1>
public typealias HTTPRouteV1Beta1 = GatewayHTTPRoute<GatewayV1Beta1>
