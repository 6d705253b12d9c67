import SerinHTTP
import Foundation
import SerinEngine

/// Prometheus's HTTP API, instant queries only, parsed strictly: a vector
/// of one series or a scalar is a value; an empty vector or NaN is no data;
/// more series than one is an error naming the query.
public struct PrometheusClient: MetricProvider {
    public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public var address: URL
    public var timeout: Duration
    /// `Authorization` header value, read from a file (bearer token or basic).
    private var authorization: String?
    /// A MetricTemplate's `provider.headers`.
    private var headers: [(String, String)] = []
    private var options: HTTPExchange.Options = .standard

    /// A MetricTemplate's Prometheus (Thanos, Mimir...): `authorization` from
    /// its Secret (`Bearer <token>` or `Basic ...`), its headers, and
    /// `insecureSkipVerify` as `options`.
    public init(address: URL, timeout: Duration = .seconds(10), authorization: String?, headers: [(String, String)],
                options: HTTPExchange.Options) {
        self.address = address
        self.timeout = timeout
        self.authorization = authorization
        self.headers = headers
        self.options = options
    }

    public init(address: URL, timeout: Duration = .seconds(10), bearerTokenFile: String? = nil,
                basicAuth: (username: String, passwordFile: String)? = nil) throws {
        self.address = address
        self.timeout = timeout
        if let file = bearerTokenFile {
            authorization = "Bearer " + (try Self.secret(file))
        } else if let basic = basicAuth {
            authorization = "Basic " + Data("\(basic.username):\(try Self.secret(basic.passwordFile))".utf8).base64EncodedString()
        }
    }

    private static func secret(_ file: String) throws -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw QueryError(message: "\(file): cannot read the Prometheus credentials file")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func query(_ query: String) async throws -> MetricSample {
        var components = URLComponents(url: address.appendingPathComponent("api/v1/query"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "query", value: query)]
        // Prometheus reads the query string as a form: an unencoded `+` (a
        // regex's `[a-z]+`) would arrive as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let answer: HTTPExchange.Answer
        do {
            answer = try await HTTPExchange.send(.GET, components.url!.absoluteString,
                                                 headers: headers + (authorization.map { [("Authorization", $0)] } ?? []),
                                                 timeout: timeout, options: options)
        } catch {
            throw QueryError(message: "Prometheus at \(address.absoluteString) did not answer: \(error)")
        }
        return try Self.parse(answer.body, status: answer.status, query: query)
    }

    /// The API's answer to an instant query.
    static func parse(_ data: Data, status: Int, query: String) throws -> MetricSample {
        guard let body = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw QueryError(message: "Prometheus answered \(status) with a body that is not JSON, for query \(query)")
        }
        guard body["status"] as? String == "success" else {
            let message = body["error"] as? String ?? "status \(status)"
            throw QueryError(message: "Prometheus refused query \(query): \(message)")
        }
        guard let payload = body["data"] as? [String: Any], let type = payload["resultType"] as? String else {
            throw QueryError(message: "Prometheus answered without data, for query \(query)")
        }
        switch type {
        case "scalar":
            return try sample(payload["result"], query)
        case "vector":
            let series = payload["result"] as? [[String: Any]] ?? []
            if series.isEmpty { return .noData }
            guard series.count == 1 else {
                throw QueryError(message: "query returned \(series.count) series, it must return one (aggregate it, e.g. with sum()): \(query)")
            }
            return try sample(series[0]["value"], query)
        default:
            throw QueryError(message: "query returned a \(type), it must return a vector or a scalar: \(query)")
        }
    }

    private static func sample(_ pair: Any?, _ query: String) throws -> MetricSample {
        guard let pair = pair as? [Any], pair.count == 2, let text = pair[1] as? String else {
            throw QueryError(message: "Prometheus answered a malformed sample, for query \(query)")
        }
        switch text {
        case "NaN": return .noData
        case "+Inf": return .value(.infinity)
        case "-Inf": return .value(-.infinity)
        default:
            guard let value = Double(text) else { throw QueryError(message: "Prometheus answered \"\(text)\", not a number, for query \(query)") }
            return .value(value)
        }
    }
}
