/// An object the apiserver stores: something with `metadata`. Typed
/// resources and `KubeObject` (any kind, untyped) both are.
public protocol KubeAPIObject: Codable, Sendable {
    var metadata: ObjectMeta { get set }

    /// Called on every object read from a list or a watch, whose items may
    /// come without `apiVersion` and `kind`.
    mutating func adopt(_ resourceKind: ResourceKind)
}

extension KubeAPIObject {
    public mutating func adopt(_ resourceKind: ResourceKind) {}
}

/// A typed resource whose place in the API is known at compile time.
/// Its Swift value holds neither `apiVersion` nor `kind`: the client writes
/// them from `resourceKind` (list items come without them anyway).
public protocol KubeResource: KubeAPIObject {
    static var resourceKind: ResourceKind { get }
}

extension KubeResource {
    public static var apiVersion: String { resourceKind.apiVersion }
    public static var kind: String { resourceKind.kind }
    public static var plural: String { resourceKind.plural }
    public static var namespaced: Bool { resourceKind.namespaced }
}

extension KubeAPIObject {
    /// "namespace/name", or "name" for a cluster-scoped object: the key of caches.
    public var key: ObjectKey { ObjectKey(namespace: metadata.namespace, name: metadata.name ?? "") }
}
