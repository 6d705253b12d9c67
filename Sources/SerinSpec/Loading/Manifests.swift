/// Everything read from a set of manifest files, with the problems found.
public struct Manifests: Sendable {
    public var workloads: [Workload] = []
    public var canaries: [Canary] = []
    public var metricTemplates: [MetricTemplate] = []
    public var alertProviders: [AlertProvider] = []
    public var strategies: [Strategy] = []
    public var plain: [PlainManifest] = []
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
        diagnostics += other.diagnostics
        files += other.files
    }
}
