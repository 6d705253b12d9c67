import Foundation
import SerinEngine
import NIOHTTP1
import SerinHTTP
import SerinSpec

/// The metric providers of a MetricTemplate that Serin queries besides
/// Prometheus, each over its HTTP API as Flagger's provider does
/// (`pkg/metrics/providers/*.go`): which endpoint, which headers, which
/// value of the answer. A query that matched nothing is `.noData`.
public struct MetricProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

/// Shared by the clients: one exchange, its answer's body on 2xx, an error naming the provider otherwise.
private func fetch(_ provider: String, _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: Data? = nil,
                   timeout: Duration, options: HTTPExchange.Options) async throws -> Data {
    let answer: HTTPExchange.Answer
    do {
        answer = try await HTTPExchange.send(method, url, headers: headers, body: body, timeout: timeout, options: options)
    } catch {
        throw MetricProviderError("\(provider) at \(url) did not answer: \(error)")
    }
    guard (200..<300).contains(answer.status) else {
        let text = String(decoding: answer.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        throw MetricProviderError("\(provider) answered \(answer.status)\(text.isEmpty ? "" : ": \(text)")")
    }
    return answer.body
}

/// Datadog's `GET /api/v1/query` (keys in `DD-API-KEY`, `DD-APPLICATION-KEY`)
/// over the last ten metric intervals; the first point of the first series
/// (the newest bucket is usually incomplete, as Flagger says).
public struct DatadogClient: MetricProvider {
    public static let defaultAddress = "https://api.datadoghq.com"
    public var address: String
    public var apiKey: String
    public var applicationKey: String
    /// Seconds back from now.
    public var window: Int
    public var headers: [(String, String)]
    public var options: HTTPExchange.Options
    /// The time queries end at (a test's clock).
    var now: @Sendable () -> Date = { Date() }

    public init(address: String?, apiKey: String, applicationKey: String, interval: Duration, headers: [(String, String)] = [],
                options: HTTPExchange.Options = .standard) {
        self.address = address ?? Self.defaultAddress
        self.apiKey = apiKey
        self.applicationKey = applicationKey
        window = Int(GoDuration.seconds(interval)) * 10
        self.headers = headers
        self.options = options
    }

    public func query(_ query: String) async throws -> MetricSample {
        let to = Int(now().timeIntervalSince1970)
        var components = URLComponents(string: address + "/api/v1/query")
        components?.queryItems = [URLQueryItem(name: "query", value: query), URLQueryItem(name: "from", value: String(to - window)),
                                  URLQueryItem(name: "to", value: String(to))]
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.url?.absoluteString else { throw MetricProviderError("datadog address \(address) is not a URL") }
        let body = try await fetch("Datadog", .GET, url, headers: headers + [("DD-API-KEY", apiKey), ("DD-APPLICATION-KEY", applicationKey)],
                                   timeout: .seconds(5), options: options)
        guard let answer = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw MetricProviderError("Datadog answered a body that is not JSON, for query \(query)")
        }
        guard let series = answer["series"] as? [[String: Any]], let points = series.first?["pointlist"] as? [[Any]],
              let point = points.first, point.count > 1 else { return .noData }
        guard let value = (point[1] as? NSNumber)?.doubleValue else { return .noData }
        return .value(value)
    }
}

/// New Relic Insights' `GET /v1/accounts/<account>/query?nrql=` (key in
/// `X-Query-Key`), `SINCE <interval> seconds ago`; the single result.
public struct NewRelicClient: MetricProvider {
    public static let defaultAddress = "https://insights-api.newrelic.com"
    public var address: String
    public var accountID: String
    public var queryKey: String
    public var window: Int
    public var headers: [(String, String)]
    public var options: HTTPExchange.Options

    public init(address: String?, accountID: String, queryKey: String, interval: Duration, headers: [(String, String)] = [],
                options: HTTPExchange.Options = .standard) {
        self.address = address ?? Self.defaultAddress
        self.accountID = accountID
        self.queryKey = queryKey
        window = Int(GoDuration.seconds(interval))
        self.headers = headers
        self.options = options
    }

    public func query(_ query: String) async throws -> MetricSample {
        var components = URLComponents(string: "\(address)/v1/accounts/\(accountID)/query")
        components?.queryItems = [URLQueryItem(name: "nrql", value: "\(query) SINCE \(window) seconds ago")]
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.url?.absoluteString else { throw MetricProviderError("newrelic address \(address) is not a URL") }
        let body = try await fetch("New Relic", .GET, url, headers: headers + [("X-Query-Key", queryKey)], timeout: .seconds(5), options: options)
        guard let answer = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw MetricProviderError("New Relic answered a body that is not JSON, for query \(query)")
        }
        guard let results = answer["results"] as? [[String: Any]], results.count == 1,
              let value = (results[0]["result"] as? NSNumber)?.doubleValue else { return .noData }
        return .value(value)
    }
}

