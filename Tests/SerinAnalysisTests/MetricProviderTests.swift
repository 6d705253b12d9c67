import Foundation
import SerinEngine
import SerinHTTP
import SerinSpec
import SerinTesting
import Testing
@testable import SerinAnalysis

/// A Secret store for these tests (the cluster's is read by
/// `ClusterSecretReader`, tested on the cluster).
struct FakeSecrets: SecretReader {
    var secrets: [String: [String: String]]

    func secret(_ name: String, namespace: String) async throws -> [String: Data]? {
        secrets["\(namespace)/\(name)"]?.mapValues { Data($0.utf8) }
    }
}

/// The metric providers Serin queries besides Prometheus, against local
/// stand-ins of their APIs (`FakeMetricAPIs`), made from MetricTemplates
/// with their credentials from a Secret, as Flagger's provider factory does;
/// and Prometheus behind basic auth and a bearer token, for real.
@Suite(.serialized) final class MetricProviderTests {
    let apis: FakeMetricAPIs

    init() throws {
        apis = try FakeMetricAPIs(values: ["avg:latency{service:web}": 12.5, "SELECT percentage(count(*), WHERE error IS true) FROM Transaction": 0.5,
                                           "web.errors": 3, #"from(bucket: "app") |> range(start: -1m)"#: 42])
    }

    deinit { apis.stop() }

    static let secrets = FakeSecrets(secrets: [
        "shop/datadog": ["datadog_api_key": "dd-api", "datadog_application_key": "dd-app"],
        "shop/newrelic": ["newrelic_account_id": "1234", "newrelic_query_key": "nr-key"],
        "shop/graphite": ["username": "graphite", "password": "pw"],
        "shop/influx": ["token": "influx-token", "org": "shop"],
        "shop/wrong": ["datadog_api_key": "nope", "datadog_application_key": "dd-app"],
        "shop/incomplete": ["datadog_api_key": "dd-api"],
    ])

    func provider(_ type: String, secret: String?, address: Bool = true) -> MetricProviderSpec {
        var spec = MetricProviderSpec(type: type, address: address ? apis.address : nil)
        if let secret {
            var reference = NameReference()
            reference.name = secret
            spec.secretRef = reference
        }
        spec.headers = ["X-Scope-OrgID": ["tenant-a"]]
        return spec
    }

    func query(_ spec: MetricProviderSpec, _ text: String, interval: String = "1m") async throws -> MetricSample {
        let made = try await MetricProviders(defaultPrometheus: nil, secrets: Self.secrets).make(spec, namespace: "shop", interval: interval)
        return try await made.query(text)
    }

    @Test func datadogIsQueriedWithItsKeysOverTenIntervals() async throws {
        let value = try await query(provider("datadog", secret: "datadog"), "avg:latency{service:web}", interval: "30s")
        #expect(value == .value(12.5), "the first (oldest) point, as Flagger")
        let sent = try #require(apis.requests().last)
        #expect(sent.path == "/api/v1/query")
        #expect(sent.headers["dd-api-key"] == "dd-api" && sent.headers["dd-application-key"] == "dd-app")
        #expect(sent.headers["x-scope-orgid"] == "tenant-a", "provider.headers go with every query")
        let from = try #require(sent.query["from"].flatMap(Int.init)), to = try #require(sent.query["to"].flatMap(Int.init))
        #expect(to - from == 300)
        #expect(try await query(provider("datadog", secret: "datadog"), "avg:nothing") == .noData)
        await #expect(throws: MetricProviderError.self) { _ = try await self.query(self.provider("datadog", secret: "wrong"), "avg:latency{service:web}") }
        await #expect(throws: MetricProviderError.self) { _ = try await self.query(self.provider("datadog", secret: "incomplete"), "x") }
    }

    @Test func newRelicIsQueriedThroughItsAccountWithSince() async throws {
        let nrql = "SELECT percentage(count(*), WHERE error IS true) FROM Transaction"
        #expect(try await query(provider("newrelic", secret: "newrelic"), nrql) == .value(0.5))
        let sent = try #require(apis.requests().last)
        #expect(sent.path == "/v1/accounts/1234/query")
        #expect(sent.headers["x-query-key"] == "nr-key")
        #expect(sent.query["nrql"] == nrql + " SINCE 60 seconds ago")
        #expect(try await query(provider("newrelic", secret: "newrelic"), "SELECT nothing") == .noData)
    }

    @Test func graphiteIsRenderedAsJSONWithBasicAuth() async throws {
        #expect(try await query(provider("graphite", secret: "graphite"), "target=web.errors&from=-5min") == .value(3))
        let sent = try #require(apis.requests().last)
        #expect(sent.path == "/render" && sent.query["format"] == "json" && sent.query["from"] == "-5min")
        #expect(try await query(provider("graphite", secret: "graphite"), "target=web.nothing") == .noData)
        await #expect(throws: MetricProviderError.self) { _ = try await self.query(self.provider("graphite", secret: nil), "target=web.errors") }
    }

    @Test func influxDBTakesFluxWithItsTokenAndOrganization() async throws {
        let flux = #"from(bucket: "app") |> range(start: -1m)"#
        #expect(try await query(provider("influxdb", secret: "influx"), flux) == .value(42))
        let sent = try #require(apis.requests().last)
        #expect(sent.method == "POST" && sent.path == "/api/v2/query" && sent.query["org"] == "shop")
        #expect(sent.headers["authorization"] == "Token influx-token")
        #expect(try await query(provider("influxdb", secret: "influx"), "from(bucket: \"none\")") == .noData)
    }

    @Test func aSecretThatIsNotThereIsNamed() async throws {
        await #expect(throws: MetricProviderError.self) { _ = try await self.query(self.provider("datadog", secret: "missing"), "x") }
        let local = MetricProviders(defaultPrometheus: nil, secrets: nil)
        do {
            _ = try await local.make(provider("datadog", secret: "datadog"), namespace: "shop", interval: "1m")
            Issue.record("a secretRef without a cluster to read it from must fail")
        } catch {
            #expect("\(error)".contains("only the kubernetes platform can read"))
        }
    }

    /// Prometheus (Thanos, Mimir) behind basic auth: a real Prometheus
    /// with a web config; its Secret's username and password, or a token.
    @Test func anAuthenticatedPrometheusIsQueried() async throws {
        let hash = "$2a$10$b5WYECdEoaykID2hb798zO4/3SkrTE3jrKCZXxyQ5tJYSJSR7YvXy" // bcrypt of s3cr3t-prometheus
        let prometheus = try PrometheusServer(basicAuth: (username: "serin", password: "s3cr3t-prometheus", bcryptHash: hash))
        defer { prometheus.stop() }
        let secrets = FakeSecrets(secrets: ["shop/prom": ["username": "serin", "password": "s3cr3t-prometheus"],
                                            "shop/bad": ["username": "serin", "password": "wrong"]])
        var spec = MetricProviderSpec(type: "prometheus", address: prometheus.address)
        var reference = NameReference()
        reference.name = "prom"
        spec.secretRef = reference
        let made = try await MetricProviders(defaultPrometheus: nil, secrets: secrets).make(spec, namespace: "shop", interval: "1m")
        #expect(try await made.query("vector(7)") == .value(7))
        reference.name = "bad"
        spec.secretRef = reference
        let refused = try await MetricProviders(defaultPrometheus: nil, secrets: secrets).make(spec, namespace: "shop", interval: "1m")
        await #expect(throws: (any Error).self) { _ = try await refused.query("vector(7)") }
        let anonymous = try await MetricProviders(defaultPrometheus: URL(string: prometheus.address), secrets: nil).make(nil, namespace: "shop", interval: "1m")
        await #expect(throws: (any Error).self) { _ = try await anonymous.query("vector(7)") }
    }
}
