/// `metadata` of every object. Timestamps stay RFC 3339 strings, as the
/// apiserver writes them, so an object read and written back is unchanged.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
                annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }
}
