import SerinSpec
/// apiextensions.k8s.io/v1 CustomResourceDefinition: enough to create one
/// and to wait until it is served. The versions (with their schemas) stay raw.
public struct CustomResourceDefinition: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
                                                  plural: "customresourcedefinitions", namespaced: false)

    public struct Names: Codable, Sendable, Hashable {
        public var kind: String
        public var plural: String
        public var singular: String?
        public var listKind: String?
        public var shortNames: [String]?
        public var categories: [String]?
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var group: String
        public var names: Names
        /// "Namespaced" or "Cluster".
        public var scope: String
        public var versions: [JSONValue]
    }

    public struct Status: Codable, Sendable, Hashable {
        public var conditions: [KubeCondition]?
        public var acceptedNames: Names?
        public var storedVersions: [String]?
    }

    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    /// The apiserver serves the resource (condition Established).
    public var isEstablished: Bool {
        status?.conditions?.contains { $0.type == "Established" && $0.status == "True" } ?? false
    }
}
