import SerinEngine
import SerinSpec

/// The checks of one tick, as Flagger runs them: every metric, every
/// `rollout` webhook (must answer 2xx) and every `rollback` webhook (a 2xx
/// answer rolls back). The worker judges the results.
public struct AnalysisChecks: CheckRunner {
    private let evaluator: MetricEvaluator
    private let webhooks: WebhookCaller
    private let contexts: @Sendable (CheckContext) async -> MetricQueries.Context
    private let trackedConfigs: @Sendable (WorkloadID) -> [String: String]?

    public init(evaluator: MetricEvaluator, webhooks: WebhookCaller = WebhookCaller(),
                trackedConfigs: @escaping @Sendable (WorkloadID) -> [String: String]? = { _ in nil },
                context: @escaping @Sendable (CheckContext) async -> MetricQueries.Context) {
        self.evaluator = evaluator
        self.webhooks = webhooks
        self.trackedConfigs = trackedConfigs
        self.contexts = context
    }

    public func runChecks(_ plan: Plan, _ context: CheckContext) async -> CheckResults {
        let evaluations = await evaluator.evaluate(plan.metrics, context: await contexts(context), at: context.time,
                                                   metricsServer: plan.metricsServer)
        let checksum = FlaggerChecksum.canary(trackedConfigs: trackedConfigs(context.target),
                                              lastAppliedSpec: context.canaryRevision ?? context.primaryRevision ?? "")
        var failures: [String] = []
        for result in await webhooks.call(.rollout, of: plan, phase: .progressing, checksum: checksum) where !result.passed {
            failures.append(result.message)
        }
        for result in await webhooks.call(.rollback, of: plan, phase: .progressing, checksum: checksum) where result.passed {
            failures.append("rollback webhook \(result.name) asked for a rollback")
        }
        return CheckResults(evaluations: evaluations, hookFailures: failures)
    }
}

/// Gates, fire-and-forget hooks and event hooks through `WebhookCaller`,
/// with Flagger's checksum of the rollout's status.
public struct WebhookHooks: HookRunner {
    let caller: WebhookCaller
    let trackedConfigs: @Sendable (WorkloadID) -> [String: String]?

    public init(caller: WebhookCaller = WebhookCaller(), trackedConfigs: @escaping @Sendable (WorkloadID) -> [String: String]? = { _ in nil }) {
        self.caller = caller
        self.trackedConfigs = trackedConfigs
    }

    func checksum(_ subject: HookSubject?) -> String {
        guard let subject else { return "" }
        return FlaggerChecksum.canary(trackedConfigs: trackedConfigs(subject.workload), lastAppliedSpec: subject.lastAppliedSpec ?? "")
    }

    public func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase) async -> (open: Bool, reason: String) {
        await ask(gate, plan, phase: phase, checksum: "")
    }

    public func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async -> (open: Bool, reason: String) {
        await ask(gate, plan, phase: phase, checksum: checksum(subject))
    }

    private func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase, checksum: String) async -> (open: Bool, reason: String) {
        guard let type = WebhookType(rawValue: gate.rawValue) else { return (true, "no such webhook type") }
        let results = await caller.call(type, of: plan, phase: phase, checksum: checksum)
        if gate == .rollback {
            // Any rollback hook answering 2xx asks for a rollback (Flagger).
            guard let hit = results.first(where: \.passed) else { return (false, "no rollback webhook answered 2xx") }
            return (true, "rollback webhook \(hit.name) asked for a rollback")
        }
        if let refusal = results.first(where: { !$0.passed }) { return (false, refusal.message) }
        return (true, results.isEmpty ? "no \(gate.rawValue) webhooks" : "every \(gate.rawValue) webhook answered 2xx")
    }

    public func fire(_ type: String, _ plan: Plan, phase: RolloutPhase) async {
        guard let type = WebhookType(rawValue: type) else { return }
        _ = await caller.call(type, of: plan, phase: phase, checksum: "")
    }

    public func fire(_ type: String, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async {
        guard let type = WebhookType(rawValue: type) else { return }
        _ = await caller.call(type, of: plan, phase: phase, checksum: checksum(subject))
    }

    public func event(_ message: String, warning: Bool, _ plan: Plan, phase: RolloutPhase, subject: HookSubject) async {
        _ = await caller.event(message, warning: warning, of: plan, phase: phase, checksum: checksum(subject))
    }
}

/// Notifications through `AlertSender`, to the providers in the manifests.
public struct AlertNotifier: Notifier {
    let sender: AlertSender
    let providers: [String: AlertProviderSpec]

    public init(providers: [String: AlertProviderSpec], sender: AlertSender = AlertSender()) {
        self.providers = providers
        self.sender = sender
    }

    public func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {
        _ = await sender.send(notification, of: plan, revision: revision, providers: providers)
    }
}
