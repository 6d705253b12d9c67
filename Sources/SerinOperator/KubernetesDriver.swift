import Foundation
import Logging
import Metrics
import SerinAnalysis
import SerinEngine
import SerinGit
import SerinHelm
import SerinKubernetes
import SerinSpec
import Synchronization

/// `platform: kubernetes`: each source's objects applied to the cluster
/// (`ClusterSync`), its Deployments released by the engine through
/// Flagger's objects (`KubernetesPlatform`), Flagger's status and Events
/// written on every Canary, and each rollout's state kept in the cluster
/// beside the local files, so a new pod resumes every release.
/// The leader lease was lost: another replica may act from now on, so
/// this one stops at once (`serin run` exits 3, the pod restarts as a standby).
public struct LeadershipLost: Error, CustomStringConvertible {
    public static let exitStatus: Int32 = 3
    public var lease: String
    public var description: String { "the leader lease \(lease) is lost" }
}

final class KubernetesDriver: ReconcilingDriver {
    /// The cluster's name: its delivery target's.
    let name: String
    let client: KubeClient
    /// Whether its apiserver answers, for the waves (probed by `ClusterFleet`).
    let reachability: ClusterReachability
    /// One of several clusters: it waits for its apiserver rather than fail the operator.
    private let patient: Bool
    let kubeConfig: KubeConfig
    /// Clients acting as sources' ServiceAccounts, by source name.
    private let sourceClients: [String: KubeClient]
    let platform: KubernetesPlatform
    let reconciler: Reconciler<KubernetesPlatform, ContinuousClock>
    /// With leader election: nothing is done before the lease is held, and
    /// `run` ends the moment it is lost. On a client of its own: its
    /// renewals never queue behind the operator's requests.
    private let elector: LeaderElector?
    private let sync: ClusterSync
    /// The cluster's copies of what Git declares, kind by kind.
    private let cache: ClusterCache
    private let drift: DriftWatch
    private let sourceObjects: SourceObjectWriter
    /// Sources held by `serin suspend`: their objects are not corrected.
    private let suspended = HeldSources()
    private let sourceSettings: [String: SourceSettings]
    let notices: AsyncStream<SourceNotice>
    private let noticeSink: AsyncStream<SourceNotice>.Continuation
    private let statuses: CanaryStatusWriter
    private let reporter: CanaryStatusReporter
    private let store: StateStore
    private let log: EventLog
    private let logger: Logger
    let resyncInterval: Duration?
    /// The client's requests already counted in /metrics.
    private let exportedRequests = Mutex(RequestCounter.Counts())
    /// Set for a namespaced operator: what it acts on.
    private let scope: NamespaceScope?
    /// The Git sources' names: their inventories say which rollouts are this operator's.
    private let sourceNames: [String]
    /// Opened once the informer has listed and the reconciler adopted what
    /// runs: deliveries wait for it, so none is judged against an empty cache.
    private let adopted = Gate()
    /// The cluster's Secrets, watched: what MetricTemplates' and
    /// AlertProviders' `secretRef` name.
    private let secrets: Informer<Secret>
    var secretReader: any SecretReader { ClusterSecretReader(secrets: secrets) }
    let configNamespace: String
    /// Serin's namespace in the cluster: inventories, the Lease, records of waves.
    private let inventoryNamespace: String
    /// The cluster's version and API versions, learnt at start.
    private let learntCapabilities = Mutex<HelmCapabilities?>(nil)

