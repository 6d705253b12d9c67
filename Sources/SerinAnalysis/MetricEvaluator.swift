import SerinEngine
import SerinSpec

/// Runs one tick's metric checks: renders each query, asks its provider,
/// and judges the value against the metric's threshold range. Every
/// evaluation is returned, errors included, for the rollout's history.
public struct MetricEvaluator: Sendable {
    public typealias ProviderFactory = @Sendable (_ address: String?) -> (any MetricProvider)?
    /// The provider of a query: a template's `provider` (with the
    /// template's namespace, for its Secret), or nil for a built-in metric
    /// or an inline query, which go to `metricsServer` (the Canary's) or
    /// the default Prometheus. Throws what keeps it from being made (a
    /// Secret without the keys it needs).
    public typealias Providers = @Sendable (_ provider: MetricProviderSpec?, _ namespace: String, _ metric: PlanMetric,
                                            _ metricsServer: String?) async throws -> any MetricProvider

    let templates: [String: MetricTemplateSpec]
    let builtins: MetricQueries.Builtins
    let providers: Providers

    /// `templates` by "namespace/name"; `provider` gives the provider for a
    /// template's address (nil: the default Prometheus).
    public init(templates: [String: MetricTemplateSpec], builtins: MetricQueries.Builtins = .router, provider: @escaping ProviderFactory) {
        self.init(templates: templates, builtins: builtins) { spec, _, _, server in
            let address = spec?.address ?? server
            guard let made = provider(address) else {
                throw MetricProviderError("no metrics provider for \(address ?? "the default Prometheus")")
            }
            return made
        }
    }

    public init(templates: [String: MetricTemplateSpec], builtins: MetricQueries.Builtins = .router, providers: @escaping Providers) {
        self.templates = templates
        self.builtins = builtins
        self.providers = providers
    }

    public func evaluate(_ metrics: [PlanMetric], context: MetricQueries.Context, at time: Double, metricsServer: String? = nil) async -> [MetricEvaluation] {
        var evaluations: [MetricEvaluation] = []
        for metric in metrics {
            evaluations.append(await evaluate(metric, context: context, at: time, metricsServer: metricsServer))
        }
        return evaluations
    }

    func evaluate(_ metric: PlanMetric, context: MetricQueries.Context, at time: Double, metricsServer: String? = nil) async -> MetricEvaluation {
        let range = metric.thresholdRange
        func result(_ query: String, _ value: Double?, _ verdict: MetricEvaluation.Verdict, _ message: String) -> MetricEvaluation {
            MetricEvaluation(metric: metric.name, query: query, value: value, min: range?.min, max: range?.max,
                             verdict: verdict, message: message, time: time)
        }
        let template: String
        var spec: MetricProviderSpec?
        var namespace = context.namespace
        switch metric.source {
        case .builtin where metric.name == "request-success-rate":
            return await successRate(metric, context: context, metricsServer: metricsServer, result)
        case .builtin:
            guard let query = builtins.query(metric.name) else {
                return result("", nil, .error, "\(metric.name) is not a built-in metric")
            }
            template = query
        case .query(let query):
            template = query
        case .template(let templateNamespace, let name):
            guard let found = templates["\(templateNamespace)/\(name)"], let query = found.query else {
                return result("", nil, .error, "MetricTemplate \(namespace)/\(name) is not in the manifests")
            }
            template = query
            spec = found.provider ?? MetricProviderSpec(type: "prometheus", address: nil)
            namespace = templateNamespace
        }
        let query: String
        do {
            query = try MetricQueries.render(template, metric: metric.name, context: context, interval: metric.interval,
                                             variables: metric.templateVariables)
        } catch {
            return result(template, nil, .error, "\(error)")
        }
        let provider: any MetricProvider
        do {
            provider = try await providers(spec, namespace, metric, metricsServer)
        } catch {
            return result(query, nil, .error, "\(error)")
        }
        do {
            switch try await provider.query(query) {
            case .noData:
                return result(query, nil, .noData, "no data")
            case .value(let value):
                return judge(value, range, query, result)
            }
        } catch {
            return result(query, nil, .error, "\(error)")
        }
    }

    /// The built-in success rate, judged on counts: the canary revision's
    /// requests and 5xx answers in the window, with a 95% Wilson interval.
    /// It passes when the interval's lower bound meets `min`, fails when its
    /// upper bound misses it (or when every answer was an error), and is
    /// undecided in between. No requests and no series are told apart.
    private func successRate(_ metric: PlanMetric, context: MetricQueries.Context, metricsServer: String?,
                             _ result: (String, Double?, MetricEvaluation.Verdict, String) -> MetricEvaluation) async -> MetricEvaluation {
        let totalQuery: String, errorQuery: String
        do {
            totalQuery = try MetricQueries.render(builtins.requestCount, metric: metric.name, context: context, interval: metric.interval, variables: [:])
            errorQuery = try MetricQueries.render(builtins.requestErrors, metric: metric.name, context: context, interval: metric.interval, variables: [:])
        } catch {
            return result(builtins.requestCount, nil, .error, "\(error)")
        }
        let shownQuery = totalQuery + "\n" + errorQuery
        let provider: any MetricProvider
        do {
            provider = try await providers(nil, context.namespace, metric, metricsServer)
        } catch {
            return result(shownQuery, nil, .error, "\(error)")
        }
        let total: Double, errors: Double
        do {
            guard case .value(let requests) = try await provider.query(totalQuery) else {
                return result(shownQuery, nil, .noData, "the query matched nothing: no answers of revision \(context.canaryRevision) yet")
            }
            guard requests > 0 else {
                return result(shownQuery, nil, .noData, "no requests reached the canary in the last \(metric.interval)")
            }
            total = requests
            if case .value(let failed) = try await provider.query(errorQuery) { errors = min(failed, requests) } else { errors = 0 }
        } catch {
            return result(shownQuery, nil, .error, "\(error)")
        }
        let rate = (total - errors) / total * 100
        let interval = Wilson(successes: total - errors, trials: total)
        let lower = interval.lower * 100, upper = interval.upper * 100
        let (verdict, message) = EvaluationText.successRate(rate, requests: total, lower: lower, upper: upper,
                                                            min: metric.thresholdRange?.min, max: metric.thresholdRange?.max)
        var evaluation = result(shownQuery, rate, verdict, message)
        evaluation.requests = total
        evaluation.lower = lower
        evaluation.upper = upper
        return evaluation
    }

    private func judge(_ value: Double, _ range: ThresholdRange?, _ query: String,
                       _ result: (String, Double?, MetricEvaluation.Verdict, String) -> MetricEvaluation) -> MetricEvaluation {
        let (verdict, message) = EvaluationText.judged(value, min: range?.min, max: range?.max)
        return result(query, value, verdict, message)
    }

    static func format(_ value: Double) -> String { EvaluationText.format(value) }
}
