import Foundation
import SerinAnalysis
import SerinEngine
import SerinSpec
import Synchronization

/// The MetricTemplates and AlertProviders of the latest revisions, read at
/// every tick, so a template fixed in Git applies to a rollout in flight.
final class CurrentResources: Sendable {
    private struct Resources {
        var templates: [String: MetricTemplateSpec] = [:]
        var providers: [String: AlertProviderSpec] = [:]
        var workloads: [RolloutID: String] = [:]
    }

    private let resources = Mutex(Resources())
    let prometheus: URL?

    init(prometheus: URL?) {
        self.prometheus = prometheus
    }

    func update(templates: [String: MetricTemplateSpec], providers: [String: AlertProviderSpec]) {
        resources.withLock {
            $0.templates = templates
            $0.providers = providers
        }
    }

    func bind(_ rollout: RolloutID, workload: String) {
        resources.withLock { $0.workloads[rollout] = workload }
    }

    var templates: [String: MetricTemplateSpec] { resources.withLock { $0.templates } }
    var providers: [String: AlertProviderSpec] { resources.withLock { $0.providers } }
    func workload(_ rollout: RolloutID) -> String { resources.withLock { $0.workloads[rollout] } ?? rollout.name }
}

/// Flagger's checks against the current templates and the default Prometheus.
struct LiveChecks: CheckRunner {
    let resources: CurrentResources

    func runChecks(_ plan: Plan, for rollout: RolloutID, at time: Double) async -> CheckResults {
        let fallback = resources.prometheus
        let evaluator = MetricEvaluator(templates: resources.templates) { address in
            guard let url = address.flatMap(URL.init(string:)) ?? fallback else { return nil }
            return try? PrometheusClient(address: url, timeout: .seconds(5))
        }
        let resources = self.resources
        let checks = AnalysisChecks(evaluator: evaluator) { id in
            MetricQueries.Context(name: id.name, namespace: id.namespace, target: resources.workload(id))
        }
        return await checks.runChecks(plan, for: rollout, at: time)
    }
}

/// Alerts through the current AlertProviders.
struct LiveNotifier: Notifier {
    let resources: CurrentResources

    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        await AlertNotifier(providers: resources.providers).notify(notification, plan, revision: revision)
    }
}
