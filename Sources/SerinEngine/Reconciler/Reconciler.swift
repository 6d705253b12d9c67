import Foundation
import Logging
import SerinSpec

/// Turns each source's desired state into what runs, on one platform: per
/// workload, a first deploy, a progressive release (a Canary), a plain
/// replacement, or a prune. Every rollout runner and deploy is a child task
/// of `run()`, so cancelling it stops them all and waits for them.
///
/// It knows platforms only through `Platform`; what the Canary's checks,
/// hooks and notifications go through is given in `Parts`.
public actor Reconciler<P: Platform, C: Clock> where C.Duration == Duration {
    public struct Parts: Sendable {
        public var platform: P
        public var checks: any CheckRunner
        public var hooks: any HookRunner
        public var notifier: any Notifier
        public var store: StateStore
        public var log: EventLog
        /// Where the reconciler keeps what each source declared.
        public var stateDirectory: String
        /// The sources configured now: what only a dropped source declared is
        /// pruned once every configured one has been applied.
        public var sources: Set<String>
        /// Sources whose workloads are never pruned (`prune: false`): what
        /// leaves their Git, or all of theirs once they leave the configuration, keeps running.
        public var keep: Set<String> = []
        /// How often a runner looks at readiness between the platform's
        /// reports; nil, or a platform whose reports are complete
        /// (`Platform.reportsEveryReadinessChange`): only the reports and
        /// each tick.
        public var pollInterval: Duration?
        public var clock: C
        /// Seconds since 1970, for the audit trail and statuses: the wall
        /// clock, or a test's, beside `clock`.
        public var wallClock: @Sendable () -> Double
        public var logger: Logger

        public init(platform: P, checks: any CheckRunner, hooks: any HookRunner, notifier: any Notifier, store: StateStore, log: EventLog,
                    stateDirectory: String, sources: Set<String>, pollInterval: Duration?, clock: C,
                    wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                    logger: Logger = Logger(label: "serin.reconciler")) {
            self.wallClock = wallClock
            self.platform = platform
            self.checks = checks
            self.hooks = hooks
            self.notifier = notifier
            self.store = store
            self.log = log
            self.stateDirectory = stateDirectory
            self.sources = sources
            self.pollInterval = pollInterval
            self.clock = clock
            self.logger = logger
        }
    }

    /// A workload released without a Canary: the revision being deployed,
    /// and the mailbox that wakes (or ends) its deploy.
    private struct PlainDeploy {
        var revision: String
        var mailbox: Mailbox<Void>
    }

    private let parts: Parts
    private var platform: P { parts.platform }
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let jobQueue: AsyncStream<@Sendable () async -> Void>.Continuation
    private var runners: [RolloutID: RolloutRunner<P, C>] = [:] {
        didSet { runnersByTarget = nil }
    }
    /// The runners of each workload, for readiness reports: built again
    /// after `runners` changed, so a report costs a lookup, not a scan.
    private var runnersByTarget: [WorkloadID: [RolloutRunner<P, C>]]?
    /// Steps every runner from one task.
    private let scheduler: RolloutScheduler<C>
    private var plainDeploys: [WorkloadID: PlainDeploy] = [:]
    /// The Canaries each source declares now.
    private var canaries: [String: Set<RolloutID>] = [:]
    /// The workloads each source declared last, kept in the state directory
    /// so that a workload removed from Git while the operator was down is
    /// still pruned when its source next syncs.
    private var declared: [String: Set<WorkloadID>]
    /// Sources applied since this reconciler started.
    private var applied: Set<String> = []
    /// What each source's revision in force declares, as the platform took
    /// it, for `workloads()`.
    private var selections: [String: Selection] = [:]
    /// The conditions last shown per workload, so a transition keeps its time.
    private var workloadConditions: [WorkloadID: [Condition]] = [:]
    /// Each source's desired state last applied: applied again when the
    /// platform reports a change outside Git it depends on.
    private var lastDesired: [String: DesiredState] = [:]
    /// What was last recorded of each source's refusals and notes, so that
    /// applying the same state again does not repeat them in the audit trail.
    private var recordedRemarks: [String: Set<String>] = [:]

    private struct Selection {
        /// The source's revision it was taken from.
        var source: String
        var revisions: [P.Revision]
        var refused: [(resource: ResourceKey, reason: String)]
        var canaries: [WorkloadID: RolloutID]
    }

    public init(parts: Parts) {
        self.parts = parts
        (jobs, jobQueue) = AsyncStream.makeStream()
        scheduler = RolloutScheduler(clock: parts.clock)
        declared = [:]
        do {
            declared = try Self.loadDeclared(Self.declaredPath(parts.stateDirectory))
        } catch {
            // Nothing is pruned on a guess: a workload that left Git while
            // the operator was down stays until its source declares again.
            declaredUnreadable = "\(error)"
        }
    }

    /// Why `declared.json` could not be read, until it is written again.
    private var declaredUnreadable: String?

    // MARK: running

    /// Adopts what runs from before a restart.
    public func start() async throws {
        let report = try await platform.restore()
        record(rollout: "-", revision: nil, "started", report)
        if let declaredUnreadable {
            record(rollout: "-", revision: nil, "error", "what each source declared before the restart is unreadable (\(declaredUnreadable)); "
                + "workloads removed from Git meanwhile are pruned once their source is applied again")
        }
    }

    /// Runs every rollout and deploy, and passes the platform's readiness
    /// changes on, until cancelled. Cancelling stops the runners and leaves
    /// the workloads as they are.
    public func run() async {
        let readiness = platform.readinessChanges()
        let scheduler = self.scheduler
        await withDiscardingTaskGroup { group in
            group.addTask { await scheduler.run() }
            group.addTask {
                for await change in readiness { await self.readinessChanged(change) }
            }
            for await job in jobs {
                group.addTask { await job() }
            }
        }
    }

    private func readinessChanged(_ change: ReadinessChange) {
        if runnersByTarget == nil { runnersByTarget = Dictionary(grouping: runners.values, by: \.target) }
        for runner in runnersByTarget?[change.workload] ?? [] { runner.readinessChanged() }
        plainDeploys[change.workload]?.mailbox.send(())
    }

    // MARK: reconciling

    /// A new valid revision of one source: make what it declares so.
    public func apply(_ desired: DesiredState) async {
        let selection: PlatformSelection<P.Revision>
        do {
            selection = try await platform.revisions(in: desired)
        } catch {
            record(rollout: "-", revision: desired.revision, "error", "cannot read the workloads of \(desired.revision): \(error)")
            return
        }
        lastDesired[desired.source] = desired
        var remarks: Set<String> = []
        for refusal in selection.refused {
            let remark = "unsupported \(refusal.resource) \(refusal.reason)"
            remarks.insert(remark)
            if recordedRemarks[desired.source]?.contains(remark) != true {
                record(rollout: refusal.resource.description, revision: desired.revision, "unsupported", refusal.reason)
            }
        }
        for note in selection.notes {
            let remark = "note \(note.resource) \(note.note)"
            remarks.insert(remark)
            if recordedRemarks[desired.source]?.contains(remark) != true {
                record(rollout: note.resource.description, revision: desired.revision, "note", note.note)
            }
        }
        recordedRemarks[desired.source] = remarks
        canaries[desired.source] = Set(desired.manifests.canaries.map { RolloutID(namespace: $0.namespace, name: $0.name) })
        var targets: [WorkloadID: RolloutID] = [:]
        for revision in selection.revisions {
            if let canary = desired.canary(for: revision.workload, kinds: platform.targetKinds)?.canary {
                targets[revision.workload] = RolloutID(namespace: canary.namespace, name: canary.name)
            }
        }
        selections[desired.source] = Selection(source: desired.revision, revisions: selection.revisions, refused: selection.refused, canaries: targets)
        var wanted: Set<WorkloadID> = []
        for revision in selection.revisions {
            wanted.insert(revision.workload)
            if let (canary, plan) = desired.canary(for: revision.workload, kinds: platform.targetKinds) {
                release(revision, with: plan, canary: RolloutID(namespace: canary.namespace, name: canary.name))
            } else {
                deployPlain(revision)
            }
        }
        // A Canary removed from Git stops steering its workload (which is now
        // released without one); its saved state stays for the record.
        let declaredCanaries = canaries.values.reduce(into: Set<RolloutID>()) { $0.formUnion($1) }
        for (id, runner) in runners where !declaredCanaries.contains(id) {
            runner.stop()
            runners[id] = nil
            record(rollout: id.description, revision: nil, "unmanaged", "the Canary left Git; \(runner.target.name) is released without one: "
                   + "it takes over from \(runner.target.name)-primary (with revertOnDeletion the Canary's finalizer holds it until then)")
        }
        // Pruned: what this source declared before and no source declares now.
        let elsewhere = declared.filter { $0.key != desired.source }.values.reduce(into: Set<WorkloadID>()) { $0.formUnion($1) }
        for removed in (declared[desired.source] ?? []).subtracting(wanted).subtracting(elsewhere).sorted() {
            if parts.keep.contains(desired.source) {
                record(rollout: removed.description, revision: desired.revision, "kept", "\(removed) left Git; \(desired.source) says prune: false")
                continue
            }
            await prune(removed)
        }
        declared[desired.source] = wanted
        applied.insert(desired.source)
        await pruneDroppedSources()
        saveDeclared()
    }

    /// Every source's last desired state, applied again: something outside
    /// Git it depends on changed (a target another tool owns, a config, a
    /// Canary deleted in the cluster). Nothing is released that did not change.
    public func reapply() async {
        for source in lastDesired.keys.sorted() {
            guard let desired = lastDesired[source] else { continue }
            await apply(desired)
        }
    }

    private func release(_ revision: P.Revision, with plan: Plan, canary id: RolloutID) {
        if let plain = plainDeploys.removeValue(forKey: revision.workload) { plain.mailbox.close() }
        var predecessor: RolloutRunner<P, C>?
        if let runner = runners[id], runner.plan != plan || runner.target != revision.workload {
            // A changed Canary: the rollout continues from its saved state under the new plan.
            runner.stop()
            runners[id] = nil
            predecessor = runner
        }
        if runners[id] == nil {
            do {
                let worker = try RolloutWorker(id: id, target: revision.workload, plan: plan, parts: .init(
                    platform: platform, checks: parts.checks, hooks: parts.hooks, notifier: parts.notifier,
                    store: parts.store, log: parts.log, logger: parts.logger))
                let log = parts.log, logger = parts.logger, now = parts.wallClock, scheduler = self.scheduler
                let poll = platform.reportsEveryReadinessChange ? nil : parts.pollInterval
                let runner = RolloutRunner(worker: worker, plan: plan, scheduler: scheduler, pollInterval: poll, clock: parts.clock,
                                           wallClock: now, logger: logger) { message in
                    Self.append(log, logger, .init(time: now(), rollout: id.description, revision: nil, author: nil,
                                                   decision: "error", reason: message))
                }
                runners[id] = runner
                let predecessor = predecessor
                jobQueue.yield {
                    do {
                        // One owner per rollout: the runner it replaces acts and
                        // saves until its job returns; this one starts from what it saved.
                        if let predecessor {
                            await predecessor.finished.wait()
                            try await worker.reload()
                        }
                        try await runner.reassert()
                    } catch {
                        Self.append(log, logger, .init(time: now(), rollout: id.description, revision: nil, author: nil,
                                                       decision: "error", reason: "cannot restore what the saved state runs: \(error)"))
                    }
                    // From here the scheduler steps it; `finished` opens once it is stopped.
                    scheduler.start(runner)
                }
            } catch {
                record(rollout: id.description, revision: revision.id, "error", "cannot start the rollout: \(error)")
                return
            }
        }
        runners[id]?.submit(.release(revision))
    }

    /// A workload without a Canary is replaced safely: the platform starts
    /// the new revision and keeps the old one until the new one is ready.
    private func deployPlain(_ revision: P.Revision) {
        if plainDeploys[revision.workload]?.revision == revision.id { return }
        plainDeploys[revision.workload]?.mailbox.close()
        let mailbox = Mailbox<Void>()
        plainDeploys[revision.workload] = PlainDeploy(revision: revision.id, mailbox: mailbox)
        let platform = self.platform, log = parts.log, logger = parts.logger, clock = parts.clock, now = parts.wallClock
        jobQueue.yield {
            if await platform.running(revision.workload).primary == revision.id { return }
            let entry = { (decision: String, reason: String) in
                Self.append(log, logger, .init(time: now(), rollout: revision.workload.description, revision: revision.id,
                                               author: revision.origin.author, commit: revision.origin.commit, decision: decision, reason: reason))
            }
            do {
                try await platform.deployPrimary(revision)
                // A first deploy returns once started; "deployed" means serving.
                while !(await platform.isReady(revision.id, as: .primary, of: revision.workload)) {
                    guard await mailbox.take(waitingAtMost: .milliseconds(250), on: clock) != nil else { return }
                }
                entry("deployed", "serving without a Canary")
            } catch {
                entry("error", "\(error)")
            }
        }
    }

    /// A source taken out of the configuration: once every configured
    /// source has said what it declares, what only the dropped one declared
    /// is pruned (before then, a workload that moved to another source could
    /// be stopped and started again).
    private func pruneDroppedSources() async {
        guard parts.sources.isSubset(of: applied) else { return }
        let kept = declared.filter { parts.sources.contains($0.key) }.values.reduce(into: Set<WorkloadID>()) { $0.formUnion($1) }
        for (source, workloads) in declared where !parts.sources.contains(source) {
            for workload in workloads.subtracting(kept).sorted() {
                if parts.keep.contains(source) {
                    record(rollout: workload.description, revision: nil, "kept", "source \(source) left the configuration with prune: false")
                } else {
                    await prune(workload)
                }
            }
            declared[source] = nil
            canaries[source] = nil
            selections[source] = nil
            lastDesired[source] = nil
            recordedRemarks[source] = nil
        }
    }

    private func prune(_ workload: WorkloadID) async {
        var stopped: [RolloutRunner<P, C>] = []
        for (id, runner) in runners where runner.target == workload {
            runner.stop()
            runners[id] = nil
            stopped.append(runner)
        }
        // A stopping runner may still be starting what is about to be removed.
        for runner in stopped { await runner.finished.wait() }
        plainDeploys.removeValue(forKey: workload)?.mailbox.close()
        do {
            try await platform.remove(workload)
            record(rollout: workload.name, revision: nil, "pruned", "\(workload.name) is no longer in Git")
        } catch {
            record(rollout: workload.name, revision: nil, "error", "cannot prune \(workload): \(error)")
        }
    }

    // MARK: what each source declared

    private static func declaredPath(_ stateDirectory: String) -> String { stateDirectory + "/operator/declared.json" }

    /// Names without a namespace (written before workloads had one) are in the default namespace.
    private static func loadDeclared(_ path: String) throws -> [String: Set<WorkloadID>] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        do {
            return try JSONDecoder().decode([String: [String]].self, from: data).mapValues { Set($0.map(WorkloadID.init(parsing:))) }
        } catch {
            throw StateFileError(path: path, reason: "\(error)")
        }
    }

    private func saveDeclared() {
        let path = Self.declaredPath(parts.stateDirectory)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try DurableFile.replace(path, with: try encoder.encode(declared.mapValues { $0.sorted().map(\.description) }))
            declaredUnreadable = nil
        } catch {
            record(rollout: "-", revision: nil, "error", "cannot record the declared workloads in \(path): \(error)")
        }
    }

    // MARK: the audit trail

    func record(rollout: String, revision: String?, _ decision: String, _ reason: String) {
        Self.append(parts.log, parts.logger, .init(time: parts.wallClock(), rollout: rollout, revision: revision, author: nil,
                                                   decision: decision, reason: reason))
    }

    /// A decision that cannot be written is still reported, to the log.
    static func append(_ log: EventLog, _ logger: Logger, _ entry: EventLog.Entry) {
        // Written in order on the log's own queue, not waited for here.
        log.post(entry) { error in
            logger.error("audit trail not written: \(error)", metadata: [
                "rollout": "\(entry.rollout)", "decision": "\(entry.decision)", "reason": "\(entry.reason)",
            ])
        }
        logger.info("\(entry.decision): \(entry.reason)", metadata: ["rollout": "\(entry.rollout)", "revision": "\(entry.revision ?? "-")"])
    }

    // MARK: how a revision's release stands

    /// How the release of `desired` stands here: released once every
    /// Canary of it promoted its revision and every workload without one
    /// runs it; failed once a Canary rolled its revision back; releasing
    /// otherwise (with what it waits for). What a source's waves ask
    /// before the next wave gets the revision.
    public func release(of desired: DesiredState) async -> ReleaseState {
        guard let selection = selections[desired.source], selection.source == desired.revision else {
            return .releasing("\(desired.revision) is not applied yet")
        }
        var waiting: [String] = []
        for revision in selection.revisions {
            if let id = selection.canaries[revision.workload] {
                guard let runner = runners[id] else {
                    waiting.append("Canary \(id) has not started")
                    continue
                }
                let state = await runner.worker.state
                if state.phase == .failed, state.failedRevision == revision.id {
                    return .failed("Canary \(id) rolled \(revision.id) back: \(state.message)")
                }
                let settled: Set<RolloutPhase> = [.initialized, .succeeded]
                if state.primaryRevision != revision.id || state.canaryRevision != nil || !settled.contains(state.phase) {
                    waiting.append("Canary \(id) is \(state.phase.rawValue) at \(state.routes.canaryWeight)%")
                }
            } else if await platform.running(revision.workload).primary != revision.id {
                waiting.append("\(revision.workload) does not run it yet")
            }
        }
        guard let first = waiting.first else { return .released }
        return .releasing(first + (waiting.count > 1 ? " (and \(waiting.count - 1) more)" : ""))
    }

    // MARK: what the API shows

    public var rolloutIDs: [RolloutID] { runners.keys.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) } }

    /// `namespace/name`, or a bare name that only one rollout has.
    public func runner(named text: String) -> RolloutRunner<P, C>? {
        if text.contains("/") { return runners[RolloutID(parsing: text)] }
        let matches = runners.filter { $0.key.name == text }
        return matches.count == 1 ? matches.first?.value : nil
    }

    public func status(of text: String, eventLimit: Int) async -> RolloutStatus? {
        guard let runner = runner(named: text) else { return nil }
        let state = await runner.worker.state
        let evaluations = await runner.worker.evaluations
        let events = eventLimit == 0 ? [] : Array(await parts.log.entries().filter { $0.rollout == runner.id.description }.suffix(eventLimit))
        var status = RolloutStatus(name: runner.id.name, namespace: runner.id.namespace, workload: runner.target.name, phase: state.phase,
                                   canaryWeight: state.routes.canaryWeight, mirrorWeight: state.routes.mirrorWeight,
                                   failedChecks: state.failedChecks, step: state.step, stepCount: runner.plan.steps.count,
                                   primaryRevision: state.primaryRevision, canaryRevision: state.canaryRevision, message: state.message,
                                   plan: runner.plan.stepDescriptions, evaluations: evaluations, events: events,
                                   threshold: runner.plan.threshold)
        status.iterations = Self.iterations(runner.plan, state)
        status.suspended = runner.plan.suspended ? true : nil
        return status
    }

    /// Flagger's iterations: the analyses passed so far in a blue/green or
    /// A/B release; a weighted canary counts none.
    static func iterations(_ plan: Plan, _ state: RolloutState) -> Int {
        guard plan.strategy != .canary, state.canaryRevision != nil else { return 0 }
        var passed = 0
        for (index, step) in plan.steps.enumerated() where index < state.step {
            if case .analyze(let ticks) = step { passed += ticks }
        }
        return passed + state.passedTicks
    }

    /// Every workload the sources' revisions in force declare, with how it
    /// stands on the platform, and what the platform refused to run.
    public func workloads() async -> [WorkloadStatusReport] {
        let now = parts.wallClock()
        var reports: [WorkloadStatusReport] = []
        for (source, selection) in selections.sorted(by: { $0.key < $1.key }) {
            for revision in selection.revisions.sorted(by: { $0.workload < $1.workload }) {
                let workload = revision.workload
                let health = await platform.health(of: workload)
                let running = await platform.running(workload)
                var conditions = workloadConditions[workload] ?? []
                for condition in Self.conditions(health, running: running, desired: revision.id, now: now) { conditions.set(condition) }
                if running.primary == revision.id && running.canary == nil { conditions.remove(type: "Reconciling") }
                workloadConditions[workload] = conditions
                reports.append(WorkloadStatusReport(
                    name: workload.name, namespace: workload.namespace, kind: revision.targetKind, source: source, primaryRevision: running.primary,
                    desiredRevision: revision.id, replicas: health.replicas, readyReplicas: health.readyReplicas,
                    canaryRevision: running.canary, rollout: selection.canaries[workload]?.description, port: health.port,
                    conditions: conditions))
            }
            for (resource, reason) in selection.refused.sorted(by: { $0.resource.description < $1.resource.description }) {
                reports.append(WorkloadStatusReport(
                    name: resource.name, namespace: resource.namespace, kind: resource.kind, source: source, primaryRevision: nil,
                    desiredRevision: nil, replicas: 0, readyReplicas: 0, canaryRevision: nil, rollout: nil, port: nil,
                    conditions: [Condition(type: "Ready", status: .false, reason: "UnsupportedPlatform",
                                           message: "\(resource.kind) \(resource.namespace)/\(resource.name) \(reason)", lastTransitionTime: now)]))
            }
        }
        return reports
    }

    /// `Ready` from the replicas and the platform's problem, if any;
    /// `Reconciling` while the primary does not run what Git declares.
    static func conditions(_ health: WorkloadHealth, running: RunningRevisions, desired: String, now: Double) -> [Condition] {
        let replicas = "\(health.readyReplicas)/\(health.replicas) primary replicas ready"
            + (running.canary == nil ? "" : "; canary \(health.canaryReadyReplicas)/\(health.canaryReplicas)")
        let ready: Condition
        if let problem = health.problem {
            ready = Condition(type: "Ready", status: .false, reason: problem.reason, message: problem.message, lastTransitionTime: now)
        } else if running.primary == nil {
            ready = Condition(type: "Ready", status: .unknown, reason: "Progressing", message: "starting its first revision", lastTransitionTime: now)
        } else if health.replicas == 0 || health.readyReplicas < health.replicas {
            ready = Condition(type: "Ready", status: .false, reason: "ReplicasNotReady", message: replicas, lastTransitionTime: now)
        } else {
            ready = Condition(type: "Ready", status: .true, reason: "Serving", message: replicas, lastTransitionTime: now)
        }
        guard running.primary != desired || running.canary != nil else { return [ready] }
        let releasing = running.canary.map { "releasing \($0) beside \(running.primary ?? "nothing")" } ?? "moving to \(desired)"
        return [ready, Condition(type: "Reconciling", status: .true, reason: "Progressing", message: releasing, lastTransitionTime: now,
                                 observedRevision: desired)]
    }

    /// Every release attempt of the rollout, oldest first.
    public func history(of text: String) async -> [RevisionHistoryEntry]? {
        guard let runner = runner(named: text) else { return nil }
        return RevisionHistory.entries(from: await parts.log.entries().lazy.filter { $0.rollout == runner.id.description })
    }

    /// `caller`: who asked, when they said; an abort's reason names them.
    public func command(_ command: RolloutCommand, rollout text: String, by caller: String? = nil) async -> CommandOutcome {
        guard let runner = runner(named: text) else { return .unknownRollout }
        let (result, error) = await withCheckedContinuation { (continuation: CheckedContinuation<(RolloutMachine.CommandResult?, String?), Never>) in
            let reply: @Sendable (RolloutMachine.CommandResult?, String?) -> Void = { result, error in continuation.resume(returning: (result, error)) }
            if !runner.submit(.command(command, by: caller, reply: reply)) { reply(nil, "the rollout is stopping") }
        }
        if let error { return .conflict(error) }
        switch result {
        case .accepted?: return .accepted("\(command.rawValue) accepted for \(runner.id.name)")
        case .refused(let reason)?: return .conflict(reason)
        case nil: return .conflict("no answer")
        }
    }
}

/// A state file that exists but cannot be read.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "\(path) is unreadable: \(reason)" }
}