    /// `name`: the cluster's (its delivery target's); `store` and `log` are
    /// the cluster's own (with several clusters, a folder and a view of the log each).
    init(name: String = ClusterSettings.singleName, settings: KubernetesSettings, sources: [GitSourceSpec],
         sourceSettings: [String: SourceSettings] = [:], store: StateStore, log: EventLog, logger: Logger, patient: Bool = false,
         reconciler: (KubernetesPlatform, StateStore) -> Reconciler<KubernetesPlatform, ContinuousClock>) throws {
        self.name = name
        self.patient = patient
        reachability = ClusterReachability(cluster: name)
        let config: KubeConfig
        if settings.kubeconfig != nil || ProcessInfo.processInfo.environment["KUBERNETES_SERVICE_HOST"] == nil {
            config = try KubeConfig.load(path: settings.kubeconfig, context: settings.context)
        } else {
            config = try KubeConfig.inCluster()
        }
        kubeConfig = config
        let client = try KubeClient(config: config, logger: logger)
        self.client = client
        scope = settings.watchNamespace.map(NamespaceScope.init)
        let written = WrittenObjects()
        secrets = Informer(client.resources(Secret.self), namespace: settings.watchNamespace, logger: logger)
        platform = KubernetesPlatform(client: client, namespace: settings.watchNamespace, defaultProvider: settings.provider,
                                      selectorLabels: settings.selectorLabels, written: written, logger: logger)
        var store = store
        store.replica = ClusterStateReplica(client: client, keyNamespace: settings.namespace)
        self.store = store
        let reconciler = reconciler(platform, store)
        self.reconciler = reconciler
        // A source with a ServiceAccount is synced as it (issue 21, item 5).
        var sourceClients: [String: KubeClient] = [:]
        for (source, account) in settings.serviceAccounts {
            sourceClients[source] = try KubeClient(config: config.impersonating(.serviceAccount(account, namespace: settings.namespace)),
                                                   logger: logger)
        }
        self.sourceClients = sourceClients
        let cache = ClusterCache(client: client, namespace: settings.watchNamespace, logger: logger)
        self.cache = cache
        sync = ClusterSync(client: client, inventoryNamespace: settings.namespace, createsInventoryNamespace: settings.watchNamespace == nil,
                           cache: cache, written: written, deployments: platform.deploymentCache,
                           install: settings.leaseName ?? "unelected", sourceClients: sourceClients, logger: logger)
        sourceObjects = SourceObjectWriter(client: client, namespace: settings.namespace, logger: logger)
        self.sourceSettings = sourceSettings
        (notices, noticeSink) = AsyncStream<SourceNotice>.makeStream()
        let suspended = self.suspended, sink = noticeSink
        drift = DriftWatch(client: client, cache: cache, deployments: platform.deploymentCache, daemonSets: platform.daemonSetCache,
                           written: written,
                           isHeld: { source in suspended.contains(source) }, sourceClients: sourceClients,
                           logger: logger) { event in
            Self.record(log, logger, event)
            switch event.kind {
            case .changed, .deleted: sink.yield(SourceNotice(source: event.source ?? "-", message: event.message, failing: false))
            case .failed: sink.yield(SourceNotice(source: event.source ?? "-", message: event.message, failing: true))
            case .handedOver: break
            }
        }
        elector = try settings.leaseName.map { name in
            try LeaderElector(config: config, name: name, namespace: settings.namespace,
                              identity: "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.prefix(8).lowercased())", logger: logger)
        }
        let platform = self.platform
        let statuses = CanaryStatusWriter(client: client) { rollout in
            platform.statusDetails(of: WorkloadID(namespace: rollout.namespace, name: rollout.workload), canaryWeight: rollout.canaryWeight)
        }
        self.statuses = statuses
        reporter = CanaryStatusReporter(writer: statuses, status: { id in await reconciler.status(of: id.description, eventLimit: 0) },
                                        failed: { id, error in logger.warning("the status of Canary \(id) is not written: \(error)") })
        self.log = log
        self.logger = logger
        inventoryNamespace = settings.namespace
        resyncInterval = sources.map(\.interval).min() ?? .seconds(60)
        sourceNames = sources.map(\.name)
        configNamespace = settings.watchNamespace ?? settings.namespace
    }

    var configData: (@Sendable (String, String, String) async throws -> [String: String]?)? {
        let client = self.client
        return { kind, namespace, name in try await client.configData(kind: kind, namespace: namespace, name: name) }
    }

    var capabilities: HelmCapabilities { learntCapabilities.withLock { $0 } ?? .helmDefault }

    var targets: [any DeliveryTarget] {
        [ClusterTarget(name: name, scope: scope, sync: sync, reconciler: reconciler, reporter: reporter, adopted: adopted,
                       reachability: reachability, drift: drift, settings: sourceSettings, platform: platform)]
    }

