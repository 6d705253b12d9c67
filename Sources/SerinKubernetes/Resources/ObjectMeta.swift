import SerinSpec

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
    /// Who wrote the object, as read: never written back (an update that
    /// carries managedFields replaces the apiserver's record of them).
    public var managedFields: [ManagedFieldsEntry]?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
                annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }

    private enum CodingKeys: String, CodingKey {
        case name, generateName, namespace, uid, resourceVersion, generation, labels, annotations, ownerReferences, finalizers
        case creationTimestamp, deletionTimestamp, managedFields
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(generateName, forKey: .generateName)
        try container.encodeIfPresent(namespace, forKey: .namespace)
        try container.encodeIfPresent(uid, forKey: .uid)
        try container.encodeIfPresent(resourceVersion, forKey: .resourceVersion)
        try container.encodeIfPresent(generation, forKey: .generation)
        try container.encodeIfPresent(labels, forKey: .labels)
        try container.encodeIfPresent(annotations, forKey: .annotations)
        try container.encodeIfPresent(ownerReferences, forKey: .ownerReferences)
        try container.encodeIfPresent(finalizers, forKey: .finalizers)
        try container.encodeIfPresent(creationTimestamp, forKey: .creationTimestamp)
        try container.encodeIfPresent(deletionTimestamp, forKey: .deletionTimestamp)
    }

    /// The value `encode(to:)` writes, built directly (a resync builds it
    /// for every object it compares).
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if let name { members["name"] = .string(name) }
        if let generateName { members["generateName"] = .string(generateName) }
        if let namespace { members["namespace"] = .string(namespace) }
        if let uid { members["uid"] = .string(uid) }
        if let resourceVersion { members["resourceVersion"] = .string(resourceVersion) }
        if let generation { members["generation"] = .int(generation) }
        if let labels { members["labels"] = .object(labels.mapValues { .string($0) }) }
        if let annotations { members["annotations"] = .object(annotations.mapValues { .string($0) }) }
        if let ownerReferences { members["ownerReferences"] = (try? JSONValue(encoding: ownerReferences)) ?? .array([]) }
        if let finalizers { members["finalizers"] = .array(finalizers.map { .string($0) }) }
        if let creationTimestamp { members["creationTimestamp"] = .string(creationTimestamp) }
        if let deletionTimestamp { members["deletionTimestamp"] = .string(deletionTimestamp) }
        return .object(members)
    }

    /// The field managers that wrote the object.
    public var managers: Set<String> { Set(managedFields?.map(\.manager) ?? []) }
}

/// One entry of `metadata.managedFields`, without the fields themselves
/// (`fieldsV1`, the bulk of it): who wrote, how and when.
public struct ManagedFieldsEntry: Codable, Sendable, Hashable {
    public var manager: String
    /// `Apply` or `Update`.
    public var operation: String?
    public var time: String?
    /// `status` or `scale` (Kubernetes 1.22 on); nil for the main resource.
    public var subresource: String?

    public init(manager: String, operation: String? = nil, time: String? = nil, subresource: String? = nil) {
        self.manager = manager
        self.operation = operation
        self.time = time
        self.subresource = subresource
    }

    private enum CodingKeys: String, CodingKey { case manager, operation, time, subresource }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        manager = try container.decodeIfPresent(String.self, forKey: .manager) ?? ""
        operation = try container.decodeIfPresent(String.self, forKey: .operation)
        time = try container.decodeIfPresent(String.self, forKey: .time)
        subresource = try container.decodeIfPresent(String.self, forKey: .subresource)
    }
}
