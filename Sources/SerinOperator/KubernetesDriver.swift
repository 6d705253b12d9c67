import Foundation
import Logging
import Metrics
import SerinAnalysis
import SerinEngine
import SerinGit
import SerinKubernetes
import SerinSpec
import Synchronization

/// `platform: kubernetes`: each source's manifests applied to the cluster
/// (`ClusterSync`), its Deployments released by the engine through
/// Flagger's objects (`KubernetesPlatform`), Flagger's status and Events
/// written on every Canary, and each rollout's state kept in the cluster
/// beside the local files, so a new pod resumes every release.
final class KubernetesDriver: ReconcilingDriver {
    enum ExitStatus {
        /// `serin run` ends with it when another replica may have taken over.
        static let leadershipLost: Int32 = 3
    }

    let client: KubeClient
    let platform: KubernetesPlatform
    let reconciler: Reconciler<KubernetesPlatform, ContinuousClock>
    /// With leader election: nothing is done before the lease is held, and
    /// the process ends the moment it is lost.
    /// On a client of its own: its renewals never queue behind the operator's requests.
    private let elector: LeaderElector?
    private let sync: ClusterSync
    private let statuses: CanaryStatusWriter
    private let store: StateStore
    private let log: EventLog
    private let logger: Logger
    /// How often each source's last revision is applied again, to put back
    /// what was changed by hand: the shortest source interval.
    private let resyncInterval: Duration
    /// The informer runs from `start` (the reconciler's restore waits for
    /// its first list) until `run` is cancelled.
    private let informer = Mutex<Task<Void, Never>?>(nil)
    /// The client's requests already counted in /metrics.
    private let exportedRequests = Mutex(RequestCounter.Counts())
    /// Set for a namespaced operator: what it acts on.
    private let scope: NamespaceScope?
    /// Rollouts (`namespace/name`) whose last status write failed.
    private let unwrittenStatuses = Mutex<Set<String>>([])
    /// Rollouts (`namespace/name`) whose last status was not a settled phase.
    private let releasing = Mutex<Set<String>>([])
    /// The Git sources' names: their inventories say which rollouts are this operator's.
    private let sourceNames: [String]
    /// The last revision applied of each source, for the resync.
    private let applied = Mutex<[String: (desired: DesiredState, objects: [KubeObject])]>([:])

    init(settings: KubernetesSettings, sources: [GitSourceSpec], store: StateStore, log: EventLog, logger: Logger,
         reconciler: (KubernetesPlatform, StateStore) -> Reconciler<KubernetesPlatform, ContinuousClock>) throws {
        let config: KubeConfig
        if settings.kubeconfig != nil || ProcessInfo.processInfo.environment["KUBERNETES_SERVICE_HOST"] == nil {
            config = try KubeConfig.load(path: settings.kubeconfig, context: settings.context)
        } else {
            config = try KubeConfig.inCluster()
        }
        let client = try KubeClient(config: config, logger: logger)
        self.client = client
        scope = settings.watchNamespace.map(NamespaceScope.init)
        platform = KubernetesPlatform(client: client, namespace: settings.watchNamespace, defaultProvider: settings.provider, logger: logger)
        var store = store
        store.replica = ClusterStateReplica(client: client, namespace: settings.watchNamespace)
        self.store = store
        self.reconciler = reconciler(platform, store)
        sync = ClusterSync(client: client, inventoryNamespace: settings.namespace, createsInventoryNamespace: settings.watchNamespace == nil,
                           logger: logger)
        elector = try settings.leaseName.map { name in
            try LeaderElector(config: config, name: name, namespace: settings.namespace,
                              identity: "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.prefix(8).lowercased())", logger: logger)
        }
        statuses = CanaryStatusWriter(client: client)
        self.log = log
        self.logger = logger
        resyncInterval = sources.map(\.interval).min() ?? .seconds(60)
        sourceNames = sources.map(\.name)
    }