    /// Where the records of waves are kept when this is the home cluster: Serin's namespace in it.
    var waveStore: ClusterWaveStore {
        ClusterWaveStore(client: client, namespace: inventoryNamespace, createsNamespace: scope == nil)
    }

    /// A drift found by the watch, in the audit trail.
    private static func record(_ log: EventLog, _ logger: Logger, _ event: DriftEvent) {
        let decision = switch event.kind {
        case .changed, .deleted: "drift"
        case .failed: "drift-failed"
        case .handedOver: "handed-over"
        }
        log.post(.init(time: Date().timeIntervalSince1970, rollout: "-", revision: nil, author: nil, decision: decision,
                       reason: event.message, source: event.source)) { error in
            logger.error("audit trail not written: \(error)", metadata: ["decision": "\(decision)", "reason": "\(event.message)"])
        }
    }

    /// Built-in metrics from the app's pods (NGINX's series for nginx),
    /// by the pod labels Prometheus gives them, and Flagger's template
    /// variables from each Canary.
    static func queries(_ platform: KubernetesPlatform, labels: MetricQueries.PodLabels) -> LiveChecks.Queries {
        let pods = MetricQueries.Builtins.kubernetesPods(labels), daemonSetPods = MetricQueries.Builtins.kubernetesPods(labels, daemonSet: true)
        return LiveChecks.Queries(builtins: { context in
            if platform.routing(of: context.target)?.usesNGINX == true { return .nginx }
            return platform.kind(of: context.target) == .daemonSet ? daemonSetPods : pods
        }, context: { context in
            let routing = platform.routing(of: context.target)
            let hash = labels.podTemplateHash == nil ? "" : await platform.podTemplateHash(of: context.target) ?? ""
            return MetricQueries.Context(name: context.rollout.name, namespace: context.rollout.namespace, target: context.target.name,
                                         service: routing?.service, ingress: routing?.ingress?["metadata"]?["name"]?.stringValue ?? "",
                                         canaryRevision: context.canaryRevision ?? "", primaryRevision: context.primaryRevision ?? "",
                                         podTemplateHash: hash)
        }, trackedConfigs: { workload in
            platform.statusDetails(of: workload, canaryWeight: 0).trackedConfigs
        })
    }

    /// The lease, Flagger's CRDs and the rollouts' states from the cluster.
    /// The apiserver may not answer yet (the operator started with the
    /// cluster): wait for it rather than exit.
    func start() async throws {
        var attempt = 0
        while true {
            do {
                // Namespaced, the Lease lives in the watched namespace, which
                // its Role's existence proves; the Role may not read namespaces.
                if scope == nil { try await elector?.ensureNamespace() }
                try await elector?.acquire()
                // A namespaced Role cannot install CRDs: an admin does (deploy/kubernetes/namespaced).
                if scope == nil {
                    try await sync.ensureFlaggerCRDs()
                    try await sync.ensureCRDs(try SourceCRD.definitions(), names: [SourceCRD.name])
                }
                // A source taken out of serin.yaml: what it applied goes (or stays, with prune: false).
                for removed in try await sync.pruneRemovedSources(configured: Set(sourceNames)) {
                    var reason = "source \(removed.source) left the configuration"
                    if !removed.pruned.isEmpty { reason += "; pruned " + removed.pruned.joined(separator: ", ") }
                    if !removed.kept.isEmpty { reason += "; kept " + removed.kept.joined(separator: ", ") }
                    if !removed.failures.isEmpty { reason += "; not pruned: " + removed.failures.joined(separator: ", ") }
                    record("-", "pruned", reason)
                }
                await sourceObjects.removeOthers(than: Set(sourceNames))
                // Only this operator's rollouts: the cluster may hold the
                // states of another `serin run` (another install, a test).
                let owned = try await sync.appliedCanaries(of: sourceNames)
                let restore = try await store.restoreFromReplica(keys: owned)
                if !restore.restored.isEmpty { record("-", "restored", "rollout states read from the cluster: \(restore.restored.joined(separator: ", "))") }
                for refusal in restore.refused { record("-", "error", refusal) }
                // What charts see of the cluster (Helm asks discovery the same way).
                let learnt = HelmCapabilities(kubeVersion: try await client.serverVersion(), apiVersions: try await client.servedVersions())
                learntCapabilities.withLock { $0 = learnt }
                reachability.answered()
                return
            } catch let error as LeaseNamespaceMissing {
                // Retrying cannot help: the message is the command that does.
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                reachability.failed("not ready for Serin: " + ClusterReachability.oneLine("\(error)"))
                attempt += 1
                logger.warning("the cluster is not ready for Serin yet: \(error)", metadata: ["attempt": "\(attempt)", "cluster": "\(name)"])
                try await Task.sleep(for: .seconds(min(30, attempt)))
            }
        }
    }