/// Graphite's `GET <address>/render?<query>&format=json` (basic auth from
/// the Secret); the last non-null datapoint of the targets.
public struct GraphiteClient: MetricProvider {
    public var address: String
    public var credentials: (username: String, password: String)?
    public var headers: [(String, String)]
    public var options: HTTPExchange.Options

    public init(address: String, credentials: (username: String, password: String)? = nil, headers: [(String, String)] = [],
                options: HTTPExchange.Options = .standard) {
        self.address = address
        self.credentials = credentials
        self.headers = headers
        self.options = options
    }

    public func query(_ query: String) async throws -> MetricSample {
        // Flagger squeezes the query's whitespace; it is a query string (`target=...&from=-5min`).
        let squeezed = query.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        guard var components = URLComponents(string: "\(base)/render?\(squeezed.replacingOccurrences(of: " ", with: "%20"))") else {
            throw MetricProviderError("graphite query \(query) does not make a URL")
        }
        components.queryItems = (components.queryItems ?? []).filter { $0.name != "format" } + [URLQueryItem(name: "format", value: "json")]
        guard let url = components.url?.absoluteString else { throw MetricProviderError("graphite address \(address) is not a URL") }
        var headers = self.headers
        if let credentials {
            headers.append(("Authorization", "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()))
        }
        let body = try await fetch("Graphite", .GET, url, headers: headers, timeout: .seconds(5), options: options)
        guard let targets = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw MetricProviderError("Graphite answered a body that is not a list of targets, for query \(query)")
        }
        var value: Double?
        for target in targets {
            for point in target["datapoints"] as? [[Any]] ?? [] {
                if let number = point.first as? NSNumber { value = number.doubleValue }
                if let text = point.first as? String, let number = Double(text) { value = number }
            }
        }
        return value.map { .value($0) } ?? .noData
    }
}

/// InfluxDB 2's `POST /api/v2/query?org=` with a Flux query (token in
/// `Authorization: Token`), answered as annotated CSV; the `_value` of the
/// first record.
public struct InfluxDBClient: MetricProvider {
    public var address: String
    public var token: String?
    public var organization: String?
    public var headers: [(String, String)]
    public var options: HTTPExchange.Options

    public init(address: String, token: String? = nil, organization: String? = nil, headers: [(String, String)] = [],
                options: HTTPExchange.Options = .standard) {
        self.address = address
        self.token = token
        self.organization = organization
        self.headers = headers
        self.options = options
    }

    public func query(_ query: String) async throws -> MetricSample {
        var components = URLComponents(string: (address.hasSuffix("/") ? String(address.dropLast()) : address) + "/api/v2/query")
        if let organization { components?.queryItems = [URLQueryItem(name: "org", value: organization)] }
        guard let url = components?.url?.absoluteString else { throw MetricProviderError("influxdb address \(address) is not a URL") }
        let request: [String: Any] = ["query": query, "type": "flux",
                                      "dialect": ["header": true, "delimiter": ",", "annotations": ["datatype", "group", "default"]]]
        var headers = self.headers + [("Content-Type", "application/json"), ("Accept", "application/csv")]
        if let token { headers.append(("Authorization", "Token \(token)")) }
        let body = try await fetch("InfluxDB", .POST, url, headers: headers, body: try JSONSerialization.data(withJSONObject: request),
                                   timeout: .seconds(15), options: options)
        return try Self.firstValue(String(decoding: body, as: UTF8.self), query: query)
    }

    /// The `_value` of the first record of an annotated CSV answer.
    static func firstValue(_ csv: String, query: String) throws -> MetricSample {
        var column: Int?
        for line in csv.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("#") { continue }
            guard let index = column else {
                column = fields.firstIndex(of: "_value")
                if column == nil && fields.contains("error") { throw MetricProviderError("InfluxDB refused query \(query): \(line)") }
                continue
            }
            guard index < fields.count else { continue }
            if fields[index].isEmpty { return .noData }
            guard let value = Double(fields[index]) else {
                throw MetricProviderError("InfluxDB answered \"\(fields[index])\", not a number, for query \(query)")
            }
            return .value(value)
        }
        return .noData
    }
}
