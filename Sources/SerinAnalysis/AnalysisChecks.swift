import Synchronization
import SerinEngine
import SerinSpec

/// The checks of one tick, as Flagger runs them: every metric, every
/// `rollout` webhook (must answer 2xx) and every `rollback` webhook (a 2xx
/// answer rolls back), judged together by the rollout's `AnalysisRound`.
public final class AnalysisChecks: CheckRunner {
    private let evaluator: MetricEvaluator
    private let webhooks: WebhookCaller
    private let contexts: @Sendable (RolloutID) -> MetricQueries.Context
    private let rounds = Mutex<[RolloutID: AnalysisRound]>([:])
    private let errorLimit: Int

    public init(evaluator: MetricEvaluator, webhooks: WebhookCaller = WebhookCaller(), errorLimit: Int = 3,
                context: @escaping @Sendable (RolloutID) -> MetricQueries.Context) {
        self.evaluator = evaluator
        self.webhooks = webhooks
        self.errorLimit = errorLimit
        self.contexts = context
    }

    public func runChecks(_ plan: Plan, for rollout: RolloutID, at time: Double) async -> (CheckOutcome, [MetricEvaluation]) {
        let evaluations = await evaluator.evaluate(plan.metrics, context: contexts(rollout), at: time)
        let policies = Dictionary(plan.metrics.map { ($0.name, $0.onNoData) }, uniquingKeysWith: { first, _ in first })
        var outcome = rounds.withLock { rounds in
            var round = rounds[rollout] ?? AnalysisRound(errorLimit: errorLimit)
            let outcome = round.outcome(of: evaluations, policies: policies)
            rounds[rollout] = round
            return outcome
        }
        for result in await webhooks.call(.rollout, of: plan, phase: .progressing, checksum: "") where !result.passed {
            outcome = .failed(reason: result.message)
        }
        for result in await webhooks.call(.rollback, of: plan, phase: .progressing, checksum: "") where result.passed {
            outcome = .failed(reason: "rollback webhook \(result.name) asked for a rollback")
        }
        return (outcome, evaluations)
    }
}

/// Gates and fire-and-forget hooks through `WebhookCaller`.
public struct WebhookHooks: HookRunner {
    let caller: WebhookCaller

    public init(caller: WebhookCaller = WebhookCaller()) {
        self.caller = caller
    }

    public func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase) async -> (open: Bool, reason: String) {
        guard let type = WebhookType(rawValue: gate.rawValue) else { return (true, "no such webhook type") }
        let results = await caller.call(type, of: plan, phase: phase, checksum: "")
        if let refusal = results.first(where: { !$0.passed }) { return (false, refusal.message) }
        return (true, results.isEmpty ? "no \(gate.rawValue) webhooks" : "every \(gate.rawValue) webhook answered 2xx")
    }

    public func fire(_ type: String, _ plan: Plan, phase: RolloutPhase) async {
        guard let type = WebhookType(rawValue: type) else { return }
        _ = await caller.call(type, of: plan, phase: phase, checksum: "")
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