    /// The informer, the reconciler, the status reporter, the Events and
    /// the lease, as child tasks: cancelling ends them all; losing the
    /// lease ends them all and throws.
    func run() async throws {
        let entries = log.subscribe(after: log.lastSequence)
        let platform = self.platform, reconciler = self.reconciler, reporter = self.reporter, adopted = self.adopted
        let cache = self.cache, drift = self.drift
        defer { cache.finish() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await platform.run() }
            group.addTask { await cache.run() }
            group.addTask { await drift.run() }
            group.addTask { await self.secrets.run() }
            group.addTask {
                // The informer's first list comes before anything is adopted or judged.
                try await self.adopt()
                adopted.open()
                await reconciler.run()
            }
            group.addTask { await reporter.run(clock: ContinuousClock()) }
            group.addTask { await self.followChangesOutsideGit() }
            group.addTask { await self.report(entries) }
            if let elector {
                group.addTask {
                    await elector.holdUntilLost()
                    try Task.checkCancellation()
                    // Every decision so far is saved; another replica may act from now on.
                    self.logger.critical("the leader lease \(elector.namespace)/\(elector.name) is lost; stopping")
                    throw LeadershipLost(lease: "\(elector.namespace)/\(elector.name)")
                }
            }
        }
    }

    /// The reconciler adopts what runs. One cluster among several waits
    /// for its apiserver as long as it takes (the others go on); the only
    /// cluster fails the operator, as it always did.
    private func adopt() async throws {
        var attempt = 0
        while true {
            do {
                try await reconciler.start()
                return
            } catch {
                guard patient, !Task.isCancelled else { throw error }
                reachability.failed("cannot adopt what runs: " + ClusterReachability.oneLine("\(error)"))
                attempt += 1
                logger.warning("cluster \(name): cannot adopt what runs yet: \(error)", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .seconds(min(30, attempt)))
            }
        }
    }

    /// What the desired state depends on outside Git (a target another
    /// tool made, the ConfigMaps and Secrets a template uses, a Canary
    /// deleted in the cluster): the sources' revisions applied again when
    /// the platform sees such a change, and every minute at least.
    private func followChangesOutsideGit() async {
        let changes = platform.changesOutsideGit()
        let reconciler = self.reconciler, logger = self.logger, period = max(resyncInterval ?? .seconds(60), .seconds(15))
        await adopted.wait()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await change in changes {
                    logger.info("\(change): applying the sources' revisions again")
                    await reconciler.reapply()
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: period)) != nil { await reconciler.reapply() }
            }
        }
    }

    /// Every request Serin sent the apiserver: the operator's client's and the leader elector's.
    var requests: RequestCounter.Counts {
        var counts = client.requests.current
        if let election = elector?.requests.current {
            counts.byVerb.merge(election.byVerb, uniquingKeysWith: +)
            counts.byAccess.merge(election.byAccess, uniquingKeysWith: +)
        }
        return counts
    }

    /// `serin_kubernetes_requests_total{verb}`: every request Serin sent the
    /// apiserver (retries included; a watch counts once); and
    /// `serin_kubernetes_access_total{verb,resource}`: the same in RBAC's
    /// terms, what the ClusterRole must allow.
    func updateMetrics() {
        let now = requests
        let delta = exportedRequests.withLock { exported in
            defer { exported = now }
            return now.since(exported)
        }
        for (verb, count) in delta.byVerb where count > 0 {
            Counter(label: "serin_kubernetes_requests_total", dimensions: [("verb", verb)]).increment(by: count)
        }
        for (access, count) in delta.byAccess where count > 0 {
            Counter(label: "serin_kubernetes_access_total", dimensions: [("verb", access.verb), ("resource", access.resource)]).increment(by: count)
        }
    }

    // MARK: sources

    func diff(_ desired: DesiredState) async -> SourceDiffOutcome {
        var desired = desired
        if let scope { desired.manifests = scope.restrict(desired.manifests) }
        do {
            let objects = try ClusterTarget.labelled(desired).manifests.clusterObjects()
            let changes = await sync.diff(source: desired.source, objects: objects, releasedByPlatform: ClusterTarget.releasedByPlatform)
            return .diff(SourceDiff(source: desired.source, revision: desired.revision, objects: changes))
        } catch {
            return .unavailable("\(desired.revision) cannot be read as objects: \(error)")
        }
    }

    func sourceChanged(_ report: SourceStatusReport) async {
        var report = report
        report.inventory = await sync.inventorySize(of: report.name)
        await sourceObjects.write(report)
    }

    /// Whether `source` is delivered to this cluster.
    func delivers(_ source: String) -> Bool { sourceNames.contains(source) }

    func setSuspended(_ source: String, _ held: Bool) {
        suspended.set(source, held: held)
    }

    func inventorySize(of source: String) async -> Int? {
        await sync.inventorySize(of: source)
    }

    func shutdown() async {
        noticeSink.finish()
        await elector?.release()
        do {
            try await elector?.shutdown()
        } catch {
            logger.warning("the leader elector's Kubernetes client did not shut down cleanly: \(error)")
        }
        for (source, sourceClient) in sourceClients {
            do {
                try await sourceClient.shutdown()
            } catch {
                logger.warning("the Kubernetes client of source \(source) did not shut down cleanly: \(error)")
            }
        }
        do {
            try await client.shutdown()
        } catch {
            logger.warning("the Kubernetes client did not shut down cleanly: \(error)")
        }
    }

    /// Each decision of a rollout: its Canary's status, and an Event.
    private func report(_ entries: AsyncStream<EventLog.Entry>) async {
        for await entry in entries where entry.rollout != "-" {
            guard let id = CanaryStatusWriter.canary(of: entry.rollout) else { continue }
            reporter.mark(id)
            do {
                try await statuses.record(entry)
            } catch {
                logger.warning("no Event for \(entry.rollout): \(error)")
            }
        }
    }

    private func record(_ rollout: String, _ decision: String, _ reason: String, revision: String? = nil) {
        let logger = self.logger
        log.post(.init(time: Date().timeIntervalSince1970, rollout: rollout, revision: revision, author: nil, decision: decision, reason: reason)) { error in
            logger.error("audit trail not written: \(error)", metadata: ["decision": "\(decision)", "reason": "\(reason)"])
        }
    }
}

