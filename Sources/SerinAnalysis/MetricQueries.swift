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

        public init(name: String, namespace: String, target: String, service: String? = nil, ingress: String = "", route: String = "") {
            self.name = name
            self.namespace = namespace
            self.target = target
            self.service = service ?? target
            self.ingress = ingress
            self.route = route
        }
    }

    public struct RenderError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Percent of the canary's requests not answered 5xx.
    public static let requestSuccessRate = """
    sum(rate(serin_router_requests_total{workload="{{ target }}",role="canary",code!~"5.."}[{{ interval }}])) \
    / sum(rate(serin_router_requests_total{workload="{{ target }}",role="canary"}[{{ interval }}])) * 100
    """

    /// The canary's 99th percentile latency, in milliseconds.
    public static let requestDuration = """
    histogram_quantile(0.99, sum(rate(serin_router_request_duration_seconds_bucket{workload="{{ target }}",role="canary"}[{{ interval }}])) by (le)) * 1000
    """

    public static func builtin(_ name: String) -> String? {
        switch name {
        case "request-success-rate": return requestSuccessRate
        case "request-duration": return requestDuration
        default: return nil
        }
    }

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
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            let close = rest[open.upperBound...].range(of: "}}")!
            var body = Substring(rest[open.upperBound..<close.lowerBound])
            if body.hasPrefix("-") { body = body.dropFirst() }
            if body.hasSuffix("-") { body = body.dropLast() }
            let name = body.trimmingCharacters(in: .whitespaces)
            output += try value(of: name, metric: metric, context: context, interval: interval, variables: variables)
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    private static func value(of name: String, metric: String, context: Context, interval: String, variables: [String: String]) throws -> String {
        switch name {
        case "name": return context.name
        case "namespace": return context.namespace
        case "target": return context.target
        case "service": return context.service
        case "ingress": return context.ingress
        case "route": return context.route
        case "interval": return interval
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
