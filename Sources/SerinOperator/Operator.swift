import Foundation
import Logging
import Metrics
import Prometheus
import SerinAnalysis
import SerinEngine
import SerinGit
import SerinKubernetes
import SerinLocal
import SerinSpec

/// `serin run` on the local platform, wired: Git sources → desired states →
/// the engine's reconciler → the local platform. Everything it decides is in
/// the state directory (rollout states, event log, revisions, process
/// records, the router's table), so a restarted operator resumes where it
/// was while the data plane, which runs in processes of its own, keeps
/// serving.
public actor Operator: OperatorControl {
    public struct Options: Sendable {
        /// The `serin` executable, for the router process.
        public var serinExecutable: String
        /// Where /metrics text comes from.
        public var registry: PrometheusCollectorRegistry
        public var supervisor: LocalSupervisor.Options
        public var logger: Logger

        public init(serinExecutable: String, registry: PrometheusCollectorRegistry, logger: Logger = Logger(label: "serin")) {
            self.serinExecutable = serinExecutable
            self.registry = registry
            self.logger = logger
            supervisor = LocalSupervisor.Options()
            // Each pass reads /proc for every process; 5 a second finds an
            // exit within 200 ms at a fraction of the idle CPU of 20.
            supervisor.monitorInterval = .milliseconds(200)
        }
    }

    private let config: OperatorConfig.Resolved
    private let options: Options
    private let log: EventLog
    private let snapshots: RevisionSnapshots
    private let driver: any PlatformDriver
    private let watchers: [String: GitSourceWatcher]
    private var webhookSecrets: [String: String] = [:]
    private var latest: [String: SyncResult] = [:]
    private var started = false
    private var syncedSources: Set<String> = []
    private let info = Gauge(label: "serin_info", dimensions: [("version", "0.1.0-dev")])
    private let resources: CurrentResources

    public init(config: OperatorConfig.Resolved, options: Options) throws {
        self.config = config
        self.options = options
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let store = try StateStore(stateDirectory: config.stateDirectory)
        let log = try EventLog(stateDirectory: config.stateDirectory)
        self.log = log
        snapshots = RevisionSnapshots(stateDirectory: config.stateDirectory)
        let resources = CurrentResources(prometheus: config.prometheusAddress)
        self.resources = resources
        for source in config.sources { webhookSecrets[source.spec.name] = source.webhookSecretFile }

        let logger = options.logger
        func parts<P: Platform>(_ platform: P, store: StateStore, queries: LiveChecks.Queries) -> Reconciler<P, ContinuousClock>.Parts {
            .init(platform: platform, checks: LiveChecks(resources: resources, queries: queries), hooks: WebhookHooks(),
                  notifier: LiveNotifier(resources: resources),
                  store: store, log: log, stateDirectory: config.stateDirectory, sources: Set(config.sources.map(\.spec.name)),
                  pollInterval: config.pollInterval, clock: ContinuousClock(), logger: logger)
        }
        if let settings = config.kubernetes {
            driver = try KubernetesDriver(settings: settings, sources: config.sources.map(\.spec), store: store, log: log, logger: logger) { platform, store in
                Reconciler(parts: parts(platform, store: store, queries: KubernetesDriver.queries(platform)))
            }
        } else {
            driver = try Self.localDriver(config: config, options: options, log: log) { platform in
                Reconciler(parts: parts(platform, store: store, queries: .local))
            }
        }
        var watchers: [String: GitSourceWatcher] = [:]
        for source in config.sources {
            watchers[source.spec.name] = try GitSourceWatcher(spec: source.spec, cacheDirectory: config.stateDirectory + "/sources/" + source.spec.name,
                                                              platform: config.platform)
        }
        self.watchers = watchers
    }

    private static func localDriver(config: OperatorConfig.Resolved, options: Options, log: EventLog,
                                    reconciler: (LocalPlatform) -> Reconciler<LocalPlatform, ContinuousClock>) throws -> LocalDriver {
        let logger = options.logger
        var platformOptions = LocalPlatform.Options(routerCommand: [options.serinExecutable, "router"])
        platformOptions.routerAdmin = config.routerAdmin
        platformOptions.supervisor = options.supervisor
        // Probes and restarts are the supervisor's business: the log, not the audit trail.
        let supervisorLogger = Logger(label: "serin.supervisor")
        platformOptions.supervisor.log = { message in supervisorLogger.info("\(message)") }
        platformOptions.report = { message in
            do {
                try log.append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: nil, author: nil, decision: "platform", reason: message))
            } catch {
                logger.error("audit trail not written: \(error)", metadata: ["reason": "\(message)"])
            }
        }
        let platform = try LocalPlatform(stateDirectory: config.stateDirectory, options: platformOptions)
        return LocalDriver(platform: platform, reconciler: reconciler(platform))
    }

    // MARK: running

    /// Until cancelled; cancelling stops the operator and leaves every
    /// workload process and the router serving.
    public func run() async throws {
        info.record(1)
        do {
            try await driver.start()
        } catch {
            await driver.shutdown()
            throw error
        }
        started = true
        let watchers = self.watchers, driver = self.driver
        await withDiscardingTaskGroup { group in
            group.addTask { await driver.run() }
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
        await driver.shutdown()
    }

    private func watchSyncs(_ name: String, _ watcher: GitSourceWatcher) async {
        let errors = Counter(label: "serin_git_sync_errors_total", dimensions: [("source", name)])
        var failures = 0
        var reported: ReportedSync?
        while !Task.isCancelled {
            let status = await watcher.status
            if status.ready { syncedSources.insert(name) }
            if status.consecutiveFailures > failures { errors.increment(by: status.consecutiveFailures - failures) }
            failures = status.consecutiveFailures
            reported = report(name, status, after: reported)
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// What the event log last said of a source.
    private struct ReportedSync: Equatable {
        var ready: Bool
        var reason: String
        /// The revision in force when ready, the one refused when not.
        var revision: String?
    }

    /// A source's sync going wrong, a new revision in force, or a recovery:
    /// one event each (not one per retry), and the failures and recoveries
    /// to the AlertProviders the revision in force declares.
    private func report(_ name: String, _ status: SourceStatus, after last: ReportedSync?) -> ReportedSync? {
        guard status.reason != "Progressing" else { return last }
        let now = ReportedSync(ready: status.ready, reason: status.reason,
                               revision: status.ready ? status.lastGoodRevision : status.lastAttemptedRevision)
        guard now != last else { return last }
        let wasFailing = last.map { !$0.ready } ?? false
        if status.ready {
            let commit = status.lastGoodCommit
            let subject = commit.map { String($0.message.split(whereSeparator: \.isNewline).first ?? "") } ?? ""
            let author = commit.map { "\($0.author.name) <\($0.author.email)>" }
            var reason = "source \(name): \(status.lastGoodRevision ?? "-") in force"
            if let author { reason += " (\"\(subject)\" by \(author))" }
            if wasFailing { reason += "; recovered from \(last?.reason ?? "a failure")" }
            append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: status.lastGoodRevision, author: author,
                         commit: commit?.id.hex, decision: "synced", reason: reason, source: name))
            if wasFailing { alert(SourceAlert(source: name, revision: status.lastGoodRevision, failing: false, message: reason)) }
        } else {
            let reason = "source \(name): \(status.message)"
            append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: status.lastAttemptedRevision, author: nil,
                         decision: "sync-failed", reason: reason, source: name))
            options.logger.error("sync failed", metadata: ["source": "\(name)", "reason": "\(status.message)"])
            alert(SourceAlert(source: name, revision: status.lastAttemptedRevision ?? status.lastGoodRevision, failing: true, message: reason))
        }
        return now
    }

    private func alert(_ alert: SourceAlert) {
        var providers: [String: AlertProviderSpec] = [:]
        for provider in latest[alert.source]?.manifests.alertProviders ?? [] { providers["\(provider.namespace)/\(provider.name)"] = provider.spec }
        guard !providers.isEmpty else { return }
        let logger = options.logger
        Task {
            for failure in await alert.send(to: providers) {
                // `namespace/name: why`; the metric names the provider as the rollouts' alerts do.
                let provider = String(failure.prefix { $0 != ":" }.split(separator: "/").last ?? "")
                Counter(label: AlertSender.failedMetric, dimensions: [("provider", provider)]).increment()
                logger.warning("alert not delivered", metadata: ["source": "\(alert.source)", "provider": "\(failure)"])
            }
        }
    }

    private func append(_ entry: EventLog.Entry) {
        do {
            try log.append(entry)
        } catch {
            options.logger.error("audit trail not written: \(error)", metadata: ["decision": "\(entry.decision)", "reason": "\(entry.reason)"])
        }
    }

    /// A new valid revision of one source: its checkout, then the reconciler.
    func apply(_ result: SyncResult, from source: String) async {
        guard let watcher = watchers[source] else { return }
        let started = DispatchTime.now()
        latest[source] = result
        let snapshot: String
        do {
            snapshot = try await watcher.snapshot(result.commit.id, into: snapshots)
        } catch {
            record(revision: result.revision, "error", "cannot snapshot \(result.revision): \(error)")
            return
        }
        if result.diagnostics.hasErrors {
            record(revision: result.revision, "invalid", result.diagnostics.errors.prefix(3).map(\.description).joined(separator: "; "))
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
        await driver.apply(DesiredState(source: source, revision: result.revision, commit: result.commit.id.hex, author: author,
                                            manifests: result.manifests, plans: result.plans, checkout: snapshot))
        Timer(label: "serin_git_sync_duration_seconds", dimensions: [("source", source)]).recordInterval(since: started)
    }

    private func record(revision: String?, _ decision: String, _ reason: String) {
        append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: revision, author: nil, decision: decision, reason: reason))
    }

    // MARK: OperatorControl

    public func rollouts() async -> [RolloutStatus] {
        var list: [RolloutStatus] = []
        for id in await driver.rolloutIDs() {
            if let status = await status(id.description, eventLimit: 0) { list.append(status) }
        }
        return list
    }

    public func rollout(named name: String) async -> RolloutStatus? {
        await status(name, eventLimit: 20)
    }

    /// The status, with the gauges /metrics shows of it.
    private func status(_ name: String, eventLimit: Int) async -> RolloutStatus? {
        guard let status = await driver.status(of: name, eventLimit: eventLimit) else { return nil }
        let labels = [("name", status.name), ("namespace", status.namespace)]
        Gauge(label: "serin_canary_weight", dimensions: labels).record(status.canaryWeight)
        // Flagger's codes: 0 in progress, 1 succeeded (or steady), 2 failed.
        let code: Int
        switch status.phase {
        case .succeeded, .initialized: code = 1
        case .failed: code = 2
        default: code = 0
        }
        Gauge(label: "serin_canary_status", dimensions: labels).record(code)
        var seen: Set<String> = []
        for evaluation in status.evaluations.reversed() where seen.insert(evaluation.metric).inserted {
            if let value = evaluation.value {
                Gauge(label: "serin_canary_metric_analysis", dimensions: labels + [("metric", evaluation.metric)]).record(value)
            }
        }
        return status
    }

    public func history(of name: String) async -> [RevisionHistoryEntry]? {
        await driver.history(of: name)
    }

    public func sources() async -> [SourceStatusReport] {
        var reports: [SourceStatusReport] = []
        for source in config.sources {
            if let watcher = watchers[source.spec.name] { reports.append(await watcher.report) }
        }
        return reports
    }

    public func workloads() async -> [WorkloadStatusReport] {
        await driver.workloads()
    }

    public func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome {
        await driver.command(command, rollout: name, by: caller)
    }

    public func events(after sequence: Int) async -> AsyncStream<EventLog.Entry> {
        log.subscribe(after: sequence)
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

    /// Every kind of request sent to the apiserver so far, in RBAC's terms
    /// (empty on the local platform): what Serin's ClusterRole must allow.
    public func apiserverAccess() -> Set<RequestCounter.Access> {
        guard let kubernetes = driver as? KubernetesDriver else { return [] }
        return RequestCounter.rbac(kubernetes.requests.byAccess.keys)
    }

    public func metricsText() async -> String {
        let ids = await driver.rolloutIDs()
        driver.updateMetrics()
        Gauge(label: "serin_canary_total").record(ids.count)
        for id in ids { _ = await status(id.description, eventLimit: 0) }
        return options.registry.emitToString()
    }
}
