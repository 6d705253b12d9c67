/// A named query (Flagger's MetricTemplate).
public struct MetricTemplateSpec: Sendable, Hashable, Decodable {
    public var provider: MetricProviderSpec?
    public var query: String?

    public init(provider: MetricProviderSpec?, query: String?) {
        self.provider = provider
        self.query = query
    }
}

public struct MetricProviderSpec: Sendable, Hashable, Decodable {
    public var type: String?
    public var address: String?
    public var secretRef: NameReference?
    public var region: String?
    public var insecureSkipVerify: Bool?
    /// Sent with every query (Flagger's `http.Header`: a name takes several values).
    public var headers: [String: [String]]?

    public init(type: String?, address: String?) {
        self.type = type
        self.address = address
    }
}

/// Metric providers Flagger knows; Serin queries Prometheus.
public enum MetricProviderType: String, Sendable, CaseIterable {
    case prometheus, influxdb, datadog, cloudwatch, newrelic, graphite, stackdriver, dynatrace, keptn, splunk, skywalking, externalmetrics
}
