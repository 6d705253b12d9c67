import SerinSpec
/// autoscaling/v2beta2 HorizontalPodAutoscaler (the newest version a
/// Kubernetes 1.20 apiserver serves); metrics and behavior stay raw.
public struct HorizontalPodAutoscaler: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "autoscaling", version: "v2beta2", kind: "HorizontalPodAutoscaler",
                                                  plural: "horizontalpodautoscalers", namespaced: true)

    public struct TargetReference: Codable, Sendable, Hashable {
        public var apiVersion: String?
        public var kind: String
        public var name: String
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var scaleTargetRef: TargetReference
        public var minReplicas: Int32?
        public var maxReplicas: Int32
        public var metrics: JSONValue?
        public var behavior: JSONValue?
    }

    public struct Status: Codable, Sendable, Hashable {
        public var observedGeneration: Int64?
        public var currentReplicas: Int32?
        public var desiredReplicas: Int32?
        public var currentMetrics: JSONValue?
        public var conditions: [KubeCondition]?
    }

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?
}
