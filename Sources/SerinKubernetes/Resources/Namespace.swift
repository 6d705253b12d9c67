public struct Namespace: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)

    public struct Status: Codable, Sendable, Hashable {
        /// "Active" or "Terminating".
        public var phase: String?
    }

    public var metadata: ObjectMeta
    public var status: Status?

    public init(name: String, labels: [String: String]? = nil) {
        metadata = ObjectMeta(name: name, labels: labels)
    }
}
