import Foundation
import Metrics
import Prometheus
import SerinAnalysis
import SerinEngine
import SerinGit
import SerinLocal
import SerinRouter
import SerinSpec

/// `serin run`: Git sources → validated desired state → the local platform
/// and one rollout runner per Canary. Everything it decides is in the state
/// directory (rollout states, event log, revisions, process records, the
/// router's table), so a restarted operator resumes where it was while the
/// data plane, which runs in processes of its own, keeps serving.
public actor Operator: OperatorControl {
    public struct Options: Sendable {
        /// The `serin` executable, for the router process.
        public var serinExecutable: String
        /// Where /metrics text comes from.
        public var registry: PrometheusCollectorRegistry
        public var supervisor: LocalSupervisor.Options

        public init(serinExecutable: String, registry: PrometheusCollectorRegistry) {
            self.serinExecutable = serinExecutable
            self.registry = registry
            supervisor = LocalSupervisor.Options()
            // Each pass reads /proc for every process; 5 a second finds an
            // exit within 200 ms at a fraction of the idle CPU of 20.
            supervisor.monitorInterval = .milliseconds(200)
        }
    }

    private let config: OperatorConfig.Resolved
    private let options: Options
    private let store: StateStore
    private let log: EventLog
    private let snapshots: RevisionSnapshots
    private var platform: LocalPlatform?
    private var rollouts: LocalRollouts?
    private var watchers: [String: GitSourceWatcher] = [:]
    private var webhookSecrets: [String: String] = [:]
    private var latest: [String: SyncResult] = [:]
    private var runners: [String: RolloutRunner] = [:]
    private var runnerTasks: [String: Task<Void, Never>] = [:]
    /// Workloads released without a Canary: the task replacing each.
    private var plainDeploys: [String: (revision: String, task: Task<Void, Never>)] = [:]
    /// The workloads each source declared last, kept in the state directory
    /// so that a workload removed from Git while the operator was down is
    /// still pruned when its source next syncs.
    private var desiredWorkloads: [String: Set<String>]
    /// Sources applied since this operator started.
    private var appliedSources: Set<String> = []
    private var started = false
    private var syncedSources: Set<String> = []
    private let info = Gauge(label: "serin_info", dimensions: [("version", "0.1.0-dev")])
    private let resources: CurrentResources

    public init(config: OperatorConfig.Resolved, options: Options) throws {
        self.config = config
        self.options = options
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        store = try StateStore(stateDirectory: config.stateDirectory)
        log = try EventLog(stateDirectory: config.stateDirectory)
        snapshots = RevisionSnapshots(stateDirectory: config.stateDirectory)
        resources = CurrentResources(prometheus: config.prometheusAddress)
        for source in config.sources { webhookSecrets[source.spec.name] = source.webhookSecretFile }
        desiredWorkloads = Self.loadDeclared(stateDirectory: config.stateDirectory)
    }

    // MARK: running

    /// Until cancelled; cancelling stops the operator and leaves every
    /// workload process and the router serving.
    public func run() async throws {
        info.record(1)
        var supervisorOptions = options.supervisor
        let log = self.log
        supervisorOptions.log = { message in
            _ = try? log.append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: nil, author: nil,
                                      decision: "platform", reason: message))
        }
        // A readiness change wakes the workload's rollout at once (without
        // holding the supervisor, which awaits this).
        let outer = supervisorOptions.onBackendsChanged
        supervisorOptions.onBackendsChanged = { [weak self] workload in
            await outer?(workload)
            Task { await self?.readinessChanged(of: workload) }
        }
        var platformOptions = LocalPlatform.Options(routerCommand: [options.serinExecutable, "router"])
        platformOptions.routerAdmin = config.routerAdmin
        platformOptions.supervisor = supervisorOptions
        let platform = try LocalPlatform(stateDirectory: config.stateDirectory, options: platformOptions)
        self.platform = platform
        let rollouts = LocalRollouts(platform: platform, stateDirectory: config.stateDirectory)
        self.rollouts = rollouts
        let report = try await platform.start()
        record(rollout: "-", revision: nil, "started",
               "router \(report.routerAdopted ? "adopted" : "started"); processes adopted \(report.processes.adopted.count), restarted \(report.processes.restarted.count)")
        for source in config.sources {
            watchers[source.spec.name] = try GitSourceWatcher(spec: source.spec, cacheDirectory: config.stateDirectory + "/sources/" + source.spec.name)
        }
        started = true
        let watchers = self.watchers
        await withDiscardingTaskGroup { group in
            group.addTask { await platform.run() }
            for (name, watcher) in watchers {
                group.addTask { await watcher.run() }
                group.addTask {
                    for await result in watcher.revisions {
                        await self.apply(result, from: name)
                    }
                }
                group.addTask { await self.watchSyncs(name, watcher) }
            }
        }
        for task in runnerTasks.values { task.cancel() }
        for (_, deploy) in plainDeploys { deploy.task.cancel() }
    }

    private func watchSyncs(_ name: String, _ watcher: GitSourceWatcher) async {
        let errors = Counter(label: "serin_git_sync_errors_total", dimensions: [("source", name)])
        var failures = 0
        while !Task.isCancelled {
            let status = await watcher.status
            if status.ready { syncedSources.insert(name) }
            if status.consecutiveFailures > failures { errors.increment(by: status.consecutiveFailures - failures) }
            failures = status.consecutiveFailures
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    // MARK: reconciling

    /// A new valid revision of one source: compute what should run and make it so.
    func apply(_ result: SyncResult, from source: String) async {
        guard let rollouts, let watcher = watchers[source] else { return }
        let started = DispatchTime.now()
        latest[source] = result
        let snapshot: String
        do {
            snapshot = try await watcher.snapshot(result.commit.id, into: snapshots)
        } catch {
            record(rollout: "-", revision: result.revision, "error", "cannot snapshot \(result.revision): \(error)")
            return
        }
        let (diagnostics, plans) = Validator().validateAndPlan(result.manifests)
        if diagnostics.hasErrors {
            record(rollout: "-", revision: result.revision, "invalid", diagnostics.errors.prefix(3).map(\.description).joined(separator: "; "))
            return
        }
        var templates: [String: MetricTemplateSpec] = [:]
        var providers: [String: AlertProviderSpec] = [:]
        for result in latest.values {
            for template in result.manifests.metricTemplates { templates["\(template.namespace)/\(template.name)"] = template.spec }
            for provider in result.manifests.alertProviders { providers["\(provider.namespace)/\(provider.name)"] = provider.spec }
        }
        resources.update(templates: templates, providers: providers)
        let author = "\(result.commit.author.name) <\(result.commit.author.email)>"
        var wanted: Set<String> = []
        var keepRevisions: Set<String> = []
        for workload in result.manifests.workloads {
            guard let template = workload.spec.template, let port = workload.spec.service?.port else { continue }
            let revision = WorkloadRevision(id: WorkloadRevision.identify(workload: workload.name, template: template, snapshot: snapshot),
                                            workload: workload.name, template: template, replicas: workload.spec.replicas ?? 1,
                                            port: port, snapshot: snapshot, commit: result.commit.id.hex, author: author)
            wanted.insert(workload.name)
            keepRevisions.insert(revision.id)
            do { try await rollouts.record(revision) } catch {
                record(rollout: workload.name, revision: revision.id, "error", "cannot record the revision: \(error)")
                continue
            }
            let canary = result.manifests.canaries.first {
                $0.spec.targetRef?.kind == "Workload" && $0.spec.targetRef?.name == workload.name
            }
            if let canary, let plan = plans.first(where: { $0.name == canary.name && $0.namespace == canary.namespace }) {
                await release(revision, with: plan, canary: canary)
            } else {
                deployPlain(revision)
            }
        }
        // A Canary removed from Git stops steering its workload (which is now
        // released without one); its saved state stays for the record.
        let canaries = Set(latest.values.flatMap { $0.manifests.canaries.map(\.name) })
        for (name, runner) in runners where !canaries.contains(name) {
            runnerTasks[name]?.cancel()
            runnerTasks[name] = nil
            runners[name] = nil
            await rollouts.unbind(runner.id)
            record(rollout: runner.id.description, revision: nil, "unmanaged", "the Canary left Git; \(runner.workload) is released without one")
        }
        // Keep what rollouts still refer to (a primary, a canary in flight).
        for runner in runners.values {
            let state = await runner.worker.state
            for id in [state.primaryRevision, state.canaryRevision, state.pendingRevision].compactMap({ $0 }) { keepRevisions.insert(id) }
        }
        // Pruned: what this source declared before and no source declares now.
        let elsewhere = Set(desiredWorkloads.filter { $0.key != source }.values.flatMap { $0 })
        for removed in (desiredWorkloads[source] ?? []).subtracting(wanted).subtracting(elsewhere) {
            await prune(removed)
        }
        desiredWorkloads[source] = wanted
        appliedSources.insert(source)
        await pruneDroppedSources()
        saveDeclared()
        try? await rollouts.retain(keepRevisions)
        Timer(label: "serin_git_sync_duration_seconds", dimensions: [("source", source)]).recordInterval(since: started)
    }

    private func readinessChanged(of workload: String) {
        for runner in runners.values where runner.workload == workload { runner.readinessChanged() }
    }

    private func release(_ revision: WorkloadRevision, with plan: Plan, canary: Canary) async {
        guard let rollouts else { return }
        let id = RolloutID(namespace: canary.namespace, name: canary.name)
        let binding = LocalRollouts.Binding(workload: revision.workload, match: Self.matchConditions(plan),
                                            affinity: Self.affinity(canary))
        await rollouts.bind(id, binding)
        resources.bind(id, workload: revision.workload)
        if let runner = runners[canary.name], runner.plan != plan || runner.workload != revision.workload {
            // A changed Canary: the rollout continues from its saved state under the new plan.
            runnerTasks[canary.name]?.cancel()
            runners[canary.name] = nil
        }
        if runners[canary.name] == nil {
            do {
                let worker = try RolloutWorker(id: id, plan: plan, parts: RolloutWorker.Parts(
                    platform: rollouts, router: rollouts, checks: LiveChecks(resources: resources), hooks: WebhookHooks(),
                    notifier: LiveNotifier(resources: resources), store: store, log: log))
                let log = self.log
                let runner = RolloutRunner(id: id, workload: revision.workload, plan: plan, worker: worker,
                                           pollInterval: config.pollInterval) { message in
                    _ = try? log.append(.init(time: Date().timeIntervalSince1970, rollout: id.description, revision: nil, author: nil,
                                              decision: "error", reason: message))
                }
                runners[canary.name] = runner
                runnerTasks[canary.name] = Task { await runner.run() }
                await reassert(runner)
            } catch {
                record(rollout: id.description, revision: revision.id, "error", "cannot start the rollout: \(error)")
                return
            }
        }
        runners[canary.name]?.submit(.revision(revision.id, author: revision.author))
    }

    /// After a restart, what the saved state says is running is made so
    /// again. The machine saves each decision before acting on it, so a
    /// crash can leave the action undone; every step here is idempotent.
    private func reassert(_ runner: RolloutRunner) async {
        guard let rollouts else { return }
        let state = await runner.worker.state
        let workload = runner.workload
        let supervisor = rollouts.platform.supervisor
        let instances = await supervisor.status().filter { $0.workload == workload }
        let canaryRunning = instances.contains { $0.role == .canary }
        do {
            switch state.phase {
            case .initializing:
                if let primary = state.primaryRevision, let revision = await rollouts.revision(primary) {
                    try await rollouts.deploy(revision, role: SerinLocal.Role.primary)
                }
            case .progressing, .waiting, .waitingPromotion:
                if let canary = state.canaryRevision, let revision = await rollouts.revision(canary) {
                    try await rollouts.deploy(revision, role: SerinLocal.Role.canary)
                }
            case .promoting where state.waiting == .primaryReady:
                // The promotion may not have happened: do it, or finish it.
                if let canary = state.canaryRevision, !(await rollouts.isPrimaryReady(canary, for: runner.id)) {
                    if canaryRunning {
                        try await rollouts.promote(canary, for: runner.id)
                    } else if let revision = await rollouts.revision(canary) {
                        try await rollouts.deploy(revision, role: SerinLocal.Role.primary)
                    }
                }
            case .finalising, .succeeded, .failed, .initialized:
                if canaryRunning && state.canaryRevision == nil || state.phase == .finalising {
                    try await rollouts.scaleCanaryToZero(for: runner.id)
                }
            default:
                break
            }
            if state.primaryRevision != nil { try await rollouts.setRoutes(state.routes, for: runner.id) }
        } catch {
            record(rollout: runner.id.description, revision: nil, "error", "cannot restore what the saved state runs: \(error)")
        }
    }

    /// A workload without a Canary is replaced safely: the supervisor starts
    /// the new revision, waits until it is ready, then stops the old one.
    private func deployPlain(_ revision: WorkloadRevision) {
        guard let rollouts else { return }
        if plainDeploys[revision.workload]?.revision == revision.id { return }
        plainDeploys[revision.workload]?.task.cancel()
        let log = self.log
        let task = Task {
            let running = await rollouts.platform.supervisor.status().filter { $0.workload == revision.workload && $0.role == SerinLocal.Role.primary }
            if !running.isEmpty && running.allSatisfy({ $0.revision == revision.id }) { return }
            do {
                try await rollouts.deploy(revision, role: SerinLocal.Role.primary)
                // A first deploy returns once started; "deployed" means serving.
                let supervisor = rollouts.platform.supervisor
                while !Task.isCancelled, !(await supervisor.isReady(workload: revision.workload, role: .primary, revision: revision.id)) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                _ = try? log.append(.init(time: Date().timeIntervalSince1970, rollout: revision.workload, revision: revision.id,
                                          author: revision.author, decision: "deployed", reason: "serving without a Canary"))
            } catch {
                _ = try? log.append(.init(time: Date().timeIntervalSince1970, rollout: revision.workload, revision: revision.id,
                                          author: revision.author, decision: "error", reason: "\(error)"))
            }
        }
        plainDeploys[revision.workload] = (revision.id, task)
    }

    /// A source taken out of the configuration: once every configured
    /// source has said what it declares, what only the dropped one declared
    /// is pruned (before then, a workload that moved to another source could
    /// be stopped and started again).
    private func pruneDroppedSources() async {
        let configured = Set(config.sources.map(\.spec.name))
        guard configured.isSubset(of: appliedSources) else { return }
        let declared = Set(desiredWorkloads.filter { configured.contains($0.key) }.values.flatMap { $0 })
        for (source, workloads) in desiredWorkloads where !configured.contains(source) {
            for workload in workloads.subtracting(declared).sorted() { await prune(workload) }
            desiredWorkloads[source] = nil
        }
    }

    private static func declaredPath(_ stateDirectory: String) -> String { stateDirectory + "/operator/declared.json" }

    private static func loadDeclared(stateDirectory: String) -> [String: Set<String>] {
        guard let data = FileManager.default.contents(atPath: declaredPath(stateDirectory)) else { return [:] }
        return (try? JSONDecoder().decode([String: Set<String>].self, from: data)) ?? [:]
    }

    private func saveDeclared() {
        let path = Self.declaredPath(config.stateDirectory)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try DurableFile.replace(path, with: try encoder.encode(desiredWorkloads.mapValues { $0.sorted() }))
        } catch {
            record(rollout: "-", revision: nil, "error", "cannot record the declared workloads in \(path): \(error)")
        }
    }

    private func prune(_ workload: String) async {
        guard let platform else { return }
        for (name, runner) in runners where runner.workload == workload {
            runnerTasks[name]?.cancel()
            runners[name] = nil
            runnerTasks[name] = nil
            await rollouts?.unbind(runner.id)
        }
        plainDeploys[workload]?.task.cancel()
        plainDeploys[workload] = nil
        do {
            try await platform.remove(workload: workload)
            record(rollout: workload, revision: nil, "pruned", "\(workload) is no longer in Git")
        } catch {
            record(rollout: workload, revision: nil, "error", "cannot prune \(workload): \(error)")
        }
    }

    static func matchConditions(_ plan: Plan) -> [MatchCondition] {
        var conditions: [MatchCondition] = []
        for step in plan.steps {
            guard case .match(let requests) = step else { continue }
            for request in requests {
                guard let headers = request.headers, !headers.isEmpty else { continue }
                conditions.append(MatchCondition(headers: headers.mapValues {
                    SerinRouter.StringMatch(exact: $0.exact, prefix: $0.prefix, suffix: $0.suffix, regex: $0.regex)
                }))
            }
        }
        return conditions
    }

    static func affinity(_ canary: Canary) -> SerinRouter.SessionAffinity? {
        guard let affinity = canary.spec.analysis?.sessionAffinity, let name = affinity.cookieName else { return nil }
        return SerinRouter.SessionAffinity(cookieName: name, primaryCookieName: affinity.primaryCookieName,
                                           maxAge: affinity.maxAge ?? 86_400)
    }

    private func record(rollout: String, revision: String?, _ decision: String, _ reason: String) {
        _ = try? log.append(.init(time: Date().timeIntervalSince1970, rollout: rollout, revision: revision, author: nil,
                                  decision: decision, reason: reason))
    }

    // MARK: OperatorControl

    public func rollouts() async -> [RolloutStatus] {
        var list: [RolloutStatus] = []
        for name in runners.keys.sorted() {
            if let status = await status(name, eventLimit: 0) { list.append(status) }
        }
        return list
    }

    public func rollout(named name: String) async -> RolloutStatus? {
        await status(name, eventLimit: 20)
    }

    private func status(_ name: String, eventLimit: Int) async -> RolloutStatus? {
        guard let runner = runners[name] else { return nil }
        let state = await runner.worker.state
        let evaluations = await runner.worker.evaluations
        let events = eventLimit == 0 ? [] : Array(log.entries().filter { $0.rollout == runner.id.description }.suffix(eventLimit))
        let labels = [("name", name), ("namespace", runner.id.namespace)]
        Gauge(label: "serin_canary_weight", dimensions: labels).record(state.routes.canaryWeight)
        // Flagger's codes: 0 in progress, 1 succeeded (or steady), 2 failed.
        let code: Int
        switch state.phase {
        case .succeeded, .initialized: code = 1
        case .failed: code = 2
        default: code = 0
        }
        Gauge(label: "serin_canary_status", dimensions: labels).record(code)
        var seen: Set<String> = []
        for evaluation in evaluations.reversed() where seen.insert(evaluation.metric).inserted {
            if let value = evaluation.value {
                Gauge(label: "serin_canary_metric_analysis", dimensions: labels + [("metric", evaluation.metric)]).record(value)
            }
        }
        return RolloutStatus(name: name, namespace: runner.id.namespace, workload: runner.workload, phase: state.phase,
                             canaryWeight: state.routes.canaryWeight, mirrorWeight: state.routes.mirrorWeight,
                             failedChecks: state.failedChecks, step: state.step, stepCount: runner.plan.steps.count,
                             primaryRevision: state.primaryRevision, canaryRevision: state.canaryRevision, message: state.message,
                             plan: runner.plan.stepDescriptions, evaluations: evaluations, events: events)
    }

    public func history(of name: String) async -> [RevisionHistoryEntry]? {
        guard let runner = runners[name] else { return nil }
        var entries: [RevisionHistoryEntry] = []
        for event in log.entries() where event.rollout == runner.id.description {
            guard let revision = event.revision else { continue }
            if event.decision == "detected" {
                if let index = entries.lastIndex(where: { $0.finished == nil && $0.revision != revision }), entries[index].result == "in progress" {
                    entries[index].result = "superseded"
                    entries[index].finished = event.time
                }
                let commit = await rollouts?.revision(revision)?.commit
                entries.append(RevisionHistoryEntry(revision: revision, commit: commit.map { String($0.prefix(12)) }, author: event.author,
                                                    result: "in progress", started: event.time, finished: nil))
            } else if let index = entries.lastIndex(where: { $0.revision == revision && $0.finished == nil }) {
                if event.decision == RolloutPhase.succeeded.rawValue || event.decision == RolloutPhase.failed.rawValue {
                    entries[index].result = event.decision == RolloutPhase.succeeded.rawValue ? "succeeded" : "failed"
                    entries[index].finished = event.time
                }
            }
        }
        return entries
    }

    public func command(_ command: RolloutCommand, rollout name: String) async -> CommandOutcome {
        guard let runner = runners[name] else { return .unknownRollout }
        let (result, error) = await withCheckedContinuation { (continuation: CheckedContinuation<(RolloutMachine.CommandResult?, String?), Never>) in
            runner.submit(.command(command, reply: { result, error in continuation.resume(returning: (result, error)) }))
        }
        if let error { return .conflict(error) }
        switch result {
        case .accepted?: return .accepted("\(command.rawValue) accepted for \(name)")
        case .refused(let reason)?: return .conflict(reason)
        case nil: return .conflict("no answer")
        }
    }

    public func events(after sequence: Int) async -> AsyncStream<EventLog.Entry> {
        let log = self.log
        return AsyncStream { continuation in
            let task = Task {
                var last = sequence
                while !Task.isCancelled {
                    for entry in log.entries() where entry.sequence > last {
                        continuation.yield(entry)
                        last = entry.sequence
                    }
                    try? await Task.sleep(for: .milliseconds(200))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func gitWebhook(source: String, headers: [String: String], body: [UInt8]) async -> WebhookOutcome {
        guard let watcher = watchers[source] else { return .unknownSource }
        guard let secretFile = webhookSecrets[source] ?? nil else {
            return .unauthorized("source \(source) has no webhookSecretFile: webhooks are refused")
        }
        do {
            let verifier = try WebhookVerifier(secretFile: secretFile)
            switch verifier.verify(headers: headers, body: Data(body)) {
            case .success:
                watcher.requestSync()
                return .accepted
            case .failure(let rejection):
                return .unauthorized(rejection.reason)
            }
        } catch {
            return .unauthorized("cannot read the webhook secret: \(error)")
        }
    }

    public func isReady() async -> Bool {
        guard started else { return false }
        for (name, watcher) in watchers where !syncedSources.contains(name) {
            guard await watcher.status.ready else { return false }
            syncedSources.insert(name)
        }
        return true
    }

    public func metricsText() async -> String {
        Gauge(label: "serin_canary_total").record(runners.count)
        for name in runners.keys { _ = await status(name, eventLimit: 0) }
        return options.registry.emitToString()
    }
}
