/// `metadata` of every resource: Kubernetes' ObjectMeta, with the fields
/// kubectl writes when a resource is exported accepted and ignored.
public struct ObjectMeta: Sendable, Decodable {
    public var name: String?
    public var namespace: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var generateName: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int?
    public var creationTimestamp: JSONValue?
    public var deletionTimestamp: JSONValue?
    public var deletionGracePeriodSeconds: Int?
    public var finalizers: [String]?
    public var ownerReferences: [JSONValue]?
    public var managedFields: [JSONValue]?
    public var selfLink: String?

    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}
