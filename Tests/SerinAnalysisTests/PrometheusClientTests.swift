import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
import Testing
@testable import SerinAnalysis

/// The client against a real Prometheus (Debian's package) on a free port.
@Suite(.serialized, .enabled(if: PrometheusServer.isAvailable, "needs /usr/bin/prometheus"))
final class PrometheusClientTests {
    let prometheus: PrometheusServer
    let client: PrometheusClient

    init() throws {
        prometheus = try PrometheusServer()
        client = try PrometheusClient(address: URL(string: prometheus.address)!, timeout: .seconds(5))
    }

    deinit { prometheus.stop() }

    @Test func aVectorOfOneSeriesOrAScalarIsAValue() async throws {
        #expect(try await client.query("vector(42)") == .value(42))
        #expect(try await client.query("scalar(vector(7.5))") == .value(7.5))
    }

    @Test func anEmptyVectorOrNaNIsNoData() async throws {
        #expect(try await client.query(#"up{job="no-such-job"}"#) == .noData)
        #expect(try await client.query("vector(0) / 0") == .noData)
    }

    @Test func moreThanOneSeriesIsAnErrorNamingTheQuery() async {
        let query = #"label_replace(vector(1), "a", "x", "", "") or label_replace(vector(2), "a", "y", "", "")"#
        await #expect(throws: PrometheusClient.QueryError(message: "query returned 2 series, it must return one (aggregate it, e.g. with sum()): \(query)")) {
            try await client.query(query)
        }
    }

    @Test func badPromQLIsAnErrorWithPrometheusOwnMessage() async {
        do {
            _ = try await client.query("sum(")
            Issue.record("bad PromQL was accepted")
        } catch let error as PrometheusClient.QueryError {
            #expect(error.message.hasPrefix("Prometheus refused query sum(: "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func theBuiltInQueriesAreValidPromQL() async throws {
        let context = MetricQueries.Context(name: "web", namespace: "default", target: "web")
        for builtins in [MetricQueries.Builtins.router, .kubernetesPods, .nginx] {
            for name in ["request-success-rate", "request-duration"] {
                let query = try MetricQueries.render(builtins.query(name)!, metric: name, context: context, interval: "1m", variables: [:])
                // Nothing of the kind is scraped here: valid queries with nothing to say.
                #expect(try await client.query(query) == .noData, "\(query)")
            }
        }
    }

    /// A `+` in a query (`[0-9a-z]+`, Flagger's pod regexes) reaches
    /// Prometheus as a `+`, not as the space a form decodes it to.
    @Test func aPlusInTheQueryIsSentAsAPlus() async throws {
        try await waitForTheFirstScrape()
        #expect(try await client.query(#"count(up{job=~"s[a-z]+n"})"#) == .value(1))
        #expect(try await client.query("1+1") == .value(2))
    }

    private func waitForTheFirstScrape() async throws {
        try await eventually("Prometheus' first scrape of itself", every: .milliseconds(100)) {
            try await client.query(#"up{job="serin"}"#) != .noData
        }
    }

    @Test func aRealMetricIsJudgedAgainstItsRange() async throws {
        // Prometheus scrapes itself every second; wait for the first sample.
        try await waitForTheFirstScrape()
        let up = try await client.query(#"sum(up{job="serin"})"#)
        #expect(up == .value(1))
        let evaluator = MetricEvaluator(templates: [
            "default/up": MetricTemplateSpec(provider: MetricProviderSpec(type: "prometheus", address: prometheus.address),
                                             query: #"sum(up{job="{{ variables.job }}"})"#),
        ], provider: { [client] _ in client })
        let metric = PlanMetric(name: "up", source: .template(namespace: "default", name: "up"), thresholdRange: ThresholdRange(min: 1),
                                interval: "1m", onNoData: .hold, templateVariables: ["job": "serin"])
        let evaluation = await evaluator.evaluate([metric], context: .init(name: "web", namespace: "default", target: "web"), at: 5).first
        #expect(evaluation?.verdict == .pass)
        #expect(evaluation?.query == #"sum(up{job="serin"})"#)
        #expect(evaluation?.message == "1 >= 1")
        #expect(evaluation?.time == 5)
    }
}

/// A Prometheus that is not there: an error, never a value.
@Suite struct PrometheusDownTests {
    @Test func aPrometheusThatDoesNotAnswerIsAnError() async throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let client = try PrometheusClient(address: URL(string: "http://127.0.0.1:\(port)")!, timeout: .seconds(2))
        do {
            _ = try await client.query("vector(1)")
            Issue.record("a query succeeded with no Prometheus")
        } catch let error as PrometheusClient.QueryError {
            #expect(error.message.hasPrefix("Prometheus at http://127.0.0.1:\(port) did not answer"))
        }
    }
}
