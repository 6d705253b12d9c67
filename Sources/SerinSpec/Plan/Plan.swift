/// A Canary compiled into an explicit list of steps. Flagger fields, built-in
/// strategies and `analysis.steps` are all ways to write one; the rollout
/// engine runs nothing else.
public struct Plan: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var strategy: ReleaseKind
    public var strategyRef: String?
    public var interval: Duration
    public var threshold: Int
    public var skipAnalysis: Bool
    public var progressDeadline: Duration
    public var steps: [PlanStep]
    public var metrics: [PlanMetric]
    public var webhooks: [PlanWebhook]
    public var alerts: [PlanAlert] = []
    /// Clients that reached the canary keep reaching it (Flagger's
    /// `analysis.sessionAffinity`); routers carry it out.
    public var sessionAffinity: PlanSessionAffinity?
    /// Flagger's `spec.suspend`: the rollout stands still (no step, no
    /// promotion, no rollback) until it is cleared. Not part of the plan's
    /// digest: suspending and resuming does not restart the analysis.
    public var suspended = false
    /// Flagger's `spec.metricsServer`: the Prometheus of the built-in
    /// metrics and inline queries, instead of the operator's.
    public var metricsServer: String?

    public init(name: String, namespace: String = ResourceKey.defaultNamespace, strategy: ReleaseKind = .canary,
                strategyRef: String? = nil, interval: Duration = .seconds(60), threshold: Int = 1, skipAnalysis: Bool = false,
                progressDeadline: Duration = .seconds(600), steps: [PlanStep], metrics: [PlanMetric] = [], webhooks: [PlanWebhook] = []) {
        self.name = name
        self.namespace = namespace
        self.strategy = strategy
        self.strategyRef = strategyRef
        self.interval = interval
        self.threshold = threshold
        self.skipAnalysis = skipAnalysis
        self.progressDeadline = progressDeadline
        self.steps = steps
        self.metrics = metrics
        self.webhooks = webhooks
    }

    /// Ticks of analysis the plan runs when every check passes.
    public var analysisTicks: Int {
        steps.reduce(0) { total, step in
            if case .analyze(let ticks) = step { return total + ticks }
            return total
        }
    }

    public var pauses: Duration {
        steps.reduce(.zero) { total, step in
            if case .pause(let duration) = step { return total + duration }
            return total
        }
    }

    public var hasManualGate: Bool {
        steps.contains { if case .gate = $0 { return true } else { return false } }
            || webhooks.contains { $0.type == .confirmRollout || $0.type == .confirmPromotion || $0.type == .confirmTrafficIncrease }
    }

    /// From the start of analysis to promotion when every check passes.
    public var bestTimeToPromotion: Duration {
        interval * analysisTicks + pauses
    }

    /// The longest a release can take and still be promoted: up to
    /// `threshold - 1` failed checks are retried before a rollback. nil when
    /// a person or a confirm webhook has to act.
    public var worstTimeToPromotion: Duration? {
        guard !hasManualGate else { return nil }
        return bestTimeToPromotion + interval * max(0, skipAnalysis ? 0 : threshold - 1)
    }

    /// The highest canary weight any step sets.
    public var peakWeight: Int {
        steps.reduce(0) { peak, step in
            if case .setWeight(let weight) = step { return max(peak, weight) }
            return peak
        }
    }

    /// The canary weights in order, for comparing with Flagger's schedule.
    public var weights: [Int] {
        steps.compactMap { if case .setWeight(let weight) = $0 { return weight } else { return nil } }
    }
}

public enum PlanStep: Sendable, Hashable {
    /// Send this percentage of traffic to the canary.
    case setWeight(Int)
    /// Run the checks at each interval until this many pass.
    case analyze(ticks: Int)
    /// Hold for a while without checking.
    case pause(Duration)
    /// Wait for `serin promote`.
    case gate(name: String)
    /// Copy this percentage of requests to the canary; answers are discarded.
    case mirror(weight: Int)
    /// Send requests matching these conditions to the canary (A/B testing).
    case match([HTTPMatchRequest])
    /// The canary's revision becomes the primary's. Traffic then returns to
    /// the primary at once, or through these primary weights
    /// (stepWeightPromotion).
    case promote(primaryWeights: [Int])
}

public struct PlanMetric: Sendable, Hashable, Encodable {
    public enum Source: Sendable, Hashable, Encodable {
        case builtin
        case template(namespace: String, name: String)
        case query(String)
    }

    public var name: String
    public var source: Source
    public var thresholdRange: ThresholdRange?
    public var interval: String
    public var onNoData: NoDataPolicy
    /// `{{ variables.X }}` values for a template.
    public var templateVariables: [String: String] = [:]

    public init(name: String, source: Source, thresholdRange: ThresholdRange?, interval: String, onNoData: NoDataPolicy,
                templateVariables: [String: String] = [:]) {
        self.name = name
        self.source = source
        self.thresholdRange = thresholdRange
        self.interval = interval
        self.onNoData = onNoData
        self.templateVariables = templateVariables
    }

    enum CodingKeys: String, CodingKey { case name, template, thresholdRange, interval, onNoData }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if case .template(let namespace, let name) = source {
            try container.encode("\(namespace)/\(name)", forKey: .template)
        }
        try container.encodeIfPresent(thresholdRange, forKey: .thresholdRange)
        try container.encode(interval, forKey: .interval)
        try container.encode(onNoData, forKey: .onNoData)
    }
}

public struct PlanWebhook: Sendable, Hashable, Encodable {
    public var name: String
    public var type: WebhookType
    public var url: String
    /// Each attempt gets this long (Flagger's default: 10s).
    public var timeout: Duration
    /// Attempts after the first, on a connection error or a 5xx.
    public var retries: Int
    public var metadata: [String: String]
    public var muteAlert: Bool
    /// The hook's TLS certificate is not verified.
    public var disableTLS = false

    public init(name: String, type: WebhookType, url: String, timeout: Duration = .seconds(10), retries: Int = 0,
                metadata: [String: String] = [:], muteAlert: Bool = false, disableTLS: Bool = false) {
        self.disableTLS = disableTLS
        self.name = name
        self.type = type
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.metadata = metadata
        self.muteAlert = muteAlert
    }

    enum CodingKeys: String, CodingKey { case name, type, url }
}

/// A cookie pins a client to the side it reached.
public struct PlanSessionAffinity: Sendable, Hashable, Codable {
    public var cookieName: String
    public var primaryCookieName: String?
    /// Seconds; Flagger's default is a day.
    public var maxAge: Int

    public init(cookieName: String, primaryCookieName: String? = nil, maxAge: Int = 86_400) {
        self.cookieName = cookieName
        self.primaryCookieName = primaryCookieName
        self.maxAge = maxAge
    }
}

/// Where a Canary's notifications go, and from which severity on.
public struct PlanAlert: Sendable, Hashable, Encodable {
    public var name: String
    public var severity: AlertSeverity
    public var providerNamespace: String
    public var providerName: String

    public init(name: String, severity: AlertSeverity, providerNamespace: String, providerName: String) {
        self.name = name
        self.severity = severity
        self.providerNamespace = providerNamespace
        self.providerName = providerName
    }
}
