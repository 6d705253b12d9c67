/// A reference within the referrer's namespace (Flagger's LocalObjectReference).
public struct LocalObjectReference: Sendable, Hashable, Decodable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
}

/// A reference that may name another namespace; it defaults to the referrer's.
public struct CrossNamespaceObjectReference: Sendable, Hashable, Decodable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
}

/// Flagger's `autoscalerRef` (its Go type is spelt AutoscalerRefernce).
public struct AutoscalerReference: Sendable, Hashable, Decodable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var primaryScalerQueries: [String: String]?
    public var primaryScalerReplicas: ScalerReplicas?
}

public struct ScalerReplicas: Sendable, Hashable, Decodable {
    public var minReplicas: Int32?
    public var maxReplicas: Int32?
}

/// A Kubernetes core LocalObjectReference (`secretRef: { name: ... }`).
public struct NameReference: Sendable, Hashable, Decodable {
    public var name: String?

    public init(name: String? = nil) {
        self.name = name
    }
}
