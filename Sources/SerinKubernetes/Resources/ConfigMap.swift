public struct ConfigMap: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)

    public var metadata: ObjectMeta
    public var data: [String: String]?
    /// Base64, as the apiserver sends it.
    public var binaryData: [String: String]?
    public var immutable: Bool?

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }
}
