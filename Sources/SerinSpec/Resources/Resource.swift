/// Where each field of one document was written.
public struct SourceMap: Sendable {
    public var file: String
    /// Where the document starts.
    public var document: SourcePosition
    var positions: [String: SourcePosition]

    public init(file: String, document: SourcePosition, positions: [String: SourcePosition] = [:]) {
        self.file = file
        self.document = document
        self.positions = positions
    }

    /// The position of a field path such as `spec.analysis.stepWeight`, or of
    /// its nearest written ancestor when the field itself is absent.
    public func position(_ path: String) -> SourcePosition {
        var path = Substring(path)
        while !path.isEmpty {
            if let position = positions[String(path)] { return position }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = path[..<cut]
        }
        return document
    }

    /// True when the path was written in the document.
    public func contains(_ path: String) -> Bool { positions[path] != nil }
}

/// One typed resource read from a manifest.
public struct Resource<Spec: Sendable>: Sendable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: Spec
    public var source: SourceMap

    public init(apiVersion: String, kind: String, metadata: ObjectMeta, spec: Spec, source: SourceMap) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.source = source
    }

    public var name: String { metadata.name ?? "" }
    /// Resources without a namespace live in `default`, as with kubectl.
    public var namespace: String { metadata.namespace ?? ResourceKey.defaultNamespace }
    public var key: ResourceKey { ResourceKey(kind: kind, namespace: namespace, name: name) }

    /// `web.yaml:3:9`-style position of a field, for messages.
    public func position(_ path: String) -> SourcePosition { source.position(path) }
}

public typealias Workload = Resource<WorkloadSpec>
public typealias Canary = Resource<CanarySpec>
public typealias MetricTemplate = Resource<MetricTemplateSpec>
public typealias AlertProvider = Resource<AlertProviderSpec>
public typealias Strategy = Resource<StrategySpec>

/// A document of another kind (Deployment, Service, HPA, ...), kept whole for
/// the Kubernetes platform.
public typealias PlainManifest = Resource<JSONValue>

public struct ResourceKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let defaultNamespace = "default"
    public var kind: String
    public var namespace: String
    public var name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(kind) \(namespace)/\(name)" }

    public static func < (lhs: ResourceKey, rhs: ResourceKey) -> Bool {
        (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
    }
}

extension Canary {
    /// Flagger's apiVersion, as opposed to Serin's own.
    public var isFlagger: Bool { apiVersion.hasPrefix(APIGroup.flagger + "/") }
}
