import SerinEngine
import SerinSpec

/// Runs one tick's metric checks: renders each query, asks its provider,
/// and judges the value against the metric's threshold range. Every
/// evaluation is returned, errors included, for the rollout's history.
public struct MetricEvaluator: Sendable {
    public typealias ProviderFactory = @Sendable (_ address: String?) -> (any MetricProvider)?

    let templates: [String: MetricTemplateSpec]
    let provider: ProviderFactory

    /// `templates` by "namespace/name"; `provider` gives the provider for a
    /// template's address (nil: the default Prometheus).
    public init(templates: [String: MetricTemplateSpec], provider: @escaping ProviderFactory) {
        self.templates = templates
        self.provider = provider
    }

    public func evaluate(_ metrics: [PlanMetric], context: MetricQueries.Context, at time: Double) async -> [MetricEvaluation] {
        var evaluations: [MetricEvaluation] = []
        for metric in metrics {
            evaluations.append(await evaluate(metric, context: context, at: time))
        }
        return evaluations
    }

    func evaluate(_ metric: PlanMetric, context: MetricQueries.Context, at time: Double) async -> MetricEvaluation {
        let range = metric.thresholdRange
        func result(_ query: String, _ value: Double?, _ verdict: MetricEvaluation.Verdict, _ message: String) -> MetricEvaluation {
            MetricEvaluation(metric: metric.name, query: query, value: value, min: range?.min, max: range?.max,
                             verdict: verdict, message: message, time: time)
        }
        let template: String
        var address: String?
        switch metric.source {
        case .builtin:
            guard let query = MetricQueries.builtin(metric.name) else {
                return result("", nil, .error, "\(metric.name) is not a built-in metric")
            }
            template = query
        case .query(let query):
            template = query
        case .template(let namespace, let name):
            guard let spec = templates["\(namespace)/\(name)"], let query = spec.query else {
                return result("", nil, .error, "MetricTemplate \(namespace)/\(name) is not in the manifests")
            }
            template = query
            address = spec.provider?.address
        }
        let query: String
        do {
            query = try MetricQueries.render(template, metric: metric.name, context: context, interval: metric.interval,
                                             variables: metric.templateVariables)
        } catch {
            return result(template, nil, .error, "\(error)")
        }
        guard let provider = provider(address) else {
            return result(query, nil, .error, "no metrics provider for \(address ?? "the default Prometheus")")
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

    private func judge(_ value: Double, _ range: ThresholdRange?, _ query: String,
                       _ result: (String, Double?, MetricEvaluation.Verdict, String) -> MetricEvaluation) -> MetricEvaluation {
        let shown = Self.format(value)
        if let min = range?.min, value < min {
            return result(query, value, .fail, "\(shown) < \(Self.format(min)) (min)")
        }
        if let max = range?.max, value > max {
            return result(query, value, .fail, "\(shown) > \(Self.format(max)) (max)")
        }
        var bounds: [String] = []
        if let min = range?.min { bounds.append(">= \(Self.format(min))") }
        if let max = range?.max { bounds.append("<= \(Self.format(max))") }
        return result(query, value, .pass, bounds.isEmpty ? shown : "\(shown) \(bounds.joined(separator: " and "))")
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String((value * 1000).rounded() / 1000)
    }
}
