import Foundation
import SerinEngine
import SerinSpec

/// One revision of a Canary's target (a Deployment or a DaemonSet) on the
/// Kubernetes platform: the workload as Git declares it (or as the cluster
/// holds it, when another tool made it), and how its Canary routes traffic.
/// Its id is a digest of the pod template (and of the data of the configs
/// it uses), as Kubernetes' pod-template-hash: a change of replicas alone
/// is not a release.
public struct KubernetesRevision: PlatformRevision {
    public enum TargetKind: String, Sendable, Codable, Hashable {
        case deployment = "Deployment"
        case daemonSet = "DaemonSet"
    }

    public var id: String
    public var workload: WorkloadID
    public var origin: RevisionOrigin
    public var kind: TargetKind
    /// The target, whole: from Git, or read from the cluster.
    public var target: JSONValue
    /// Git declares the target: Serin applies it. A target found in the
    /// cluster (made by a Helm release, CI, another operator) is only
    /// scaled; its spec stays its owner's.
    public var declared: Bool
    /// The Canary's routing; nil for a Deployment no Canary targets.
    public var routing: CanaryRouting?
    /// The ConfigMaps and Secrets the pod template uses; the primary runs on `-primary` copies.
    public var configs: ConfigReferences
    /// The Canary's `autoscalerRef`, with the autoscaler as Git declares it
    /// (nil: it is read from the cluster when the primary's is written).
    public var autoscaler: AutoscalerReferenceValue?

    /// `configs`: the ConfigMaps and Secrets of the template Serin tracks
    /// (as Flagger's config tracker: not disabled, present or required);
    /// their checksums (`trackedConfigs`) are part of the id, so that a
    /// change of their data is a new revision too.
    public init(workload: WorkloadID, origin: RevisionOrigin, kind: TargetKind = .deployment, target: JSONValue, declared: Bool = true,
                routing: CanaryRouting?, configs: ConfigReferences = ConfigReferences(), autoscaler: AutoscalerReferenceValue? = nil) {
        self.workload = workload
        self.origin = origin
        self.kind = kind
        self.target = target
        self.declared = declared
        self.routing = routing
        self.autoscaler = autoscaler
        let template = target["spec"]?["template"] ?? .null
        self.configs = routing == nil ? ConfigReferences() : configs
        let checksums = self.configs.checksums
        id = Self.identify(checksums.isEmpty ? template : ["template": template, "configs": .object(checksums.mapValues { .string($0) })])
    }

    public var targetKind: String { kind.rawValue }

    /// The Deployment's replicas as declared (1 when it says none).
    public var replicas: Int64 { target["spec"]?["replicas"]?.intValue ?? 1 }
    public var template: JSONValue { target["spec"]?["template"] ?? .null }
    /// The target's own name (the workload's).
    public var name: String { workload.name }

    /// The pod template's own identity, without the tracked configs'
    /// checksums the id holds: what a target another tool owns is compared
    /// by when the cluster reports it changed (`KubernetesPlatform.observed`).
    var templateIdentity: String { Self.templateIdentity(template) }

    /// A pod template's identity as the cluster holds it: Serin's
    /// scale-to-zero node selector (a DaemonSet outside a release) left out.
    static func templateIdentity(_ template: JSONValue) -> String {
        identify(FlaggerObjects.unscaled(template))
    }

    static func identify(_ template: JSONValue) -> String {
        // A JSON value always encodes.
        String(((try? template.canonicalData()).map(ContentDigest.hex) ?? ContentDigest.hex([])).prefix(12))
    }

    enum CodingKeys: String, CodingKey {
        case id, workload, origin, kind, target, declared, routing, configs, autoscaler
        /// The target's key in states saved before DaemonSets were released.
        case deployment
    }

    /// States saved by earlier versions hold a Deployment under `deployment`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        workload = try container.decode(WorkloadID.self, forKey: .workload)
        origin = try container.decode(RevisionOrigin.self, forKey: .origin)
        kind = try container.decodeIfPresent(TargetKind.self, forKey: .kind) ?? .deployment
        target = try container.decodeIfPresent(JSONValue.self, forKey: .target) ?? container.decode(JSONValue.self, forKey: .deployment)
        declared = try container.decodeIfPresent(Bool.self, forKey: .declared) ?? true
        routing = try? container.decodeIfPresent(CanaryRouting.self, forKey: .routing)
        configs = try container.decode(ConfigReferences.self, forKey: .configs)
        autoscaler = try? container.decodeIfPresent(AutoscalerReferenceValue.self, forKey: .autoscaler)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(workload, forKey: .workload)
        try container.encode(origin, forKey: .origin)
        try container.encode(kind, forKey: .kind)
        try container.encode(target, forKey: .target)
        try container.encode(declared, forKey: .declared)
        try container.encodeIfPresent(routing, forKey: .routing)
        try container.encode(configs, forKey: .configs)
        try container.encodeIfPresent(autoscaler, forKey: .autoscaler)
    }
}

/// A Canary's `autoscalerRef`: what it names, and the autoscaler itself
/// when Git declares it.
public struct AutoscalerReferenceValue: Sendable, Codable, Hashable {
    public var apiVersion: String
    /// `HorizontalPodAutoscaler` or `ScaledObject`.
    public var kind: String
    public var name: String
    /// From Git, whole; nil when the cluster holds it (read when `<name>-primary` is written).
    public var object: JSONValue?
    public var primaryMinReplicas: Int32?
    public var primaryMaxReplicas: Int32?
    /// A ScaledObject's trigger queries for the primary, by trigger name.
    public var primaryQueries: [String: String]?

    public init(apiVersion: String, kind: String, name: String, object: JSONValue? = nil, primaryMinReplicas: Int32? = nil,
                primaryMaxReplicas: Int32? = nil, primaryQueries: [String: String]? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.object = object
        self.primaryMinReplicas = primaryMinReplicas
        self.primaryMaxReplicas = primaryMaxReplicas
        self.primaryQueries = primaryQueries
    }

    public var isScaledObject: Bool { kind == "ScaledObject" }
}
