import Logging
import SerinSpec

/// Drives one Canary's `RolloutMachine`: feeds it events, performs the
/// actions it returns through the platform, checks, hooks and notifier,
/// persists its state after every transition and writes decisions to the
/// event log. Actions run one at a time, in order.
public actor RolloutWorker<P: Platform> {
    public nonisolated let id: RolloutID
    /// The workload the Canary releases.
    public nonisolated let target: WorkloadID
    public private(set) var machine: RolloutMachine
    private let platform: P
    private let checks: any CheckRunner
    private let hooks: any HookRunner
    private let notifier: any Notifier
    private let store: StateStore
    private let log: EventLog
    private let logger: Logger
    /// Consecutive query errors per metric: saved with the state, so a
    /// restart does not forgive an outage.
    public private(set) var round: AnalysisRound
    /// The last evaluations, newest last, for the API and the CLI; saved
    /// with the state, so a restart keeps those of every saved decision.
    public private(set) var history = EvaluationHistory()
    public var evaluations: [MetricEvaluation] { history.evaluations }
    /// What the revisions the state names run: saved with the state, so a
    /// restarted operator can still start, promote or roll back them.
    public private(set) var revisions: [String: P.Revision] = [:]
    /// The author of the revision being released, for the audit trail.
    public private(set) var author: String?
    /// The notifications of the last decision saved, saved with it until
    /// they are delivered: a crash between the save and their entries in
    /// the event log would otherwise lose them (the decision stays, its
    /// record does not). Written to the log on restart where it does not
    /// hold them yet.
    private var outbox: [PendingNotice] = []
    private let queryErrorLimit: Int

    public struct Parts: Sendable {
        public var platform: P
        public var checks: any CheckRunner
        public var hooks: any HookRunner
        public var notifier: any Notifier
        public var store: StateStore
        public var log: EventLog
        /// Query errors in a row that count as a failed check.
        public var queryErrorLimit: Int
        public var logger: Logger

        public init(platform: P, checks: any CheckRunner, hooks: any HookRunner, notifier: any Notifier, store: StateStore,
                    log: EventLog, queryErrorLimit: Int = 3, logger: Logger = Logger(label: "serin.rollout")) {
            self.platform = platform
            self.checks = checks
            self.hooks = hooks
            self.notifier = notifier
            self.store = store
            self.log = log
            self.queryErrorLimit = queryErrorLimit
            self.logger = logger
        }
    }

    /// Resumes from the stored state when there is one.
    public init(id: RolloutID, target: WorkloadID, plan: Plan, parts: Parts) throws {
        self.id = id
        self.target = target
        let stored = try parts.store.load(StoredRollout<P.Revision>.self, key: id.key)
        machine = RolloutMachine(plan: plan, state: stored?.state ?? RolloutState())
        round = stored?.analysis ?? AnalysisRound(errorLimit: parts.queryErrorLimit)
        history = stored?.history ?? EvaluationHistory()
        revisions = stored?.revisions ?? [:]
        outbox = stored?.outbox ?? []
        queryErrorLimit = parts.queryErrorLimit
        platform = parts.platform
        checks = parts.checks
        hooks = parts.hooks
        notifier = parts.notifier
        store = parts.store
        log = parts.log
        var logger = parts.logger
        logger[metadataKey: "rollout"] = "\(id)"
        self.logger = logger
    }

    /// Reads the saved state again: the worker that ran the rollout before
    /// this one (under an earlier plan) may have saved after this one was
    /// made. Called once that worker has stopped, before this one acts.
    public func reload() throws {
        let stored = try store.load(StoredRollout<P.Revision>.self, key: id.key)
        machine = RolloutMachine(plan: machine.plan, state: stored?.state ?? RolloutState())
        round = stored?.analysis ?? AnalysisRound(errorLimit: queryErrorLimit)
        history = stored?.history ?? EvaluationHistory()
        revisions = stored?.revisions ?? [:]
        outbox = stored?.outbox ?? []
    }

    public var state: RolloutState { machine.state }

    /// What the runner needs to know to plan its next step, in one call.
    public struct Schedule: Sendable {
        public var waiting: RolloutState.Wait
        public var nextCheckAt: Double?
        /// `RolloutMachine.isAtRest`: no tick is needed.
        public var atRest: Bool
    }

    public var schedule: Schedule {
        Schedule(waiting: machine.state.waiting, nextCheckAt: machine.state.nextCheckAt, atRest: machine.isAtRest)
    }
    public var plan: Plan { machine.plan }

    /// Git holds `revision` for the workload: release it.
    @discardableResult
    public func release(_ revision: P.Revision, at time: Double) async throws -> [RolloutAction] {
        revisions[revision.id] = revision
        author = revision.origin.author
        var performed: [RolloutAction] = []
        if machine.state.primaryRevision == nil, !machine.plan.suspended, let running = await platform.adoptablePrimary(of: target) {
            // A primary runs already (Flagger made it, or the saved state is
            // gone): it is adopted, and Git's revision released against it.
            performed += try await send(.adopted(running, at: time))
            if running == revision.id {
                // It runs Git's revision: what goes with it is made so, idempotently (nothing restarts).
                try await platform.deployPrimary(revision)
            }
        }
        return performed + (try await send(.newRevision(revision.id, at: time)))
    }

    /// Handles an event and everything it leads to: answers of checks,
    /// gates and readiness are fed back until the machine waits.
    @discardableResult
    public func send(_ event: RolloutEvent) async throws -> [RolloutAction] {
        var performed: [RolloutAction] = []
        var queue = [event]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            if case .newRevision(let revision, let time) = next, revision != machine.state.canaryRevision,
               revision != machine.state.primaryRevision, revision != machine.state.failedRevision, !machine.plan.suspended {
                try await record(time, revision: revision, decision: "detected", reason: "new revision in Git")
                await hooks.event("New revision detected! Scaling up \(target.name).\(target.namespace)", warning: false, machine.plan,
                                  phase: machine.state.phase, subject: HookSubject(workload: target, lastAppliedSpec: revision))
            }
            let actions = machine.handle(next)
            outbox = actions.compactMap { action in
                guard case .notify(let notification) = action else { return nil }
                return PendingNotice(time: next.time, revision: subject(of: notification), notification: notification)
            }
            for action in actions {
                performed.append(action)
                if let followUp = try await perform(action, at: next.time) { queue.append(followUp) }
            }
        }
        return performed
    }

    /// The interval elapsed: readiness is reported (a level: ready when the
    /// machine waits for it, not ready while the canary is judged), then the tick.
    @discardableResult
    public func tick(at time: Double) async throws -> [RolloutAction] {
        var performed: [RolloutAction] = []
        if let readiness = await readinessEvent(at: time) {
            performed += try await send(readiness)
        } else if let canary = machine.state.canaryRevision, isJudging(machine.state), !machine.plan.suspended {
            // As Flagger's scheduler: an unready primary or canary halts the
            // analysis for this interval (no check, no step).
            if let primary = machine.state.primaryRevision, !(await platform.isReady(primary, as: .primary, of: target)) {
                return performed + (try await send(.primaryUnready("fewer of its replicas are ready than primaryReadyThreshold asks", at: time)))
            }
            if !(await platform.isReady(canary, as: .canary, of: target)) {
                return performed + (try await send(.canaryUnready("fewer of its replicas are ready than canaryReadyThreshold asks", at: time)))
            }
        }
        performed += try await send(.tick(at: time))
        return performed
    }

    /// Whether the canary runs and is being judged: it must stay ready.
    private func isJudging(_ state: RolloutState) -> Bool {
        guard state.phase == .progressing || state.phase == .waitingPromotion else { return false }
        switch state.waiting {
        case .canaryReady, .primaryReady, .nothing, .gate(.confirmRollout): return false
        default: return true
        }
    }

    /// The readiness the machine waits for, if the platform reports it now.
    public func readinessEvent(at time: Double) async -> RolloutEvent? {
        switch machine.state.waiting {
        case .canaryReady:
            guard let revision = machine.state.canaryRevision, await platform.isReady(revision, as: .canary, of: target) else { return nil }
            return .canaryReady(at: time)
        case .primaryReady:
            guard let revision = machine.state.phase == .initializing ? machine.state.primaryRevision : machine.state.canaryRevision,
                  await platform.isReady(revision, as: .primary, of: target) else { return nil }
            return .primaryReady(at: time)
        default:
            return nil
        }
    }

    /// After a restart, what the saved state says is running is made so
    /// again. The machine saves each decision before acting on it, so a
    /// crash can leave the action undone; every platform call is idempotent.
    public func reassert(at time: Double) async throws {
        try await deliverOutbox()
        if machine.planChangedMidRelease {
            // An edited Canary: its release starts over under the new plan.
            try await send(.planChanged(at: time))
            return
        }
        let state = machine.state
        let running = await platform.running(target)
        switch state.phase {
        case .initializing:
            if let primary = state.primaryRevision { try await platform.deployPrimary(try value(primary)) }
        case .waiting where state.waiting == .gate(.confirmRollout):
            break // the canary starts once confirm-rollout opens
        case .progressing, .waiting, .waitingPromotion:
            if let canary = state.canaryRevision {
                do {
                    try await platform.startCanary(try value(canary))
                } catch let failure as RevisionCannotStart {
                    try await send(.canaryCannotStart(failure.description, at: time))
                }
            }
        case .promoting where state.waiting == .primaryReady:
            // The promotion may not have happened: do it, or finish it.
            if let canary = state.canaryRevision, !(await platform.isReady(canary, as: .primary, of: target)) {
                if running.canary != nil {
                    try await platform.promote(try value(canary), keepingCanary: machine.promotionKeepsCanary)
                } else {
                    try await platform.deployPrimary(try value(canary))
                }
            }
        case .finalising, .succeeded, .failed, .initialized:
            if running.canary != nil && state.canaryRevision == nil || state.phase == .finalising {
                try await platform.scaleCanaryToZero(target)
            }
        default:
            break
        }
        // The machine's state, not `state`: a canary that cannot start has rolled back meanwhile.
        if machine.state.primaryRevision != nil { try await platform.setRoutes(machine.plan.trafficRoutes(machine.state.routes), for: target) }
    }

    /// The saved decision's notifications the event log lacks (the process
    /// ended between the save and them): written and sent now, once.
    func deliverOutbox() async throws {
        let pending = outbox
        outbox = []
        guard !pending.isEmpty else { return }
        let logged = await log.entries().filter { $0.rollout == id.description }
        for notice in pending where !logged.contains(where: { $0.time == notice.time && $0.decision == notice.notification.phase.rawValue }) {
            try await record(notice.time, revision: notice.revision, decision: notice.notification.phase.rawValue, reason: notice.notification.message)
            await notifier.notify(notice.notification, machine.plan, revision: notice.revision)
        }
    }

    private func value(_ revision: String) throws -> P.Revision {
        guard let value = revisions[revision] else {
            throw RolloutError("revision \(revision) of \(id) is not known any more; push it to Git again")
        }
        return value
    }

    /// Performs one action; returns the event that answers it, if any.
    private func perform(_ action: RolloutAction, at time: Double) async throws -> RolloutEvent? {
        let plan = machine.plan
        switch action {
        case .deployPrimary(let revision):
            try await platform.deployPrimary(try value(revision))
        case .startCanary(let revision):
            // Counters belong to their release.
            round = AnalysisRound(errorLimit: round.errorLimit)
            history.removeAll()
            do {
                try await platform.startCanary(try value(revision))
            } catch let failure as RevisionCannotStart {
                return .canaryCannotStart(failure.description, at: time)
            }
        case .scaleCanaryToZero:
            try await platform.scaleCanaryToZero(target)
        case .setRoutes(let routes):
            try await platform.setRoutes(plan.trafficRoutes(routes), for: target)
            let what = routes.matchToCanary ? "matching requests to the canary" : "canary weight \(routes.canaryWeight)"
                + (routes.mirrorWeight > 0 ? ", mirroring \(routes.mirrorWeight)%" : "")
            await hooks.event("Advance \(id.name).\(id.namespace) \(what)", warning: false, plan, phase: machine.state.phase, subject: subject)
        case .runChecks:
            let context = CheckContext(rollout: id, target: target, primaryRevision: machine.state.primaryRevision,
                                       canaryRevision: machine.state.canaryRevision, time: time)
            let results = await checks.runChecks(plan, context)
            let policies = Dictionary(plan.metrics.map { ($0.name, $0.onNoData) }, uniquingKeysWith: { first, _ in first })
            var outcome = round.outcome(of: results.evaluations, policies: policies)
            if !results.hookFailures.isEmpty { outcome = .failed(reason: results.hookFailures.joined(separator: "; ")) }
            history.append(results.evaluations)
            return .checks(outcome, at: time)
        case .askGate(let kind):
            let answer = await hooks.ask(kind, plan, phase: machine.state.phase, subject: subject)
            return .gate(kind, open: answer.open, reason: answer.reason, at: time)
        case .callWebhooks(let type):
            await hooks.fire(type, plan, phase: machine.state.phase, subject: subject)
        case .promote(let revision, let keepingCanary):
            try await platform.promote(try value(revision), keepingCanary: keepingCanary)
        case .notify(let notification):
            let revision = subject(of: notification)
            logger.info("\(notification.phase.rawValue): \(notification.message)",
                        metadata: ["revision": "\(revision ?? "-")", "phase": "\(notification.phase.rawValue)", "step": "\(machine.state.step)"])
            try await record(time, revision: revision, decision: notification.phase.rawValue, reason: notification.message)
            await notifier.notify(notification, plan, revision: revision)
            await hooks.event(notification.message, warning: notification.severity != .info, plan, phase: notification.phase, subject: subject)
            // Delivered: the saved outbox is emptied once the decision's last
            // notification is out, so a restart reads the event log only
            // after a crash in that window (a few per release, phase changes only).
            let pending = outbox.count
            outbox.removeAll { $0.time == time && $0.notification == notification }
            if pending > 0 && outbox.isEmpty { try await save() }
        case .persist:
            let state = machine.state.settled
            let referenced = Set([state.primaryRevision, state.canaryRevision, state.pendingRevision, state.failedRevision].compactMap { $0 })
            revisions = revisions.filter { referenced.contains($0.key) }
            try await save()
        }
        return nil
    }

    /// Flagger's checksum inputs: the revision being released, else the primary's.
    private var subject: HookSubject {
        HookSubject(workload: target, lastAppliedSpec: machine.state.canaryRevision ?? machine.state.primaryRevision)
    }

    /// The settled state with what goes with it, and the outbox while it holds anything.
    private func save() async throws {
        try await store.saveOffPool(StoredRollout(state: machine.state.settled, analysis: round, history: history, revisions: revisions,
                                                  outbox: outbox.isEmpty ? nil : outbox), as: id.key)
    }

    /// The revision a notification is about: the one rolled back, what the
    /// primary runs after a success (the promoted revision, or the one Git
    /// went back to), else the one being released. Not simply the canary:
    /// a failure has stopped it, and a revision that waited for a promotion
    /// is already the canary when that promotion's success is announced.
    private func subject(of notification: RolloutNotification) -> String? {
        let state = machine.state
        switch notification.phase {
        case .failed: return state.failedRevision ?? state.primaryRevision
        case .succeeded, .initializing, .initialized: return state.primaryRevision
        default: return state.canaryRevision ?? state.primaryRevision
        }
    }

    private func record(_ time: Double, revision: String?, decision: String, reason: String) async throws {
        let origin = revision.flatMap { revisions[$0]?.origin }
        try await log.append(.init(time: time, rollout: id.description, revision: revision, author: origin.map(\.author) ?? author,
                             commit: origin?.commit, decision: decision, reason: reason))
    }

    /// Carries out a person's command (`caller`: who, when known); the
    /// result says whether it was refused.
    public func command(_ command: RolloutCommand, by caller: String? = nil, at time: Double) async throws -> RolloutMachine.CommandResult {
        try await send(.command(command, by: caller, at: time))
        return machine.lastCommandResult
    }
}

