import SerinSpec

/// The PromQL behind each metric: Serin's built-in ones over the router's
/// own metrics, and MetricTemplates rendered with Flagger's variables.
public enum MetricQueries {
    /// What a template may refer to.
    public struct Context: Sendable {
        /// The Canary's name and namespace.
        public var name: String
        public var namespace: String
        /// The workload the Canary releases (`targetRef.name`).
        public var target: String
        /// The service name (defaults to the target).
        public var service: String
        public var ingress: String
        public var route: String
        /// The revisions on each side: the canary's is the one being judged.
        public var canaryRevision: String
        public var primaryRevision: String
        /// The canary revision's pods' pod-template-hash, when known.
        public var podTemplateHash: String

        public init(name: String, namespace: String, target: String, service: String? = nil, ingress: String = "", route: String = "",
                    canaryRevision: String = "", primaryRevision: String = "", podTemplateHash: String = "") {
            self.podTemplateHash = podTemplateHash
            self.name = name
            self.namespace = namespace
            self.target = target
            self.service = service ?? target
            self.ingress = ingress
            self.route = route
            self.canaryRevision = canaryRevision
            self.primaryRevision = primaryRevision
        }
    }

    /// The labels of the app pods' series in Prometheus.
    public struct PodLabels: Sendable, Equatable {
        public var namespace: String
        public var pod: String
        /// The label holding the pod's `pod-template-hash`, when the scrape config keeps it.
        public var podTemplateHash: String?

        public init(namespace: String, pod: String, podTemplateHash: String? = nil) {
            self.namespace = namespace
            self.pod = pod
            self.podTemplateHash = podTemplateHash
        }

        /// Flagger's own Prometheus (`kubernetes_namespace`, `kubernetes_pod_name`).
        public static let flagger = PodLabels(namespace: "kubernetes_namespace", pod: "kubernetes_pod_name")
        public static let kubePrometheus = PodLabels(namespace: "namespace", pod: "pod")
    }

    /// Not a template variable users write: the built-in queries' own, the
    /// canary revision's pod-template-hash.
    static let podTemplateHashVariable = "serin_canary_pod_template_hash"

    public struct RenderError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The queries behind the built-in metrics, which differ by where the
    /// requests are counted: Serin's router on the local platform, the
    /// app's own `http_request_duration_seconds` per pod on Kubernetes
    /// (gatewayapi and kubernetes providers), NGINX's series for nginx.
    public struct Builtins: Sendable, Equatable {
        /// The canary's requests in the window; with `requestErrors`, the
        /// counts the built-in success rate is judged on.
        public var requestCount: String
        /// The canary's 5xx answers in the window (0 when there is none).
        public var requestErrors: String
        public var requestSuccessRate: String
        /// The canary's 99th percentile latency, in milliseconds.
        public var requestDuration: String

        public func query(_ name: String) -> String? {
            switch name {
            case "request-success-rate": requestSuccessRate
            case "request-duration": requestDuration
            default: nil
            }
        }

        public static let router = Builtins(requestCount: MetricQueries.requestCount, requestErrors: MetricQueries.requestErrors,
                                            requestSuccessRate: MetricQueries.requestSuccessRate, requestDuration: MetricQueries.requestDuration)

        /// The canary's pods as Flagger's HttpObserver selects them
        /// (`<target>-<hash>-<id>`, never `<target>-primary-...`), by the
        /// labels Prometheus gives the pods' series (Flagger's scrape config:
        /// `kubernetes_namespace`, `kubernetes_pod_name`); and, when the series
        /// carry it, the canary revision's pod-template-hash.
        /// A DaemonSet's pods are `<target>-<id>`: Flagger's pattern (two
        /// parts after the name) would match its primary's pods instead.
        public static func kubernetesPods(_ labels: PodLabels, daemonSet: Bool = false) -> Builtins {
            let pattern = daemonSet ? "{{ target }}-[0-9a-zA-Z]+" : "{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
            var pods = "\(labels.namespace)=\"{{ namespace }}\",\(labels.pod)=~\"\(pattern)\""
            if let hash = labels.podTemplateHash { pods += ",\(hash)=\"{{ \(MetricQueries.podTemplateHashVariable) }}\"" }
            return Builtins(
                requestCount: "sum(increase(http_request_duration_seconds_count{\(pods)}[{{ interval }}]))",
                requestErrors: "sum(increase(http_request_duration_seconds_count{\(pods),status=~\"5..\"}[{{ interval }}])) or vector(0)",
                requestSuccessRate: "sum(rate(http_request_duration_seconds_count{\(pods),status!~\"5..\"}[{{ interval }}])) "
                    + "/ sum(rate(http_request_duration_seconds_count{\(pods)}[{{ interval }}])) * 100",
                requestDuration: "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{\(pods)}[{{ interval }}])) by (le)) * 1000")
        }

