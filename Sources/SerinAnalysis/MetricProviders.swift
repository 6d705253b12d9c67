import Foundation
import SerinEngine
import SerinHTTP
import SerinSpec

/// The Secrets that MetricTemplates and AlertProviders name in
/// `secretRef`, by namespace and name, as decoded bytes per key. The
/// Kubernetes platform reads them from the cluster; the local platform has none.
public protocol SecretReader: Sendable {
    /// nil when there is no such Secret.
    func secret(_ name: String, namespace: String) async throws -> [String: Data]?
}

/// Makes the provider a MetricTemplate names, as Flagger's provider factory
/// does, with its credentials read from its Secret.
public struct MetricProviders: Sendable {
    public var defaultPrometheus: URL?
    public var secrets: (any SecretReader)?
    public var timeout: Duration
    /// `outbound.allowedHosts`: a template's address (or a Canary's
    /// metricsServer) outside it is refused; the default Prometheus is serin.yaml's.
    public var policy: OutboundPolicy

    public init(defaultPrometheus: URL?, secrets: (any SecretReader)?, timeout: Duration = .seconds(5), policy: OutboundPolicy = OutboundPolicy()) {
        self.defaultPrometheus = defaultPrometheus
        self.secrets = secrets
        self.timeout = timeout
        self.policy = policy
    }

    /// For `MetricEvaluator(providers:)`.
    public var factory: MetricEvaluator.Providers {
        { spec, namespace, metric, metricsServer in try await make(spec, namespace: namespace, interval: metric.interval, metricsServer: metricsServer) }
    }

    public func make(_ spec: MetricProviderSpec?, namespace: String, interval: String, metricsServer: String? = nil) async throws -> any MetricProvider {
        let type = spec?.type ?? "prometheus"
        for address in [spec?.address, metricsServer].compactMap({ $0 }) {
            if let refusal = policy.refusal(for: address) { throw MetricProviderError("\(type) at \(address) not queried: \(refusal)") }
        }
        let credentials = try await self.credentials(spec, namespace: namespace, type: type)
        let headers = (spec?.headers ?? [:]).sorted { $0.key < $1.key }.flatMap { name, values in values.map { (name, $0) } }
        let options = HTTPExchange.Options(verifiesCertificates: spec?.insecureSkipVerify != true)
        let window = GoDuration.parse(interval) ?? .seconds(60)
        func need(_ key: String) throws -> String {
            guard let value = credentials?[key] else {
                throw MetricProviderError("\(type): Secret \(namespace)/\(spec?.secretRef?.name ?? "") has no key \(key)")
            }
            return value
        }
        switch type {
        case "prometheus":
            guard let url = (spec?.address ?? metricsServer).flatMap(URL.init(string:)) ?? defaultPrometheus else {
                throw MetricProviderError("no Prometheus address: the template names none and the operator has no default")
            }
            var authorization: String?
            if let credentials {
                if let token = credentials["token"] {
                    authorization = "Bearer " + token
                } else {
                    authorization = "Basic " + Data("\(try need("username")):\(try need("password"))".utf8).base64EncodedString()
                }
            }
            return PrometheusClient(address: url, timeout: timeout, authorization: authorization, headers: headers, options: options)
        case "datadog":
            return DatadogClient(address: spec?.address, apiKey: try need("datadog_api_key"), applicationKey: try need("datadog_application_key"),
                                 interval: window, headers: headers, options: options)
        case "newrelic":
            return NewRelicClient(address: spec?.address, accountID: try need("newrelic_account_id"), queryKey: try need("newrelic_query_key"),
                                  interval: window, headers: headers, options: options)
        case "graphite":
            guard let address = spec?.address else { throw MetricProviderError("graphite needs provider.address") }
            let login = credentials == nil ? nil : (username: try need("username"), password: try need("password"))
            return GraphiteClient(address: address, credentials: login, headers: headers, options: options)
        case "influxdb":
            guard let address = spec?.address else { throw MetricProviderError("influxdb needs provider.address") }
            return InfluxDBClient(address: address, token: credentials == nil ? nil : try need("token"),
                                  organization: credentials == nil ? nil : try need("org"), headers: headers, options: options)
        default:
            throw MetricProviderError("provider \(type) is not one Serin queries (\(FlaggerFields.queriedProviders.joined(separator: ", ")))")
        }
    }

    /// The Secret's keys as text; nil without a secretRef.
    private func credentials(_ spec: MetricProviderSpec?, namespace: String, type: String) async throws -> [String: String]? {
        guard let name = spec?.secretRef?.name else { return nil }
        guard let secrets else {
            throw MetricProviderError("\(type): the template's secretRef names Secret \(name), which only the kubernetes platform can read")
        }
        guard let data = try await secrets.secret(name, namespace: namespace) else {
            throw MetricProviderError("\(type): Secret \(namespace)/\(name), which the template's secretRef names, does not exist")
        }
        return data.mapValues { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}
