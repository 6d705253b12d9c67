/// `spec.analysis` (or the deprecated `spec.canaryAnalysis`): Flagger's
/// fields, plus Serin's explicit `steps`. Every field is optional here;
/// defaults are applied when the plan is compiled, so a Strategy can fill
/// what a Canary leaves out.
public struct CanaryAnalysis: Sendable, Hashable, Decodable {
    public var interval: String?
    public var iterations: Int?
    public var mirror: Bool?
    public var mirrorWeight: Int?
    public var maxWeight: Int?
    public var stepWeight: Int?
    public var stepWeights: [Int]?
    public var stepWeightPromotion: Int?
    public var threshold: Int?
    public var primaryReadyThreshold: Int?
    public var canaryReadyThreshold: Int?
    public var alerts: [CanaryAlert]?
    public var metrics: [CanaryMetric]?
    public var webhooks: [CanaryWebhook]?
    public var match: [HTTPMatchRequest]?
    public var sessionAffinity: SessionAffinity?
    /// Serin: an explicit step program, Argo Rollouts style.
    public var steps: [StepSpec]?

    public init() {}

    /// Fields set here win; the rest come from `defaults` (a Strategy).
    public func overriding(_ defaults: CanaryAnalysis) -> CanaryAnalysis {
        var merged = self
        merged.interval = interval ?? defaults.interval
        merged.iterations = iterations ?? defaults.iterations
        merged.mirror = mirror ?? defaults.mirror
        merged.mirrorWeight = mirrorWeight ?? defaults.mirrorWeight
        merged.maxWeight = maxWeight ?? defaults.maxWeight
        merged.stepWeight = stepWeight ?? defaults.stepWeight
        merged.stepWeights = stepWeights ?? defaults.stepWeights
        merged.stepWeightPromotion = stepWeightPromotion ?? defaults.stepWeightPromotion
        merged.threshold = threshold ?? defaults.threshold
        merged.primaryReadyThreshold = primaryReadyThreshold ?? defaults.primaryReadyThreshold
        merged.canaryReadyThreshold = canaryReadyThreshold ?? defaults.canaryReadyThreshold
        merged.alerts = alerts ?? defaults.alerts
        merged.metrics = metrics ?? defaults.metrics
        merged.webhooks = webhooks ?? defaults.webhooks
        merged.match = match ?? defaults.match
        merged.sessionAffinity = sessionAffinity ?? defaults.sessionAffinity
        merged.steps = steps ?? defaults.steps
        return merged
    }
}

public struct SessionAffinity: Sendable, Hashable, Codable {
    public var cookieName: String?
    public var primaryCookieName: String?
    public var maxAge: Int?
    /// The cookie's attributes, as Flagger writes them in `Set-Cookie`.
    public var domain: String?
    public var httpOnly: Bool?
    public var partitioned: Bool?
    public var path: String?
    public var sameSite: String?
    public var secure: Bool?

    public init() {}
}

public struct CanaryMetric: Sendable, Hashable, Decodable {
    public var name: String?
    public var interval: String?
    /// Deprecated in Flagger: an upper bound, replaced by thresholdRange.max.
    public var threshold: Double?
    public var thresholdRange: ThresholdRange?
    /// Deprecated in Flagger: an inline Prometheus query, replaced by templateRef.
    public var query: String?
    public var templateRef: CrossNamespaceObjectReference?
    public var templateVariables: [String: String]?
    /// Serin: what a tick with no data counts as.
    public var onNoData: NoDataPolicy?
}

public enum NoDataPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    case hold
    case fail
    case pass
}

public struct ThresholdRange: Sendable, Hashable, Codable {
    public var min: Double?
    public var max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }
}

public struct CanaryWebhook: Sendable, Hashable, Decodable {
    public var type: String?
    public var name: String?
    public var url: String?
    public var muteAlert: Bool?
    public var timeout: String?
    public var metadata: [String: String]?
    public var retries: Int?
    /// The webhook's TLS certificate is not verified.
    public var disableTLS: Bool?
}

/// Flagger's webhook types, in the order a release meets them.
public enum WebhookType: String, Sendable, Hashable, Codable, CaseIterable {
    case confirmRollout = "confirm-rollout"
    case preRollout = "pre-rollout"
    case rollout
    case confirmTrafficIncrease = "confirm-traffic-increase"
    case confirmPromotion = "confirm-promotion"
    case postRollout = "post-rollout"
    case rollback
    case event
}

public struct CanaryAlert: Sendable, Hashable, Decodable {
    public var name: String?
    public var severity: String?
    public var providerRef: CrossNamespaceObjectReference?
}

public enum AlertSeverity: String, Sendable, Hashable, Codable, CaseIterable {
    case info
    case warn
    case error
}
