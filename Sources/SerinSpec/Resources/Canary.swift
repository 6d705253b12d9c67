/// `spec` of a Canary, `flagger.app/v1beta1` or `serin.dev/v1alpha1`. The
/// two share every Flagger field; `strategyRef`, `analysis.steps` and a
/// metric's `onNoData` are Serin's own.
public struct CanarySpec: Sendable, Hashable, Decodable {
    public var provider: String?
    public var metricsServer: String?
    public var targetRef: LocalObjectReference?
    public var autoscalerRef: AutoscalerReference?
    public var ingressRef: LocalObjectReference?
    public var routeRef: LocalObjectReference?
    public var upstreamRef: CrossNamespaceObjectReference?
    public var service: CanaryService?
    public var analysis: CanaryAnalysis?
    /// Deprecated alias of `analysis`.
    public var canaryAnalysis: CanaryAnalysis?
    public var progressDeadlineSeconds: Int32?
    public var skipAnalysis: Bool?
    public var revertOnDeletion: Bool?
    public var suspend: Bool?
    public var strategyRef: StrategyReference?

    /// The analysis as written, under whichever key holds it.
    public var writtenAnalysis: (key: String, analysis: CanaryAnalysis)? {
        if let analysis { return ("analysis", analysis) }
        if let canaryAnalysis { return ("canaryAnalysis", canaryAnalysis) }
        return nil
    }
}