/// What is saved per rollout.
public struct StoredRollout<Revision: PlatformRevision>: Sendable, Codable, Equatable {
    public var state: RolloutState
    public var analysis: AnalysisRound
    /// The last evaluations, newest last; nil in files written before they were kept.
    public var history: EvaluationHistory?
    /// What the revisions `state` names run; nil in files written before they were kept.
    public var revisions: [String: Revision]?
    /// The notifications of the decision saved, until the event log holds them.
    public var outbox: [PendingNotice]?

    public init(state: RolloutState, analysis: AnalysisRound, history: EvaluationHistory?, revisions: [String: Revision]?,
                outbox: [PendingNotice]? = nil) {
        self.state = state
        self.analysis = analysis
        self.history = history
        self.revisions = revisions
        self.outbox = outbox
    }

    public var evaluations: [MetricEvaluation]? { history?.evaluations }

    enum CodingKeys: String, CodingKey {
        case state, analysis, history, revisions, outbox
        /// Files written before the history was compact hold every evaluation whole.
        case evaluations
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(RolloutState.self, forKey: .state)
        analysis = try container.decode(AnalysisRound.self, forKey: .analysis)
        if let history = try container.decodeIfPresent(EvaluationHistory.self, forKey: .history) {
            self.history = history
        } else {
            history = try container.decodeIfPresent([MetricEvaluation].self, forKey: .evaluations).map { EvaluationHistory($0) }
        }
        revisions = try container.decodeIfPresent([String: Revision].self, forKey: .revisions)
        outbox = try container.decodeIfPresent([PendingNotice].self, forKey: .outbox)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(analysis, forKey: .analysis)
        try container.encodeIfPresent(history, forKey: .history)
        try container.encodeIfPresent(revisions, forKey: .revisions)
        try container.encodeIfPresent(outbox, forKey: .outbox)
    }
}

/// A notification of a saved decision, with what its event-log entry needs.
public struct PendingNotice: Sendable, Codable, Equatable {
    public var time: Double
    public var revision: String?
    public var notification: RolloutNotification

    public init(time: Double, revision: String?, notification: RolloutNotification) {
        self.time = time
        self.revision = revision
        self.notification = notification
    }
}

public struct RolloutError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