    /// Built-in metrics from the app's pods (NGINX's series for nginx),
    /// and Flagger's template variables from each Canary.
    static func queries(_ platform: KubernetesPlatform) -> LiveChecks.Queries {
        LiveChecks.Queries(builtins: { context in
            platform.routing(of: context.target)?.usesNGINX == true ? .nginx : .kubernetesPods
        }, context: { context in
            let routing = platform.routing(of: context.target)
            return MetricQueries.Context(name: context.rollout.name, namespace: context.rollout.namespace, target: context.target.name,
                                         service: routing?.service, ingress: routing?.ingress?["metadata"]?["name"]?.stringValue ?? "",
                                         canaryRevision: context.canaryRevision ?? "", primaryRevision: context.primaryRevision ?? "")
        })
    }

    func start() async throws {
        // The apiserver may not answer yet (the operator started with the
        // cluster): wait for it rather than exit.
        var attempt = 0
        while true {
            do {
                try await elector?.acquire()
                // A namespaced Role cannot install CRDs: an admin does (deploy/kubernetes/namespaced).
                if scope == nil { try await sync.ensureFlaggerCRDs() }
                // Only this operator's rollouts: the cluster may hold the
                // states of another `serin run` (another install, a test).
                let owned = try await sync.appliedCanaries(of: sourceNames)
                let restored = try await store.restoreFromReplica { owned.contains($0) }
                if !restored.isEmpty { record("-", "restored", "rollout states read from the cluster: \(restored.joined(separator: ", "))") }
                break
            } catch {
                if Task.isCancelled { throw CancellationError() }
                attempt += 1
                logger.warning("the cluster is not ready for Serin yet: \(error)", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .seconds(min(30, attempt)))
            }
        }
        let platform = self.platform
        informer.withLock { $0 = Task { await platform.run() } }
        try await reconciler.start()
    }

