import SerinSpec
/// apps/v1 ReplicaSet: read for the `pod-template-hash` of a Deployment's revision.
public struct ReplicaSet: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", namespaced: true)

    public struct Spec: Codable, Sendable, Hashable {
        public var replicas: Int32?
        public var selector: LabelSelector?
        public var template: JSONValue?
    }

    public struct Status: Codable, Sendable, Hashable {
        public var observedGeneration: Int64?
        public var replicas: Int32?
        public var readyReplicas: Int32?
        public var availableReplicas: Int32?
    }

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public var podTemplateHash: String? { metadata.labels?["pod-template-hash"] }
}
