import Foundation
import SerinEngine
import SerinSpec
import Testing
@testable import SerinAnalysis

/// A fake provider: answers from a table. Named a fake because the real one
/// is tested against Prometheus in PrometheusClientTests.
struct FakeMetricProvider: MetricProvider {
    var answers: [String: Result<MetricSample, PrometheusClient.QueryError>]
    func query(_ query: String) async throws -> MetricSample {
        guard let answer = answers[query] else { throw PrometheusClient.QueryError(message: "unexpected query \(query)") }
        return try answer.get()
    }
}

@Suite struct MetricQueriesTests {
    let context = MetricQueries.Context(name: "web-canary", namespace: "shop", target: "web", service: "web-svc")

    @Test func rendersFlaggersVariables() throws {
        let query = try MetricQueries.render(
            #"rate(x{ns="{{ namespace }}",w="{{target}}",s="{{ service }}",n="{{- name -}}",r="{{ variables.region }}"}[{{ interval }}])"#,
            metric: "m", context: context, interval: "2m", variables: ["region": "eu"])
        #expect(query == #"rate(x{ns="shop",w="web",s="web-svc",n="web-canary",r="eu"}[2m])"#)
    }

    @Test func aMissingVariableIsAnError() {
        #expect(throws: MetricQueries.RenderError(message: "metric m: the query uses {{ variables.region }} but templateVariables has no region")) {
            try MetricQueries.render("x{r=\"{{ variables.region }}\"}", metric: "m", context: context, interval: "1m", variables: [:])
        }
    }

    @Test func theBuiltInsReadTheRoutersMetricsForTheCanary() throws {
        let rate = try MetricQueries.render(MetricQueries.requestSuccessRate, metric: "request-success-rate", context: context, interval: "30s", variables: [:])
        #expect(rate.contains(#"serin_router_requests_total{workload="web",role="canary",revision="",code!~"5.."}[30s]"#))
        let duration = try MetricQueries.render(MetricQueries.requestDuration, metric: "request-duration", context: context, interval: "30s", variables: [:])
        #expect(duration.hasPrefix("histogram_quantile(0.99, sum(rate(serin_router_request_duration_seconds_bucket{workload=\"web\",role=\"canary\",revision=\"\"}[30s])) by (le)) * 1000"))
        // The canary's revision, and no other, is what the built-ins judge.
        var released = context
        released.canaryRevision = "abc123"
        let count = try MetricQueries.render(MetricQueries.requestCount, metric: "request-success-rate", context: released, interval: "30s", variables: [:])
        #expect(count == #"sum(increase(serin_router_requests_total{workload="web",role="canary",revision="abc123"}[30s]))"#)
    }
}

@Suite struct MetricEvaluatorTests {
    let context = MetricQueries.Context(name: "web", namespace: "default", target: "web")

    func evaluator(_ answers: [String: Result<MetricSample, PrometheusClient.QueryError>]) -> MetricEvaluator {
        let provider = FakeMetricProvider(answers: answers)
        return MetricEvaluator(templates: ["default/t": MetricTemplateSpec(provider: nil, query: "q{{ variables.v }}")], provider: { _ in provider })
    }

    @Test func judgesValuesAgainstMinAndMax() async {
        let metric = PlanMetric(name: "t", source: .template(namespace: "default", name: "t"), thresholdRange: ThresholdRange(min: 99, max: 100),
                                interval: "1m", onNoData: .hold, templateVariables: ["v": "1"])
        #expect(await evaluator(["q1": .success(.value(99.5))]).evaluate([metric], context: context, at: 0).first?.message == "99.5 >= 99 and <= 100")
        let low = await evaluator(["q1": .success(.value(80))]).evaluate([metric], context: context, at: 0).first
        #expect(low?.verdict == .fail)
        #expect(low?.message == "80 < 99 (min)")
        #expect(await evaluator(["q1": .success(.noData)]).evaluate([metric], context: context, at: 0).first?.verdict == .noData)
        let error = await evaluator(["q1": .failure(.init(message: "down"))]).evaluate([metric], context: context, at: 0).first
        #expect(error?.verdict == .error)
        #expect(error?.message == "down")
    }
}

@Suite struct AnalysisRoundTests {
    func evaluation(_ metric: String, _ verdict: MetricEvaluation.Verdict, _ message: String = "m") -> MetricEvaluation {
        MetricEvaluation(metric: metric, query: "q", value: nil, min: nil, max: nil, verdict: verdict, message: message, time: 0)
    }

    @Test func everyPassIsAPassAndOneFailureFails() {
        var round = AnalysisRound()
        #expect(round.outcome(of: [evaluation("a", .pass), evaluation("b", .pass)], policies: [:]) == .passed)
        #expect(round.outcome(of: [evaluation("a", .pass), evaluation("b", .fail, "80 < 99 (min)")], policies: [:]) == .failed(reason: "b: 80 < 99 (min)"))
    }

    @Test func noDataFollowsEachMetricsPolicy() {
        var round = AnalysisRound()
        #expect(round.outcome(of: [evaluation("a", .noData)], policies: [:]) == .noData(reason: "a: no data (m)"))
        #expect(round.outcome(of: [evaluation("a", .noData)], policies: ["a": .fail]) == .failed(reason: "a: no data (m)"))
        #expect(round.outcome(of: [evaluation("a", .noData)], policies: ["a": .pass]) == .passed)
    }

    /// A query error is never a pass; only `errorLimit` in a row fail.
    @Test func queryErrorsHoldThenFailAtTheLimit() {
        var round = AnalysisRound(errorLimit: 3)
        #expect(round.outcome(of: [evaluation("a", .error, "down")], policies: [:]) == .noData(reason: "a: query error 1/3: down"))
        #expect(round.outcome(of: [evaluation("a", .error, "down")], policies: [:]) == .noData(reason: "a: query error 2/3: down"))
        #expect(round.outcome(of: [evaluation("a", .error, "down")], policies: [:]) == .failed(reason: "a: 3 query errors in a row: down"))
        // An answer resets the count.
        #expect(round.outcome(of: [evaluation("a", .pass)], policies: [:]) == .passed)
        #expect(round.outcome(of: [evaluation("a", .error, "down")], policies: [:]) == .noData(reason: "a: query error 1/3: down"))
    }
}
