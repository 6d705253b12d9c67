import SerinSpec
/// core/v1 Pod: its phase, readiness and address; the spec stays raw.
public struct Pod: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)

    public struct Status: Codable, Sendable, Hashable {
        /// Pending, Running, Succeeded, Failed, Unknown.
        public var phase: String?
        public var conditions: [KubeCondition]?
        public var podIP: String?
        public var hostIP: String?
        public var startTime: String?
        public var reason: String?
        public var message: String?
    }

    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    public var isReady: Bool {
        status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
    }
}
