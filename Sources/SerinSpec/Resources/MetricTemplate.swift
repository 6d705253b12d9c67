/// A named query (Flagger's MetricTemplate).
public struct MetricTemplateSpec: Sendable, Hashable, Decodable {
    public var provider: MetricProviderSpec?
    public var query: String?
}

public struct MetricProviderSpec: Sendable, Hashable, Decodable {
    public var type: String?
    public var address: String?
    public var secretRef: NameReference?
    public var region: String?
    public var insecureSkipVerify: Bool?
}

/// Metric providers Flagger knows; Serin queries Prometheus.
public enum MetricProviderType: String, Sendable, CaseIterable {
    case prometheus, influxdb, datadog, cloudwatch, newrelic, graphite, stackdriver, dynatrace, keptn, splunk, skywalking
}
