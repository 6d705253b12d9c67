import Foundation
import SerinAnalysis
import SerinEngine
import SerinHTTP
import SerinLocal
import SerinSpec
import Synchronization

/// The MetricTemplates and AlertProviders of the latest revisions, read at
/// every tick, so a template fixed in Git applies to a rollout in flight;
/// each rollout sees its own source's only (`ScopedResources`).
final class CurrentResources: Sendable {
    private let resources = Mutex(ScopedResources())
    let prometheus: URL?
    /// `outbound.allowedHosts`: where manifests may make Serin send requests.
    let policy: OutboundPolicy
    /// The cluster's Secrets, for the templates' and providers' `secretRef` (none on the local platform).
    private let secretReader = Mutex<(any SecretReader)?>(nil)

    init(prometheus: URL?, policy: OutboundPolicy = OutboundPolicy()) {
        self.prometheus = prometheus
        self.policy = policy
    }

    var secrets: (any SecretReader)? {
        get { secretReader.withLock { $0 } }
        set { secretReader.withLock { $0 = newValue } }
    }

    /// `source`'s revision in force declares these, and these Canaries:
    /// each Canary sees its own source's templates and providers only.
    func update(source: String, templates: [MetricTemplate], providers: [AlertProvider], canaries: [Canary]) {
        var byName: [String: MetricTemplateSpec] = [:]
        for template in templates { byName["\(template.namespace)/\(template.name)"] = template.spec }
        var providersByName: [String: AlertProviderSpec] = [:]
        for provider in providers { providersByName["\(provider.namespace)/\(provider.name)"] = provider.spec }
        let declared = Set(canaries.map { "\($0.namespace)/\($0.name)" })
        resources.withLock { $0.update(source: source, templates: byName, providers: providersByName, canaries: declared) }
    }

    func templates(for rollout: RolloutID) -> [String: MetricTemplateSpec] { resources.withLock { $0.templates(for: rollout) } }
    func providers(for rollout: RolloutID) -> [String: AlertProviderSpec] { resources.withLock { $0.providers(for: rollout) } }
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
        let providers = MetricProviders(defaultPrometheus: resources.prometheus, secrets: resources.secrets, policy: resources.policy)
        let evaluator = MetricEvaluator(templates: resources.templates(for: context.rollout), builtins: queries.builtins(context), providers: providers.factory)
        let checks = AnalysisChecks(evaluator: evaluator, webhooks: WebhookCaller(policy: resources.policy), trackedConfigs: queries.trackedConfigs,
                                    context: queries.context)
        return await checks.runChecks(plan, context)
    }
}

/// Alerts through the current AlertProviders.
struct LiveNotifier: Notifier {
    let resources: CurrentResources

    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        await AlertNotifier(providers: resources.providers(for: RolloutID(namespace: plan.namespace, name: plan.name)),
                            sender: AlertSender(secrets: resources.secrets, policy: resources.policy)).notify(notification, plan, revision: revision)
    }
}