    func run() async {
        let entries = log.subscribe(after: log.lastSequence)
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.reconciler.run() }
                group.addTask { await self.report(entries) }
                group.addTask { await self.resync() }
                group.addTask { await self.rewriteStatuses() }
                if let elector {
                    group.addTask {
                        await elector.holdUntilLost()
                        guard !Task.isCancelled else { return }
                        // Another replica may take over from now on: stop acting
                        // at once. Every decision so far is saved; the pod restarts as a standby.
                        self.logger.critical("the leader lease \(elector.namespace)/\(elector.name) is lost; exiting")
                        exit(ExitStatus.leadershipLost)
                    }
                }
            }
        } onCancel: {
            informer.withLock { $0?.cancel() }
        }
        await informer.withLock { $0 }?.value
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

    func shutdown() async {
        informer.withLock { $0?.cancel() }
        await informer.withLock { $0 }?.value
        await elector?.release()
        do {
            try await elector?.shutdown()
        } catch {
            logger.warning("the leader elector's Kubernetes client did not shut down cleanly: \(error)")
        }
        do {
            try await client.shutdown()
        } catch {
            logger.warning("the Kubernetes client did not shut down cleanly: \(error)")
        }
    }

    /// The source's objects into the cluster, then its Deployments to the engine.
    func apply(_ desired: DesiredState) async {
        var objects: [KubeObject]
        do {
            objects = try Self.objects(of: desired)
        } catch {
            record("-", "error", "cannot read the manifests of \(desired.revision): \(error)", revision: desired.revision)
            return
        }
        var desired = desired
        if let scope {
            let elsewhere = objects.filter { !scope.contains($0) }
            if !elsewhere.isEmpty {
                let names = elsewhere.map { "\($0.kind) \($0.metadata.namespace.map { "\($0)/" } ?? "")\($0.metadata.name ?? "")" }
                record("-", "skipped", "\(desired.source): \(names.count) object(s) outside namespace \(scope.namespace) left to their "
                    + "namespace's operator: " + names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : ""), revision: desired.revision)
            }
            objects = objects.filter(scope.contains)
            desired.manifests = scope.restrict(desired.manifests)
            desired.plans = desired.plans.filter { scope.contains(kind: "Canary", namespace: $0.namespace) }
        }
        applied.withLock { $0[desired.source] = (desired, objects) }
        await syncObjects(desired, objects)
        await reconciler.apply(desired)
        for id in await reconciler.rolloutIDs {
            if let status = await reconciler.status(of: id.description, eventLimit: 0) { await write(status) }
        }
    }

    /// Every manifest file of the revision, as the apiserver takes it.
    static func objects(of desired: DesiredState) throws -> [KubeObject] {
        guard let checkout = desired.checkout else { return [] }
        var objects: [KubeObject] = []
        for file in desired.manifests.files {
            let path = file.hasPrefix("/") ? file : checkout + "/" + file
            objects += try KubeObject.manifests(yaml: String(contentsOfFile: path, encoding: .utf8))
        }
        // Serin's own kinds (Workload, Strategy) have no place in the cluster.
        return objects.filter { !$0.apiVersion.hasPrefix(APIGroup.serin + "/") }
    }

    private func syncObjects(_ desired: DesiredState, _ objects: [KubeObject]) async {
        let report = await sync.sync(source: desired.source, objects: objects) { object in
            object.apiVersion == "apps/v1" && object.kind == "Deployment"
        }
        if !report.applied.isEmpty { record("-", "applied", "\(desired.source): " + report.applied.joined(separator: ", "), revision: desired.revision) }
        for object in report.drifted {
            record("-", "drift", "\(object) was changed in the cluster; put back as \(desired.revision) declares it", revision: desired.revision)
        }
        if !report.pruned.isEmpty { record("-", "pruned", "\(desired.source): " + report.pruned.joined(separator: ", "), revision: desired.revision) }
        for failure in report.failures { record("-", "error", failure, revision: desired.revision) }
    }

    /// Applies each source's last revision again at the resync interval.
    private func resync() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: resyncInterval)
            for (desired, objects) in applied.withLock({ Array($0.values) }) where !Task.isCancelled {
                await syncObjects(desired, objects)
            }
        }
    }

    /// Each decision of a rollout: its Canary's status, and an Event.
    private func report(_ entries: AsyncStream<EventLog.Entry>) async {
        for await entry in entries where entry.rollout != "-" {
            if let status = await reconciler.status(of: entry.rollout, eventLimit: 0) { await write(status) }
            do {
                try await statuses.record(entry)
            } catch {
                logger.warning("no Event for \(entry.rollout): \(error)")
            }
        }
    }

    private func write(_ status: RolloutStatus) async {
        let id = RolloutID(namespace: status.namespace, name: status.name).description
        let settled: Set<RolloutPhase> = [.initialized, .succeeded, .failed]
        _ = releasing.withLock { settled.contains(status.phase) ? $0.remove(id) : $0.insert(id).memberAfterInsert }
        do {
            try await statuses.write(status)
            _ = unwrittenStatuses.withLock { $0.remove(id) }
        } catch {
            logger.warning("the status of Canary \(status.namespace)/\(status.name) is not written: \(error)")
            _ = unwrittenStatuses.withLock { $0.insert(id) }
        }
    }

    /// Statuses are written at each decision, and every 2 s while a release
    /// runs (its weight and step move between decisions: `kubectl get
    /// canaries` showed the weight of the last decision); one that could not
    /// be written (the apiserver away, a conflict) is written again every
    /// 2 s until it is taken, or the Canary would show a phase long gone
    /// (Progressing after the promotion's decisions, with none to come).
    /// No work and no request when no release runs and every status was
    /// written; a status that did not change is not written.
    private func rewriteStatuses() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(2)) } catch { return }
            let due = unwrittenStatuses.withLock { $0 }.union(releasing.withLock { $0 })
            for id in due.sorted() {
                if let status = await reconciler.status(of: id, eventLimit: 0) {
                    await write(status)
                } else {
                    _ = unwrittenStatuses.withLock { $0.remove(id) }
                    _ = releasing.withLock { $0.remove(id) }
                }
            }
        }
    }

    private func record(_ rollout: String, _ decision: String, _ reason: String, revision: String? = nil) {
        do {
            try log.append(.init(time: Date().timeIntervalSince1970, rollout: rollout, revision: revision, author: nil, decision: decision, reason: reason))
        } catch {
            logger.error("audit trail not written: \(error)", metadata: ["decision": "\(decision)", "reason": "\(reason)"])
        }
    }
}