/// The Secrets `secretRef` names, from a watched cache; asked before the
/// cache has listed, it waits for the list.
struct ClusterSecretReader: SecretReader {
    let secrets: Informer<Secret>

    func secret(_ name: String, namespace: String) async throws -> [String: Data]? {
        try await secrets.waitForSync()
        guard let secret = secrets.get(name, namespace: namespace) else { return nil }
        return (secret.data ?? [:]).compactMapValues { Data(base64Encoded: $0) }
    }
}

/// A cluster as a delivery target: the revision's objects applied all or
/// nothing (its inventory kept, what left Git pruned, drift put back), then
/// its Deployments released, then its objects' health awaited.
struct ClusterTarget: DeliveryTarget {
    let name: String
    let scope: NamespaceScope?
    let sync: ClusterSync
    let reconciler: Reconciler<KubernetesPlatform, ContinuousClock>
    let reporter: CanaryStatusReporter
    let adopted: Gate
    let reachability: ClusterReachability
    let drift: DriftWatch
    let settings: [String: SourceSettings]
    let platform: KubernetesPlatform

    func deliver(_ desired: DesiredState, resync: Bool) async -> DeliveryResult {
        let result = await applyAndJudge(desired, resync: resync)
        // Failed while the cluster went out of reach (an apply cut off, a
        // health check that could not look): that is the reason, and its
        // wave waits for it to answer rather than halting on the revision.
        if let failure = result.failure, failure.reason != StageFailure.unreachable, let unreachable = reachability.unreachable {
            return DeliveryResult(failure: StageFailure(.apply, reason: StageFailure.unreachable, unreachable), notes: result.notes)
        }
        return result
    }

