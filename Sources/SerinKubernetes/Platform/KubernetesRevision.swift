import Foundation
import SerinEngine
import SerinSpec

/// One revision of a Deployment on the Kubernetes platform: the Deployment
/// as Git declares it, and how its Canary routes traffic. Its id is a
/// digest of the pod template, as Kubernetes' pod-template-hash: a change of
/// replicas alone is not a release.
public struct KubernetesRevision: PlatformRevision {
    public var id: String
    public var workload: WorkloadID
    public var origin: RevisionOrigin
    /// The target Deployment from Git, whole.
    public var deployment: JSONValue
    /// The Canary's service and provider; nil for a Deployment no Canary targets.
    public var routing: CanaryRouting?
    /// The ConfigMaps and Secrets the pod template uses; the primary runs on `-primary` copies.
    public var configs: ConfigReferences
    /// The HorizontalPodAutoscaler of the Canary's `autoscalerRef`, from Git
    /// whole: `<name>-primary` scales the primary, and the primary's replicas
    /// are the autoscaler's, not Git's.
    public var autoscaler: JSONValue?

    /// `configData`: the data of the template's ConfigMaps and Secrets that
    /// Git declares, so that a change of theirs is a new revision too.
    public init(workload: WorkloadID, origin: RevisionOrigin, deployment: JSONValue, routing: CanaryRouting?,
                configData: [String: JSONValue] = [:], autoscaler: JSONValue? = nil) {
        self.autoscaler = autoscaler
        self.workload = workload
        self.origin = origin
        self.deployment = deployment
        self.routing = routing
        let template = deployment["spec"]?["template"] ?? .null
        configs = routing == nil ? ConfigReferences() : ConfigReferences(template: template)
        id = Self.identify(configData.isEmpty ? template : ["template": template, "configs": .object(configData)])
    }

    public var replicas: Int64 { deployment["spec"]?["replicas"]?.intValue ?? 1 }
    public var template: JSONValue { deployment["spec"]?["template"] ?? .null }

    static func identify(_ template: JSONValue) -> String {
        // A JSON value always encodes.
        String(((try? template.canonicalData()).map(ContentDigest.hex) ?? ContentDigest.hex([])).prefix(12))
    }
}

/// What Flagger's router needs of a Canary: the apex Service's name and
/// ports, and the provider that shifts traffic.
public struct CanaryRouting: Sendable, Codable, Hashable {
    /// `gatewayapi:v1`, `gatewayapi:v1beta1` (`gatewayapi` alone), `kubernetes`.
    public var provider: String
    public var service: String
    public var port: Int64
    public var targetPort: JSONValue
    /// The Gateways the HTTPRoute attaches to (Gateway API parentRefs).
    public var gatewayRefs: [JSONValue]
    /// The user's Ingress from Git (`spec.ingressRef`), for the nginx provider.
    public var ingress: JSONValue?

    public init(provider: String, service: String, port: Int64, targetPort: JSONValue, gatewayRefs: [JSONValue] = [], ingress: JSONValue? = nil) {
        self.provider = provider
        self.service = service
        self.port = port
        self.targetPort = targetPort
        self.gatewayRefs = gatewayRefs
        self.ingress = ingress
    }

    public static let providers = Validator.kubernetesProviders

    public var usesGatewayAPI: Bool { provider.hasPrefix("gatewayapi") }
    public var usesNGINX: Bool { provider == "nginx" }
    public var gatewayVersion: String { provider == "gatewayapi:v1" ? "v1" : "v1beta1" }
}
