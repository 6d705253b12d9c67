import SerinSpec

/// Drives one Canary's `RolloutMachine`: feeds it events, performs the
/// actions it returns through the platform, router, checks, hooks and
/// notifier, persists its state after every transition and writes
/// decisions to the event log. Actions run one at a time, in order.
public actor RolloutWorker {
    public nonisolated let id: RolloutID
    public private(set) var machine: RolloutMachine
    private let platform: any WorkloadPlatform
    private let router: any TrafficRouter
    private let checks: any CheckRunner
    private let hooks: any HookRunner
    private let notifier: any Notifier
    private let store: StateStore
    private let log: EventLog
    /// Consecutive query errors per metric: saved with the state, so a
    /// restart does not forgive an outage.
    public private(set) var round: AnalysisRound
    /// The last evaluations, newest last, for the API and the CLI; saved
    /// with the state, so a restart keeps those of every saved decision.
    public private(set) var evaluations: [MetricEvaluation] = []
    public var historyLimit = 50
    /// The author of the revision being released, for the audit trail.
    public var author: String?

    public struct Parts: Sendable {
        public var platform: any WorkloadPlatform
        public var router: any TrafficRouter
        public var checks: any CheckRunner
        public var hooks: any HookRunner
        public var notifier: any Notifier
        public var store: StateStore
        public var log: EventLog
        /// Query errors in a row that count as a failed check.
        public var queryErrorLimit: Int

        public init(platform: any WorkloadPlatform, router: any TrafficRouter, checks: any CheckRunner, hooks: any HookRunner,
                    notifier: any Notifier, store: StateStore, log: EventLog, queryErrorLimit: Int = 3) {
            self.queryErrorLimit = queryErrorLimit
            self.platform = platform
            self.router = router
            self.checks = checks
            self.hooks = hooks
            self.notifier = notifier
            self.store = store
            self.log = log
        }
    }

    /// Resumes from the stored state when there is one.
    public init(id: RolloutID, plan: Plan, parts: Parts) throws {
        self.id = id
        let stored = try parts.store.load(StoredRollout.self, key: id.key)
        machine = RolloutMachine(plan: plan, state: stored?.state ?? RolloutState())
        round = stored?.analysis ?? AnalysisRound(errorLimit: parts.queryErrorLimit)
        evaluations = stored?.evaluations ?? []
        platform = parts.platform
        router = parts.router
        checks = parts.checks
        hooks = parts.hooks
        notifier = parts.notifier
        store = parts.store
        log = parts.log
    }

    public var state: RolloutState { machine.state }

    /// Handles an event and everything it leads to: answers of checks,
    /// gates and readiness are fed back until the machine waits.
    @discardableResult
    public func send(_ event: RolloutEvent) async throws -> [RolloutAction] {
        var performed: [RolloutAction] = []
        var queue = [event]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            if case .newRevision(let revision, let time) = next, revision != machine.state.canaryRevision,
               revision != machine.state.primaryRevision, revision != machine.state.failedRevision {
                try record(time, revision: revision, decision: "detected", reason: "new revision in Git")
            }
            for action in machine.handle(next) {
                performed.append(action)
                if let followUp = try await perform(action, at: next.time) { queue.append(followUp) }
            }
        }
        return performed
    }

    /// The interval elapsed: readiness is reported (a level), then the tick.
    @discardableResult
    public func tick(at time: Double) async throws -> [RolloutAction] {
        var performed: [RolloutAction] = []
        switch machine.state.waiting {
        case .canaryReady where await platform.isCanaryReady(for: id):
            performed += try await send(.canaryReady(at: time))
        case .primaryReady:
            if let revision = machine.state.phase == .initializing ? machine.state.primaryRevision : machine.state.canaryRevision,
               await platform.isPrimaryReady(revision, for: id) {
                performed += try await send(.primaryReady(at: time))
            }
        default:
            break
        }
        performed += try await send(.tick(at: time))
        return performed
    }

    /// Performs one action; returns the event that answers it, if any.
    private func perform(_ action: RolloutAction, at time: Double) async throws -> RolloutEvent? {
        let plan = machine.plan
        switch action {
        case .deployPrimary(let revision):
            try await platform.deployPrimary(revision, for: id)
        case .startCanary(let revision):
            try await platform.startCanary(revision, for: id)
        case .scaleCanaryToZero:
            try await platform.scaleCanaryToZero(for: id)
        case .setRoutes(let routes):
            try await router.setRoutes(routes, for: id)
        case .runChecks:
            let results = await checks.runChecks(plan, for: id, at: time)
            let policies = Dictionary(plan.metrics.map { ($0.name, $0.onNoData) }, uniquingKeysWith: { first, _ in first })
            var outcome = round.outcome(of: results.evaluations, policies: policies)
            if !results.hookFailures.isEmpty { outcome = .failed(reason: results.hookFailures.joined(separator: "; ")) }
            evaluations += results.evaluations
            if evaluations.count > historyLimit { evaluations.removeFirst(evaluations.count - historyLimit) }
            return .checks(outcome, at: time)
        case .askGate(let kind):
            let answer = await hooks.ask(kind, plan, phase: machine.state.phase)
            return .gate(kind, open: answer.open, reason: answer.reason, at: time)
        case .callWebhooks(let type):
            await hooks.fire(type, plan, phase: machine.state.phase)
        case .promote(let revision):
            try await platform.promote(revision, for: id)
        case .notify(let notification):
            try record(time, revision: machine.state.canaryRevision ?? machine.state.primaryRevision,
                       decision: notification.phase.rawValue, reason: notification.message)
            await notifier.notify(notification, plan, revision: machine.state.canaryRevision ?? machine.state.primaryRevision)
        case .persist:
            try await store.saveOffPool(StoredRollout(state: machine.state.settled, analysis: round, evaluations: evaluations), as: id.key)
        }
        return nil
    }

    private func record(_ time: Double, revision: String?, decision: String, reason: String) throws {
        try log.append(.init(time: time, rollout: id.description, revision: revision, author: author, decision: decision, reason: reason))
    }

    /// Who committed the revision being released, for the event log.
    public func setAuthor(_ author: String?) { self.author = author }

    public func platformIsCanaryReady() async -> Bool { await platform.isCanaryReady(for: id) }
    public func platformIsPrimaryReady(_ revision: String) async -> Bool { await platform.isPrimaryReady(revision, for: id) }

    /// Carries out a person's command; the result says whether it was refused.
    public func command(_ command: RolloutCommand, at time: Double) async throws -> RolloutMachine.CommandResult {
        try await send(.command(command, at: time))
        return machine.lastCommandResult
    }
}

/// What is saved per rollout.
public struct StoredRollout: Sendable, Codable, Equatable {
    public var state: RolloutState
    public var analysis: AnalysisRound
    /// The last evaluations, newest last; nil in files written before they were kept.
    public var evaluations: [MetricEvaluation]?
}