    private func applyAndJudge(_ desired: DesiredState, resync: Bool) async -> DeliveryResult {
        // A cluster out of reach fails the delivery at once, saying so: its
        // wave waits, and it is delivered again when it answers.
        if let unreachable = await adoptedOrUnreachable() ?? reachability.unreachable {
            return DeliveryResult(failure: StageFailure(.apply, reason: StageFailure.unreachable, unreachable))
        }
        guard !Task.isCancelled else { return DeliveryResult(failure: StageFailure(.apply, reason: "Cancelled", "the operator is stopping")) }
        var desired = desired
        var notes: [DeliveryNote] = []
        let source = desired.source
        if let scope {
            let elsewhere = desired.manifests.objects.filter { !$0.isSerinOwn && !scope.contains(kind: $0.kind, namespace: $0.namespace) }
            if !elsewhere.isEmpty {
                let names = elsewhere.map { "\($0.kind) \($0.namespace.map { "\($0)/" } ?? "")\($0.name)" }
                notes.append(DeliveryNote("skipped", "\(source): \(names.count) object(s) outside namespace \(scope.namespace) left to their "
                    + "namespace's operator: " + names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")))
            }
            desired.manifests = scope.restrict(desired.manifests)
            desired.plans = desired.plans.filter { scope.contains(kind: "Canary", namespace: $0.namespace) }
        }
        desired = Self.labelled(desired)
        let objects: [KubeObject]
        do {
            objects = try desired.manifests.clusterObjects()
        } catch {
            return DeliveryResult(failure: StageFailure(.apply, reason: "ApplyFailed", "\(error)"), notes: notes)
        }
        let settings = settings[source] ?? SourceSettings()
        drift.setAutoscaled(Self.autoscaled(objects), of: source)
        let takenOver = KubernetesPlatform.ReleasedServices(desired)
        let report = await sync.sync(source: source, objects: objects,
                                     options: .init(resync: resync, prune: settings.prune, releasedByPlatform: { object in
                                         takenOver.releases(object)
                                     }))
        notes += Self.notes(report, desired)
        if !report.refused.isEmpty {
            let more = report.refused.count > 1 ? " (and \(report.refused.count - 1) more)" : ""
            let kept = report.partial ? "only the Namespaces and CRDs it needed first were applied" : "nothing of it was applied"
            return DeliveryResult(failure: StageFailure(.apply, reason: "ApplyFailed", "refused by the apiserver: \(report.refused[0])\(more); \(kept)",
                                                        details: report.refused + report.failures), notes: notes)
        }
        if let first = report.failures.first {
            let more = report.failures.count > 1 ? " (and \(report.failures.count - 1) more)" : ""
            return DeliveryResult(failure: StageFailure(.apply, reason: "ApplyFailed", first + more, details: report.failures), notes: notes)
        }
        if !resync {
            await reconciler.apply(desired)
            reporter.mark(await reconciler.rolloutIDs)
        }
        // What runs already as the platform would write it is followed for drift too (after a restart).
        await platform.adoptWrites(desired)
        // Health: what Git declares, but the Canaries and their targets (judged by their rollouts).
        let released = Set(desired.manifests.canaries.compactMap { canary -> String? in
            guard let target = canary.spec.targetRef, let kind = target.kind, kind == "Deployment" || kind == "DaemonSet", let name = target.name else {
                return nil
            }
            return "\(kind) \(canary.namespace)/\(name)"
        })
        let checked = objects.filter { object in
            if object.kind == "Canary" && object.apiVersion.hasPrefix("flagger.app/") { return false }
            // A Service a Canary takes over is the rollout's (its selector and
            // labels are the platform's now, out of the source's informers).
            if object.apiVersion == "v1" && object.kind == "Service" && takenOver.releases(object) { return false }
            return !released.contains("\(object.kind) \(object.metadata.namespace ?? "default")/\(object.metadata.name ?? "")")
        }
        let problems = await sync.unhealthy(checked, expectedRevision: { object in
            Self.releasedByPlatform(object) ? KubernetesRevision.plainID(of: object["spec"].map { ["spec": $0] } ?? .null) : nil
        }, timeout: resync ? .zero : settings.healthTimeout)
        guard let first = problems.first else { return DeliveryResult(notes: notes) }
        let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
        let waited = resync ? "" : " after \(settings.healthTimeout)"
        return DeliveryResult(failure: StageFailure(.health, reason: "HealthCheckFailed", "not healthy\(waited): \(first)\(more)", details: problems),
                              notes: notes)
    }

    /// What the sync did, for the audit trail.
    static func notes(_ report: ClusterSync.Report, _ desired: DesiredState) -> [DeliveryNote] {
        var notes: [DeliveryNote] = []
        let source = desired.source
        if !report.applied.isEmpty { notes.append(DeliveryNote("applied", "\(source): " + report.applied.joined(separator: ", "))) }
        for object in report.drifted {
            notes.append(DeliveryNote("drift", "\(object); put back as \(desired.revision) declares it"))
        }
        if !report.pruned.isEmpty { notes.append(DeliveryNote("pruned", "\(source): " + report.pruned.joined(separator: ", "))) }
        for kept in report.kept { notes.append(DeliveryNote("kept", "\(source): not pruned: \(kept)")) }
        for object in report.handedOver { notes.append(DeliveryNote("handed-over", "\(source): \(object)")) }
        for refusal in report.refused { notes.append(DeliveryNote("refused", "\(desired.revision): \(refusal)")) }
        for failure in report.failures { notes.append(DeliveryNote("error", failure)) }
        return notes
    }

    /// The Deployments: the platform writes them (a release, or a plain deploy).
    @Sendable static func releasedByPlatform(_ object: KubeObject) -> Bool {
        object.apiVersion == "apps/v1" && object.kind == "Deployment"
    }

    /// The Deployments carry the source's label, as everything Serin applies for
    /// it does: the platform writes them from these documents.
    static func labelled(_ desired: DesiredState) -> DesiredState {
        // One assignment: every change of `manifests` re-indexes the
        // revision's Canaries (linear), so a change per Deployment was
        // quadratic in the Canaries at every resync.
        var plain = desired.manifests.plain
        for index in plain.indices where plain[index].kind == "Deployment" {
            var labels = plain[index].spec["metadata"]?["labels"]?.objectValue ?? [:]
            labels[ClusterSync.sourceLabel] = .string(desired.source)
            plain[index].spec["metadata"]?["labels"] = .object(labels)
        }
        var desired = desired
        desired.manifests.plain = plain
        return desired
    }

    /// The Deployments an autoscaler of the revision scales: their replicas are its.
    static func autoscaled(_ objects: [KubeObject]) -> Set<WrittenObjects.Key> {
        var keys: Set<WrittenObjects.Key> = []
        for object in objects where object.kind == "HorizontalPodAutoscaler" {
            guard let target = object["spec"]?["scaleTargetRef"], target["kind"]?.stringValue == "Deployment",
                  let name = target["name"]?.stringValue else { continue }
            keys.insert(WrittenObjects.Key(Deployment.resourceKind, namespace: object.metadata.namespace ?? "default", name: name))
        }
        return keys
    }

    /// Until the driver adopted what runs (the informer listed, saved
    /// states re-asserted), so nothing is judged against an empty cache;
    /// why the cluster cannot be reached, if it cannot meanwhile.
    private func adoptedOrUnreachable() async -> String? {
        // Polled: adoption takes well under a second once the apiserver answers.
        while !adopted.isOpen && !Task.isCancelled {
            if let unreachable = reachability.unreachable { return unreachable }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Released once every Canary of `desired` promoted its revision here
    /// (the reconciler's word); failed once one rolled it back; out of
    /// reach while the apiserver does not answer.
    func release(of desired: DesiredState) async -> ReleaseState {
        if let unreachable = reachability.unreachable { return .unreachable(unreachable) }
        guard adopted.isOpen else { return .releasing("cluster \(name) is starting") }
        return await reconciler.release(of: desired)
    }
}
