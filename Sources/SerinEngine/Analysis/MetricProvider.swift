/// Where metric values come from. The engine asks; adapters (Prometheus)
/// answer.
public protocol MetricProvider: Sendable {
    /// Runs an instant query; a query that returns nothing is `.noData`.
    func query(_ query: String) async throws -> MetricSample
}

public enum MetricSample: Sendable, Equatable {
    case value(Double)
    /// An empty result, or NaN: there is nothing to judge yet.
    case noData
}

/// One metric judged at one tick: kept in a bounded history per rollout for
/// the API and the CLI.
public struct MetricEvaluation: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        case pass, fail, noData, error
        /// There is data, but too little to tell pass from fail with
        /// confidence: the release holds (the progress deadline applies).
        case undecided
    }

    public var metric: String
    /// The query exactly as sent.
    public var query: String
    public var value: Double?
    public var min: Double?
    public var max: Double?
    public var verdict: Verdict
    /// Why, for people: the value against its range, or the error.
    public var message: String
    /// Seconds on the owner's clock.
    public var time: Double
    /// For a check judged on counts (the built-in success rate): the
    /// requests in the window, and the confidence interval of the value.
    public var requests: Double?
    public var lower: Double?
    public var upper: Double?

    public init(metric: String, query: String, value: Double?, min: Double?, max: Double?, verdict: Verdict, message: String, time: Double,
                requests: Double? = nil, lower: Double? = nil, upper: Double? = nil) {
        self.metric = metric
        self.query = query
        self.value = value
        self.min = min
        self.max = max
        self.verdict = verdict
        self.message = message
        self.time = time
        self.requests = requests
        self.lower = lower
        self.upper = upper
    }
}
