import Foundation
import SerinAnalysis
import SerinEngine
import SerinLocal
import SerinSpec
import Synchronization

/// The MetricTemplates and AlertProviders of the latest revisions, read at
/// every tick, so a template fixed in Git applies to a rollout in flight.
final class CurrentResources: Sendable {
    private struct Resources {
        var templates: [String: MetricTemplateSpec] = [:]
        var providers: [String: AlertProviderSpec] = [:]
        /// Each source's own, by source: what the merged maps are made of.
        var bySource: [String: (templates: [MetricTemplate], providers: [AlertProvider])] = [:]
    }

    private let resources = Mutex(Resources())
    let prometheus: URL?
    /// The cluster's Secrets, for the templates' and providers' `secretRef` (none on the local platform).
    private let secretReader = Mutex<(any SecretReader)?>(nil)

    init(prometheus: URL?) {
        self.prometheus = prometheus
    }

    var secrets: (any SecretReader)? {
        get { secretReader.withLock { $0 } }
        set { secretReader.withLock { $0 = newValue } }
    }

    /// `source`'s revision in force declares these; every source's are
    /// merged in source-name order, a later source's winning a name.
    func update(source: String, templates: [MetricTemplate], providers: [AlertProvider]) {
        resources.withLock { resources in
            resources.bySource[source] = (templates, providers)
            resources.templates = [:]
            resources.providers = [:]
            for (_, declared) in resources.bySource.sorted(by: { $0.key < $1.key }) {
                for template in declared.templates { resources.templates["\(template.namespace)/\(template.name)"] = template.spec }
                for provider in declared.providers { resources.providers["\(provider.namespace)/\(provider.name)"] = provider.spec }
            }
        }
    }

    var templates: [String: MetricTemplateSpec] { resources.withLock { $0.templates } }
    var providers: [String: AlertProviderSpec] { resources.withLock { $0.providers } }
}

/// Flagger's checks against the current templates and the default Prometheus.
struct LiveChecks: CheckRunner {
    /// The platform's part: which series the built-in metrics read, and
    /// what a template's variables are.
    struct Queries: Sendable {
        var builtins: @Sendable (CheckContext) -> MetricQueries.Builtins
        var context: @Sendable (CheckContext) async -> MetricQueries.Context
        /// The checksums of a workload's tracked configs (Flagger's webhook checksum).
        var trackedConfigs: @Sendable (WorkloadID) -> [String: String]? = { _ in nil }

        /// The router's series name a workload by its local key.
        static let local = Queries(builtins: { _ in .router }) { context in
            MetricQueries.Context(name: context.rollout.name, namespace: context.rollout.namespace, target: LocalPlatform.key(context.target),
                                  canaryRevision: context.canaryRevision ?? "", primaryRevision: context.primaryRevision ?? "")
        }
    }

    let resources: CurrentResources
    let queries: Queries

    func runChecks(_ plan: Plan, _ context: CheckContext) async -> CheckResults {
        let providers = MetricProviders(defaultPrometheus: resources.prometheus, secrets: resources.secrets)
        let evaluator = MetricEvaluator(templates: resources.templates, builtins: queries.builtins(context), providers: providers.factory)
        let checks = AnalysisChecks(evaluator: evaluator, trackedConfigs: queries.trackedConfigs, context: queries.context)
        return await checks.runChecks(plan, context)
    }
}

/// Alerts through the current AlertProviders.
struct LiveNotifier: Notifier {
    let resources: CurrentResources

    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        await AlertNotifier(providers: resources.providers, sender: AlertSender(secrets: resources.secrets)).notify(notification, plan, revision: revision)
    }
}
