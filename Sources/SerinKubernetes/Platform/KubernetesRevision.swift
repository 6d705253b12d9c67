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
    public var deployment: KubeJSON
    /// The Canary's service and provider; nil for a Deployment no Canary targets.
    public var routing: CanaryRouting?
    /// The ConfigMaps and Secrets the pod template uses; the primary runs on `-primary` copies.
    public var configs: ConfigReferences
    /// The HorizontalPodAutoscaler of the Canary's `autoscalerRef`, from Git
    /// whole: `<name>-primary` scales the primary, and the primary's replicas
    /// are the autoscaler's, not Git's.
    public var autoscaler: KubeJSON?

    /// `configData`: the data of the template's ConfigMaps and Secrets that
    /// Git declares, so that a change of theirs is a new revision too.
    public init(workload: WorkloadID, origin: RevisionOrigin, deployment: KubeJSON, routing: CanaryRouting?,
                configData: [String: KubeJSON] = [:], autoscaler: KubeJSON? = nil) {
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
    public var template: KubeJSON { deployment["spec"]?["template"] ?? .null }

    static func identify(_ template: KubeJSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(template)) ?? Data()
        let hash = data.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }
}

/// What Flagger's router needs of a Canary: the apex Service's name and
/// ports, and the provider that shifts traffic.
public struct CanaryRouting: Sendable, Codable, Hashable {
    /// `gatewayapi:v1`, `gatewayapi:v1beta1` (`gatewayapi` alone), `kubernetes`.
    public var provider: String
    public var service: String
    public var port: Int64
    public var targetPort: KubeJSON
    /// The Gateways the HTTPRoute attaches to (Gateway API parentRefs).
    public var gatewayRefs: [KubeJSON]
    /// The user's Ingress from Git (`spec.ingressRef`), for the nginx provider.
    public var ingress: KubeJSON?

    public init(provider: String, service: String, port: Int64, targetPort: KubeJSON, gatewayRefs: [KubeJSON] = [], ingress: KubeJSON? = nil) {
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

extension KubeJSON {
    /// SerinSpec's value of a manifest read from Git, as JSON.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let bool): self = .bool(bool)
        case .int(let int): self = .int(Int64(int))
        case .double(let double): self = .double(double)
        case .string(let string): self = .string(string)
        case .array(let items): self = .array(items.map(KubeJSON.init))
        case .object(let members): self = .object(members.mapValues(KubeJSON.init))
        }
    }
}
