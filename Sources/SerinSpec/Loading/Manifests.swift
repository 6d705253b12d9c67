/// Everything read from a set of manifest files, with the problems found.
public struct Manifests: Sendable {
    public var workloads: [Workload] = []
    public var canaries: [Canary] = []
    public var metricTemplates: [MetricTemplate] = []
    public var alertProviders: [AlertProvider] = []
    public var strategies: [Strategy] = []
    public var plain: [PlainManifest] = []
    /// Every document read, of every kind, as written, in the order read:
    /// what is applied to a cluster and hashed into revisions, so the
    /// object validated is the object applied.
    public var objects: [ManifestObject] = []
    public var diagnostics: [Diagnostic] = []
    /// Files read, in the order read.
    public var files: [String] = []

    public init() {}

    public var resourceCount: Int {
        workloads.count + canaries.count + metricTemplates.count + alertProviders.count + strategies.count + plain.count
    }

    /// Resources by kind, for summaries (`Canary: 3`).
    public var countsByKind: [String: Int] {
        var counts: [String: Int] = [:]
        for kind in workloads.map(\.kind) + canaries.map(\.kind) + metricTemplates.map(\.kind)
            + alertProviders.map(\.kind) + strategies.map(\.kind) + plain.map(\.kind) {
            counts[kind, default: 0] += 1
        }
        return counts
    }

    public var isValid: Bool { !diagnostics.hasErrors }

    public mutating func append(contentsOf other: Manifests) {
        workloads += other.workloads
        canaries += other.canaries
        metricTemplates += other.metricTemplates
        alertProviders += other.alertProviders
        strategies += other.strategies
        plain += other.plain
        objects += other.objects
        diagnostics += other.diagnostics
        files += other.files
    }
}

/// One document of a manifest, whole, with where each of its fields was written.
public struct ManifestObject: Sendable {
    public var value: JSONValue
    public var source: SourceMap

    public init(value: JSONValue, source: SourceMap) {
        self.value = value
        self.source = source
    }

    public var apiVersion: String { value["apiVersion"]?.stringValue ?? "" }
    public var kind: String { value["kind"]?.stringValue ?? "" }
    public var name: String { value["metadata"]?["name"]?.stringValue ?? "" }
    /// As written: nil when the document names no namespace.
    public var namespace: String? { value["metadata"]?["namespace"]?.stringValue }

    /// Serin's own kinds (`Workload`, `Strategy`, ...) describe what Serin
    /// does; they have no place in a cluster.
    public var isSerinOwn: Bool { apiVersion.hasPrefix(APIGroup.serin + "/") }
}
