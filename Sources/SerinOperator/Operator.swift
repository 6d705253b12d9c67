import Foundation
import Logging
import Metrics
import Prometheus
import SerinAnalysis
import SerinEngine
import SerinGit
import SerinHelm
import SerinHTTP
import SerinKubernetes
import SerinKustomize
import SerinLocal
import SerinSpec

/// `serin run`, wired: each Git source's pipeline (fetch → render →
/// validate + plan) hands its valid revisions to the platform's delivery
/// targets (apply → release) through one work queue per target, one item
/// in flight per source. Everything it decides is in the state directory
/// (rollout states, event log, revisions, process records, the router's
/// table) or in the cluster, so a restarted operator resumes where it was
/// while the data plane keeps serving.
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

    typealias Pipeline = SourcePipeline<ContinuousClock>

    let config: OperatorConfig.Resolved
    let options: Options
    let log: EventLog
    let driver: any PlatformDriver
    let pipelines: [String: Pipeline]
    private let deliveries: DeliveryQueues<ContinuousClock>
    /// Each pipeline's status, as it changes.
    private let statusChanges: AsyncStream<SourceStatus>
    private var webhookSecrets: [String: String] = [:]
    private var started = false
    private var syncedSources: Set<String> = []
    /// What the event log last said of each source.
    private var reported: [String: ReportedSync] = [:]
    /// Where each staged source's revision stood when the event log last said.
    private var reportedWaves: [String: WaveStatus] = [:]
    private var syncFailures: [String: Int] = [:]
    private let info = Gauge(label: "serin_info", dimensions: [("version", "0.1.0-dev")])
    private let resources: CurrentResources
    /// What each source keeps across restarts: suspension, pin, history.
    var records: [String: SourceRecord] = [:]
    private let janitor: SnapshotJanitor

    public init(config: OperatorConfig.Resolved, options: Options) throws {
        self.config = config
        self.options = options
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        // Others may pass through to revisions/ (workloads running as their own users), not list or read.
        chmod(config.stateDirectory, 0o711)
        let store = try StateStore(stateDirectory: config.stateDirectory)
        let log = try EventLog(stateDirectory: config.stateDirectory)
        self.log = log
        let snapshots = RevisionSnapshots(stateDirectory: config.stateDirectory)
        janitor = SnapshotJanitor(snapshots: snapshots, stateDirectory: config.stateDirectory)
        let resources = CurrentResources(prometheus: config.prometheusAddress, policy: config.outboundPolicy)
        self.resources = resources
        for source in config.sources { webhookSecrets[source.spec.name] = source.webhookSecretFile }

        let logger = options.logger
        // Each source's record; a source gone from serin.yaml keeps its
        // workloads when it last said prune: false.
        let configured = Set(config.sources.map(\.spec.name))
        var keep = Set(config.sources.filter { !$0.settings.prune }.map(\.spec.name))
        for source in SourceRecord.sources(stateDirectory: config.stateDirectory) where !configured.contains(source) {
            let record = try SourceRecord.load(stateDirectory: config.stateDirectory, source: source)
            if record.prune == false { keep.insert(source) } else { SourceRecord.remove(stateDirectory: config.stateDirectory, source: source) }
        }
        for source in config.sources {
            var record = try SourceRecord.load(stateDirectory: config.stateDirectory, source: source.spec.name)
            if record.prune != source.settings.prune {
                record.prune = source.settings.prune
                try record.save(stateDirectory: config.stateDirectory, source: source.spec.name)
            }
            records[source.spec.name] = record
        }
        let kept = keep
        func parts<P: Platform>(_ platform: P, store: StateStore, queries: LiveChecks.Queries, cluster: ClusterParts? = nil) -> Reconciler<P, ContinuousClock>.Parts {
            var parts = Reconciler<P, ContinuousClock>.Parts(
                platform: platform, checks: LiveChecks(resources: resources, queries: queries),
                hooks: WebhookHooks(caller: WebhookCaller(policy: config.outboundPolicy), trackedConfigs: queries.trackedConfigs),
                notifier: LiveNotifier(resources: resources),
                store: store, log: cluster?.log ?? log, stateDirectory: cluster?.directory ?? config.stateDirectory,
                sources: cluster?.sources ?? configured,
                pollInterval: config.pollInterval, clock: ContinuousClock(), logger: logger)
            parts.keep = kept
            return parts
        }
        let driver: any PlatformDriver
        var waveStore: any WaveStore = NoWaveStore()
        if !config.clusters.isEmpty {
            let kubernetes = try Self.clusterDriver(config: config, store: store, log: log, logger: logger) { platform, store, cluster, labels in
                Reconciler(parts: parts(platform, store: store, queries: KubernetesDriver.queries(platform, labels: labels), cluster: cluster))
            }
            // Templates' and providers' Secrets: the home cluster's (a cluster's own are not read yet).
            resources.secrets = kubernetes.secretReader
            driver = kubernetes.driver
            waveStore = kubernetes.waveStore
        } else {
            driver = try Self.localDriver(config: config, options: options, log: log) { platform in
                Reconciler(parts: parts(platform, store: store, queries: .local))
            }
        }
        self.driver = driver
        let deliveries = DeliveryQueues(targets: driver.targets, clock: ContinuousClock(), log: log, logger: logger)
        self.deliveries = deliveries
        let (statusChanges, changed) = AsyncStream<SourceStatus>.makeStream()
        self.statusChanges = statusChanges
        var pipelines: [String: Pipeline] = [:]
        let targetNames = driver.targets.map(\.name)
        // One builder for every source: its cache and its bound on builds at once are shared.
        let builder = KustomizeBuilder()
        logger.info("kustomize: \(builder.binary)")
        let trees = SourceTrees()
        for source in config.sources {
            let spec = source.spec
            let fetcher = TreeRecordingFetcher(
                base: try GitFetcher(spec: spec, cacheDirectory: config.stateDirectory + "/sources/" + spec.name, snapshots: snapshots),
                source: spec.name, trees: trees)
            let options = config.kustomize[spec.name] ?? KustomizeOptions()
            let renderer = Self.renderer(for: spec.name, options: options, builder: builder, driver: driver, trees: trees)
            // With clusters: its waves, each cluster's path, and a renderer of
            // its own for a cluster with variables or a source that reads the cluster.
            let delivery = config.clusters.isEmpty ? nil : config.delivery[spec.name]
            var targetRenderers: [String: any Renderer] = [:]
            if let fleet = driver as? ClusterFleet, let delivery {
                for cluster in config.clusters where delivery.waves.targets.contains(cluster.name) {
                    guard let clusterDriver = fleet.driver(named: cluster.name),
                          !cluster.substitute.isEmpty || !(options.postBuild?.substituteFrom.isEmpty ?? true) else { continue }
                    var own = options
                    var postBuild = own.postBuild ?? KustomizeOptions.PostBuild()
                    postBuild.substitute.merge(cluster.substitute) { _, cluster in cluster }
                    own.postBuild = postBuild
                    targetRenderers[cluster.name] = Self.renderer(for: spec.name, options: own, builder: builder, driver: clusterDriver, trees: trees)
                }
            }
            let validator = Validator(platform: config.platform, defaultProvider: config.kubernetes?.provider ?? "kubernetes",
                                      defaultPrometheus: config.prometheusAddress != nil)
            let stages = Pipeline.Stages(fetcher: fetcher, renderer: renderer, validator: validator, targetRenderers: targetRenderers)
            let waves = delivery?.waves ?? .allAtOnce(targetNames)
            pipelines[spec.name] = Pipeline(
                configuration: .init(name: spec.name, path: spec.path, interval: spec.interval, waves: waves, paths: delivery?.paths ?? [:]),
                stages: stages, clock: ContinuousClock(),
                targets: .init(deliver: { target, desired in
                    // The checks of a release read the templates and providers of the revision in force.
                    resources.update(source: desired.source, templates: desired.manifests.metricTemplates,
                                     providers: desired.manifests.alertProviders, canaries: desired.manifests.canaries)
                    deliveries.deliver(desired, to: target)
                }, release: { target, desired in
                    await deliveries.release(of: desired, on: target)
                }),
                waveStore: waves.isStaged ? waveStore : NoWaveStore(),
                changed: { status in changed.yield(status) })
        }
        self.pipelines = pipelines
    }

    /// The source's render stage: its path built as Flux builds it (plain
    /// manifests, or Kustomize with the source's Flux fields), then every
    /// HelmRelease in it replaced by its chart's objects.
    private static func renderer(for source: String, options: KustomizeOptions, builder: KustomizeBuilder, driver: any PlatformDriver,
                                 trees: SourceTrees) -> any Renderer {
        let read = driver.configData
        let namespace = driver.configNamespace
        var lookup: SubstitutionLookup?
        if let read {
            lookup = { @Sendable reference in try await read(reference.kind.rawValue, namespace, reference.name) }
        }
        let base = KustomizeRenderer(builder: builder, options: options, lookup: lookup)
        return HelmRenderer(base: base) { request in
            HelmReleaseExpander(source: request.source, files: request.files, otherSources: { trees[$0] },
                                valuesFrom: { reference in
                                    guard let read else { return nil }
                                    return try await read(reference.kind, reference.namespace, reference.name)?[reference.key]
                                },
                                capabilities: driver.capabilities, defaultNamespace: options.targetNamespace ?? "default")
        }
    }

    private static func localDriver(config: OperatorConfig.Resolved, options: Options, log: EventLog,
                                    reconciler: (LocalPlatform) -> Reconciler<LocalPlatform, ContinuousClock>) throws -> LocalDriver {
        let logger = options.logger
        var platformOptions = LocalPlatform.Options(routerCommand: [options.serinExecutable, "router"])
        platformOptions.routerAdmin = config.routerAdmin
        platformOptions.supervisor = options.supervisor
        platformOptions.supervisor.allowRootWorkloads = config.allowRootWorkloads
        // Probes and restarts are the supervisor's business: the log, not the audit trail.
        let supervisorLogger = Logger(label: "serin.supervisor")
        platformOptions.supervisor.log = { message in supervisorLogger.info("\(message)") }
        platformOptions.report = { message in
            log.post(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: nil, author: nil, decision: "platform", reason: message)) { error in
                logger.error("audit trail not written: \(error)", metadata: ["reason": "\(message)"])
            }
        }
        let platform = try LocalPlatform(stateDirectory: config.stateDirectory, options: platformOptions)
        return LocalDriver(platform: platform, reconciler: reconciler(platform))
    }

    // MARK: running

    /// Until cancelled, or until the driver ends (a lost leader lease),
    /// which it throws. Cancelling stops the operator and leaves every
    /// workload and the router serving.
    public func run() async throws {
        info.record(1)
        do {
            try await driver.start()
        } catch {
            await driver.shutdown()
            throw error
        }
        started = true
        // What serin.yaml and the records say of each source before the first sync.
        for source in config.sources {
            guard let pipeline = pipelines[source.spec.name] else { continue }
            let record = records[source.spec.name] ?? SourceRecord()
            let suspension = source.settings.suspend ? SourceSuspension(by: nil, time: Date().timeIntervalSince1970, fromConfiguration: true)
                : record.suspension
            if let suspension {
                await pipeline.suspend(suspension)
                driver.setSuspended(source.spec.name, true)
            }
            if let pin = record.pin { await pipeline.pin(pin) }
        }
        let pipelines = self.pipelines, driver = self.driver, deliveries = self.deliveries, changes = statusChanges
        let resyncInterval = driver.resyncInterval.map { min($0, config.sources.map(\.spec.interval).min() ?? $0) }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                // The driver ends only by failing (a lost lease): that ends everything.
                group.addTask { try await driver.run() }
                group.addTask {
                    await deliveries.run { target, desired, result in
                        await pipelines[desired.source]?.delivered(to: target, revision: desired.revision, result)
                        await self.delivered(desired, to: target, result)
                    }
                }
                group.addTask {
                    for await status in changes { await self.sourceChanged(status) }
                }
                group.addTask {
                    // Drift found between deliveries, to the source's alert providers.
                    for await notice in driver.notices {
                        var alert = SourceAlert(source: notice.source, revision: nil, failing: notice.failing, message: notice.message)
                        alert.drift = true
                        await self.alert(alert)
                    }
                }
                for pipeline in pipelines.values {
                    group.addTask { await pipeline.run() }
                }
                group.addTask {
                    // Snapshots of commits nothing holds any more go, now and then.
                    while true {
                        try await Task.sleep(for: .seconds(600))
                        await self.pruneSnapshots()
                    }
                }
                if let fleet = driver as? ClusterFleet {
                    // A cluster that answers again gets what it was given at
                    // once, not after its deliveries' backoff.
                    group.addTask {
                        for await cluster in fleet.comebacks {
                            for pipeline in pipelines.values {
                                // A suspended source is left as it is there too, until resumed.
                                guard await pipeline.status.suspension == nil else { continue }
                                if let desired = await pipeline.given[cluster] { deliveries.deliver(desired, to: cluster) }
                            }
                        }
                    }
                }
                if let resyncInterval {
                    // What was changed in a target by hand is put back at the
                    // resync interval: the revision in force, delivered again.
                    group.addTask {
                        while true {
                            try await Task.sleep(for: resyncInterval)
                            for pipeline in pipelines.values {
                                // A suspended source is left as it is.
                                guard await pipeline.status.suspension == nil else { continue }
                                for (target, desired) in await pipeline.given { deliveries.deliver(desired, to: target, resync: true) }
                            }
                        }
                    }
                }
            }
        } catch is CancellationError {
        } catch {
            await driver.shutdown()
            throw error
        }
        await driver.shutdown()
    }

    private func pruneSnapshots() async {
        var inForce: Set<String> = []
        for pipeline in pipelines.values {
            for desired in await pipeline.given.values { if let checkout = desired.checkout { inForce.insert(checkout) } }
            if let checkout = await pipeline.inForce?.checkout { inForce.insert(checkout) }
        }
        do {
            let removed = try janitor.prune(inForce: inForce)
            if !removed.isEmpty { options.logger.info("removed \(removed.count) snapshot(s) of commits nothing holds any more") }
        } catch {
            options.logger.warning("snapshots not pruned: \(error)")
        }
    }

    /// What the event log last said of a source.
    private struct ReportedSync: Equatable {
        var ready: Bool
        var reason: String
        /// The revision in force when ready, the one refused when not.
        var revision: String?
    }

    /// A source's way going wrong, a new revision in force, or a recovery:
    /// one event each (not one per retry), and the failures and recoveries
    /// to the AlertProviders the revision in force declares.
    private func sourceChanged(_ status: SourceStatus) async {
        let name = status.name
        if let report = await sources().first(where: { $0.name == name }) { await driver.sourceChanged(report) }
        if status.ready { syncedSources.insert(name) }
        let failures = syncFailures[name] ?? 0
        // Made on the first word of a source, so the series exists (at 0) before any failure.
        let errors = Counter(label: "serin_git_sync_errors_total", dimensions: [("source", name)])
        if status.consecutiveFailures > failures { errors.increment(by: status.consecutiveFailures - failures) }
        syncFailures[name] = status.consecutiveFailures
        if let waves = status.waves, waves != reportedWaves[name] {
            let before = reportedWaves[name]
            reportedWaves[name] = waves
            if before?.revision != waves.revision || before?.wave != waves.wave || before?.hold != waves.hold {
                append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: waves.revision, author: nil, decision: "wave",
                             reason: "source \(name): " + waves.summary, source: name))
            }
        }
        guard status.reason != "Progressing" else { return }
        let last = reported[name]
        let now = ReportedSync(ready: status.ready, reason: status.reason,
                               revision: status.ready ? status.lastGoodRevision : status.lastAttemptedRevision ?? status.lastGoodRevision)
        guard now != last else { return }
        reported[name] = now
        let wasFailing = last.map { !$0.ready } ?? false
        if status.ready {
            let commit = status.lastGoodCommit
            var reason = "source \(name): \(status.lastGoodRevision ?? "-") in force"
            if let commit { reason += " (\"\(commit.subject)\" by \(commit.author))" }
            if wasFailing { reason += "; recovered from \(last?.reason ?? "a failure")" }
            append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: status.lastGoodRevision, author: commit?.author,
                         commit: commit?.id, decision: "synced", reason: reason, source: name))
            if wasFailing { await alert(SourceAlert(source: name, revision: status.lastGoodRevision, failing: false, message: reason)) }
        } else {
            let reason = "source \(name): \(status.message)"
            append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: now.revision, author: nil,
                         decision: "sync-failed", reason: reason, source: name))
            options.logger.error("sync failed", metadata: ["source": "\(name)", "reason": "\(status.message)"])
            await alert(SourceAlert(source: name, revision: now.revision, failing: true, message: reason))
        }
    }

    func alert(_ alert: SourceAlert) async {
        var providers: [String: AlertProviderSpec] = [:]
        for provider in await pipelines[alert.source]?.inForce?.manifests.alertProviders ?? [] {
            providers["\(provider.namespace)/\(provider.name)"] = provider.spec
        }
        guard !providers.isEmpty else { return }
        let logger = options.logger, policy = config.outboundPolicy
        for failure in await alert.send(to: providers, policy: policy) {
            // `namespace/name: why`; the metric names the provider as the rollouts' alerts do.
            let provider = String(failure.prefix { $0 != ":" }.split(separator: "/").last ?? "")
            Counter(label: AlertSender.failedMetric, dimensions: [("provider", provider)]).increment()
            logger.warning("alert not delivered", metadata: ["source": "\(alert.source)", "provider": "\(failure)"])
        }
    }

    func append(_ entry: EventLog.Entry) {
        let logger = options.logger
        log.post(entry) { error in
            logger.error("audit trail not written: \(error)", metadata: ["decision": "\(entry.decision)", "reason": "\(entry.reason)"])
        }
    }

    // MARK: OperatorControl

    public func rollouts() async -> [RolloutStatus] {
        var list: [RolloutStatus] = []
        for name in await driver.rolloutNames() {
            if let status = await status(name, eventLimit: 0) { list.append(status) }
        }
        return list
    }

    public func rollout(named name: String) async -> RolloutStatus? {
        await status(name, eventLimit: 20)
    }

    /// The status, with the gauges /metrics shows of it.
    private func status(_ name: String, eventLimit: Int) async -> RolloutStatus? {
        guard let status = await driver.status(of: name, eventLimit: eventLimit) else { return nil }
        let labels = [("name", status.name), ("namespace", status.namespace)] + (status.cluster.map { [("cluster", $0)] } ?? [])
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
            guard let pipeline = pipelines[source.spec.name] else { continue }
            var report = await pipeline.report(url: source.spec.url.redacted, ref: source.spec.reference.description)
            report.inventory = await driver.inventorySize(of: source.spec.name)
            reports.append(report)
        }
        return reports
    }

    public func workloads() async -> [WorkloadStatusReport] {
        await driver.workloads()
    }

    public func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome {
        await driver.command(command, rollout: name, by: caller)
    }

    public func events(after sequence: Int) async -> EventLog.Subscription {
        log.deliveries(after: sequence)
    }

    public func events(from first: Int, through last: Int) async -> [EventLog.Entry] {
        await log.entries(from: first, through: last)
    }

    public func gitWebhook(source: String, headers: [String: String], body: [UInt8]) async -> WebhookOutcome {
        guard let pipeline = pipelines[source] else { return .unknownSource }
        guard let secretFile = webhookSecrets[source] ?? nil else {
            return .unauthorized("source \(source) has no webhookSecretFile: webhooks are refused")
        }
        do {
            let verifier = try WebhookVerifier(secretFile: secretFile)
            switch verifier.verify(headers: headers, body: Data(body)) {
            case .success:
                pipeline.requestSync()
                return .accepted
            case .failure(let rejection):
                return .unauthorized(rejection.reason)
            }
        } catch {
            return .unauthorized("cannot read the webhook secret: \(error)")
        }
    }

    /// Ready once started and every source was applied once.
    public func isReady() async -> Bool {
        guard started else { return false }
        for (name, pipeline) in pipelines where !syncedSources.contains(name) {
            // A suspended source is as ready as it will be until resumed.
            let status = await pipeline.status
            guard status.ready || status.suspension != nil else { return false }
            syncedSources.insert(name)
        }
        return true
    }

    /// Every kind of request sent to the apiserver so far, in RBAC's terms
    /// (empty on the local platform): what Serin's ClusterRole must allow.
    public func apiserverAccess() -> Set<RequestCounter.Access> {
        let drivers = (driver as? ClusterFleet)?.drivers ?? (driver as? KubernetesDriver).map { [$0] } ?? []
        return drivers.reduce(into: Set<RequestCounter.Access>()) { $0.formUnion(RequestCounter.rbac($1.requests.byAccess.keys)) }
    }

    public func promoteWave(source name: String, by caller: String?) async -> WaveCommandOutcome {
        guard let pipeline = pipelines[name] else { return .unknownSource }
        guard pipeline.configuration.waves.isStaged else { return .conflict("source \(name) has one wave: nothing waits for a promotion") }
        // A held source delivers nothing, the next wave included.
        if let suspension = await pipeline.status.suspension {
            return .conflict("source \(name) is \(suspension.description): serin resume \(name) first")
        }
        guard let record = await pipeline.record, record.hold == .pause else {
            let record = await pipeline.record
            let position = record.map { "\($0.revision) is in wave \(min($0.wave + 1, pipeline.configuration.waves.waves.count))" } ?? "no revision yet"
            return .conflict("no wave of \(name) waits for a promotion (\(position))")
        }
        guard await pipeline.promote() else { return .conflict("no wave of \(name) waits for a promotion") }
        let next = record.wave + 1
        let clusters = next < pipeline.configuration.waves.waves.count ? pipeline.configuration.waves.waves[next].joined(separator: ", ") : "-"
        let reason = "\(record.revision) promoted to wave \(next + 1) (\(clusters))" + (caller.map { " by \($0)" } ?? "")
        append(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: record.revision, author: caller, decision: "wave-promoted",
                     reason: "source \(name): \(reason)", source: name))
        return .accepted(reason)
    }

    public func metricsText() async -> String {
        let names = await driver.rolloutNames()
        driver.updateMetrics()
        Gauge(label: "serin_canary_total").record(names.count)
        for name in names { _ = await status(name, eventLimit: 0) }
        return options.registry.emitToString()
    }
}
