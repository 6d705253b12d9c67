import SerinSpec

/// `namespace/name` of a workload a platform runs: a local `Workload`, a
/// Kubernetes `Deployment`.
public struct WorkloadID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String = ResourceKey.defaultNamespace, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `namespace/name`, or a bare `name` in the default namespace.
    public init(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        if parts.count == 2 {
            self.init(namespace: String(parts[0]), name: String(parts[1]))
        } else {
            self.init(name: text)
        }
    }

    public var description: String { "\(namespace)/\(name)" }

    public static func < (lhs: WorkloadID, rhs: WorkloadID) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// The two sides of a release.
public enum WorkloadRole: String, Sendable, Codable, Hashable, CaseIterable {
    case primary
    case canary
}