        /// kube-prometheus' labels (`namespace`, `pod`).
        public static let kubernetesPods = kubernetesPods(.kubePrometheus)

        /// ingress-nginx's series of the canary Ingress (`canary!=""`).
        public static let nginx: Builtins = {
            let canary = #"namespace="{{ namespace }}",ingress="{{ ingress }}",canary!="""#
            return Builtins(
                requestCount: "sum(increase(nginx_ingress_controller_requests{\(canary)}[{{ interval }}]))",
                requestErrors: "sum(increase(nginx_ingress_controller_requests{\(canary),status=~\"5.*\"}[{{ interval }}])) or vector(0)",
                requestSuccessRate: "sum(rate(nginx_ingress_controller_requests{\(canary),status!~\"5.*\"}[{{ interval }}])) "
                    + "/ sum(rate(nginx_ingress_controller_requests{\(canary)}[{{ interval }}])) * 100",
                requestDuration: "histogram_quantile(0.99, sum(rate(nginx_ingress_controller_request_duration_seconds_bucket{\(canary)}[{{ interval }}])) by (le)) * 1000")
        }()
    }

    /// The canary revision's requests in the window: with `requestErrors`,
    /// the counts the built-in success rate is judged on (a sample, with a
    /// confidence interval), not a ratio.
    public static let requestCount = """
    sum(increase(serin_router_requests_total{workload="{{ target }}",role="canary",revision="{{ revision }}"}[{{ interval }}]))
    """

    /// The canary revision's 5xx answers in the window (0 when there is none).
    public static let requestErrors = """
    sum(increase(serin_router_requests_total{workload="{{ target }}",role="canary",revision="{{ revision }}",code=~"5.."}[{{ interval }}])) or vector(0)
    """

    /// Percent of the canary revision's requests not answered 5xx, as a
    /// ratio: what the counts above make, for people and dashboards.
    public static let requestSuccessRate = """
    sum(rate(serin_router_requests_total{workload="{{ target }}",role="canary",revision="{{ revision }}",code!~"5.."}[{{ interval }}])) \
    / sum(rate(serin_router_requests_total{workload="{{ target }}",role="canary",revision="{{ revision }}"}[{{ interval }}])) * 100
    """

    /// The canary revision's 99th percentile latency, in milliseconds.
    public static let requestDuration = """
    histogram_quantile(0.99, sum(rate(serin_router_request_duration_seconds_bucket{workload="{{ target }}",role="canary",revision="{{ revision }}"}[{{ interval }}])) by (le)) * 1000
    """

    /// Fills a query's `{{ ... }}` placeholders. A variable the metric does
    /// not give is an error, never an empty string in PromQL.
    public static func render(_ template: String, metric: String, context: Context, interval: String,
                              variables: [String: String]) throws -> String {
        switch MetricQuery.placeholders(in: template) {
        case .failure(let problem):
            throw RenderError(message: "metric \(metric): the query \(problem.message)")
        case .success:
            break
        }
        let bytes = Array(template.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        var index = 0
        while let open = bytes.indexOfPair(UInt8(ascii: "{"), from: index), let close = bytes.indexOfPair(UInt8(ascii: "}"), from: open + 2) {
            output += bytes[index..<open]
            var start = open + 2, end = close
            if start < end, bytes[start] == UInt8(ascii: "-") { start += 1 }
            if start < end, bytes[end - 1] == UInt8(ascii: "-") { end -= 1 }
            while start < end, bytes[start] == UInt8(ascii: " ") { start += 1 }
            while start < end, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            output += try value(of: name, metric: metric, context: context, interval: interval, variables: variables).utf8
            index = close + 2
        }
        output += bytes[index...]
        return String(decoding: output, as: UTF8.self)
    }

    private static func value(of name: String, metric: String, context: Context, interval: String, variables: [String: String]) throws -> String {
        switch name {
        case "name": return context.name
        case "namespace": return context.namespace
        case "target": return context.target
        case "service": return context.service
        case "ingress": return context.ingress
        case "route": return context.route
        case "revision", "canary_revision": return context.canaryRevision
        case "primary_revision": return context.primaryRevision
        case "interval": return interval
        case podTemplateHashVariable: return context.podTemplateHash
        default:
            if name.hasPrefix("variables.") {
                let key = String(name.dropFirst("variables.".count))
                guard let value = variables[key] else {
                    throw RenderError(message: "metric \(metric): the query uses {{ \(name) }} but templateVariables has no \(key)")
                }
                return value
            }
            throw RenderError(message: "metric \(metric): the query uses {{ \(name) }}, which Serin cannot fill")
        }
    }
}

import Foundation
