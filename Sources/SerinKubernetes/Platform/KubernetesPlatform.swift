import Logging
import SerinEngine
import SerinSpec
import Synchronization

/// The engine's platform on a Kubernetes cluster, as Flagger runs a Canary
/// that targets a Deployment or a DaemonSet: the target is the canary
/// (scaled up during a release, to zero outside one), `<target>-primary`
/// serves, three Services and an HTTPRoute (or a canary Ingress, or the
/// apex Service's selector for the kubernetes provider) split the traffic.
/// Everything is written with server-side apply: Serin's field manager owns
/// what Git declares, a second one owns what the rollout sets (replicas, a
/// DaemonSet's scale-to-zero node selector, a paused ScaledObject), so
/// neither resets the other. Reads come from informers' caches.
public final class KubernetesPlatform: Platform, Sendable {
    public typealias Revision = KubernetesRevision

    public static let fieldManager = "serin"
    /// Flagger's `-selector-labels` default.
    public static let defaultSelectorLabels = FlaggerObjects.defaultSelectorLabels
    /// Owns the canary's replicas, apart from what Git declares.
    public static let rolloutFieldManager = "serin-rollout"

    public let client: KubeClient
    /// The provider of a Canary that names none.
    public let defaultProvider: String
    /// Flagger's `-selector-labels`: the labels a target may be selected by.
    public let selectorLabels: [String]
    let deployments: Informer<Deployment>
    let daemonSets: Informer<DaemonSet>
    let canaries: Informer<Canary>
    let logger: Logger
    // Unbounded: a change dropped would leave its rollout waiting for its next tick (nothing polls).
    private let readiness = AsyncStream<ReadinessChange>.makeStream()
    /// Something the desired state depends on changed outside Git (a target
    /// another tool made, a Canary deleted in the cluster): the reconciler
    /// should look at the sources' revisions again.
    let outsideChanges = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(16))
    let state = Mutex(State())

    struct State {
        /// The latest revision of each Canary's target, for routing: learnt
        /// from every desired state (the first sync after a restart included,
        /// which comes before anything is re-asserted).
        var released: [WorkloadID: KubernetesRevision] = [:]
        /// The canary cookie value last written per workload: after the
        /// release it is the "previous" cookie, expired on the route.
        var cookies: [WorkloadID: String] = [:]
        /// Targets read from the cluster (not in Git), by the identity of
        /// the pod template they had (`KubernetesRevision.templateIdentity`).
        var external: [WorkloadID: String] = [:]
        /// Canaries being finalized (their hand-over in flight).
        var finalizing: Set<String> = []
    }

    public nonisolated var targetKinds: Set<String> { ["Deployment", "DaemonSet"] }

    /// How long a route change waits for its gateways' `Accepted` condition.
    public let routeAcceptance: Duration
    /// How long a hand-over (a Canary removed) waits for the target to serve.
    public let handOverTimeout: Duration
    /// The Deployments written, as written: `DriftWatch` puts them back.
    public let written: WrittenObjects

    /// The Deployments the platform reads (every one in its namespace, or the cluster's).
    public var deploymentCache: Informer<Deployment> { deployments }
    /// The DaemonSets, likewise.
    public var daemonSetCache: Informer<DaemonSet> { daemonSets }

    public init(client: KubeClient, namespace: String? = nil, defaultProvider: String = "kubernetes",
                selectorLabels: [String] = KubernetesPlatform.defaultSelectorLabels, routeAcceptance: Duration = .seconds(30),
                handOverTimeout: Duration = .seconds(600), written: WrittenObjects = WrittenObjects(),
                logger: Logger = Logger(label: "serin.kubernetes")) {
        self.written = written
        self.client = client
        self.defaultProvider = defaultProvider
        self.selectorLabels = selectorLabels
        self.routeAcceptance = routeAcceptance
        self.handOverTimeout = handOverTimeout
        self.logger = logger
        deployments = Informer(client.resources(Deployment.self), namespace: namespace, logger: logger)
        daemonSets = Informer(client.resources(DaemonSet.self), namespace: namespace, logger: logger)
        canaries = Informer(client.resources(Canary.self), namespace: namespace, logger: logger)
    }

    /// Keeps the caches current, reports readiness changes and finalizes
    /// deleted Canaries, until cancelled.
    public func run() async {
        let deploymentChanges = deployments.changes(), daemonSetChanges = daemonSets.changes(), canaryChanges = canaries.changes()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.deployments.run() }
            group.addTask { await self.daemonSets.run() }
            group.addTask { await self.canaries.run() }
            group.addTask {
                for await change in deploymentChanges {
                    let deleted: Bool = if case .deleted = change { true } else { false }
                    self.observed(change.object.metadata, kind: .deployment, template: change.object.spec?.template, deleted: deleted,
                                  serves: !deleted && self.serves(change.object))
                }
            }
            group.addTask {
                for await change in daemonSetChanges {
                    let deleted: Bool = if case .deleted = change { true } else { false }
                    self.observed(change.object.metadata, kind: .daemonSet, template: change.object.spec?.template, deleted: deleted,
                                  serves: !deleted && self.serves(change.object))
                }
            }
            // A Canary being deleted is finalized in a task of its own: a
            // hand-over waits for its target, and others must not wait for it.
            for await change in canaryChanges {
                if case .deleted = change { continue }
                let canary = change.object
                guard canary.metadata.deletionTimestamp != nil else {
                    if self.finalizerIsStale(canary) { group.addTask { await self.finalizerFollowsSpec(canary) } }
                    continue
                }
                group.addTask { await self.finalizeIfDeleted(canary) }
            }
        }
    }

    /// A Deployment or DaemonSet changed: its readiness as an event, and
    /// for a target another tool owns, a template change as a new revision.
    /// Only a change of the template counts: its status, its replicas and
    /// Serin's scale-to-zero node selector change at every step of a
    /// release, and each would have the sources' revisions applied again.
    func observed(_ metadata: ObjectMeta, kind: KubernetesRevision.TargetKind, template: JSONValue?, deleted: Bool, serves: Bool) {
        guard let name = metadata.name else { return }
        let namespace = metadata.namespace ?? ResourceKey.defaultNamespace
        let primary = name.hasSuffix("-primary")
        let workload = WorkloadID(namespace: namespace, name: primary ? String(name.dropLast("-primary".count)) : name)
        let revision = primary ? liveRevision(ofPrimary: metadata, template: template, workload: workload)
                               : metadata.annotations?[FlaggerObjects.revisionAnnotation]
        readiness.continuation.yield(ReadinessChange(workload: workload, role: primary ? .primary : .canary, revision: revision, ready: serves))
        if !primary, let known = state.withLock({ $0.external[workload] }), let template,
           KubernetesRevision.templateIdentity(template) != known {
            outsideChanges.continuation.yield("\(kind.rawValue) \(workload) changed in the cluster")
        }
    }

    /// Changes outside Git the desired state depends on, one line each
    /// (for the log): the reconciler reads the sources' revisions again.
    public nonisolated func changesOutsideGit() -> AsyncStream<String> { outsideChanges.stream }

    public func restore() async throws -> String {
        try await deployments.waitForSync()
        try await daemonSets.waitForSync()
        try await canaries.waitForSync()
        return "kubernetes: \(deployments.list().count) deployments, \(daemonSets.list().count) daemonsets, \(canaries.list().count) canaries in the cache"
    }

    // MARK: what runs

    public func deployPrimary(_ revision: KubernetesRevision) async throws {
        remember(revision)
        guard let routing = revision.routing else {
            // No Canary (any more): the workload is released by Kubernetes itself.
            try await releaseWithoutCanary(revision)
            return
        }
        let owner = try await ownerReference(routing, namespace: revision.workload.namespace)
        try await reconcileFinalizer(routing, namespace: revision.workload.namespace)
        try await copyConfigs(revision, owner: owner)
        try await checkPrimarySelector(revision, routing)
        let targetServes = readiness(of: revision.workload, role: .primary)?.ready == true
        let firstPrimary = adoptable(revision.workload) == false
        try await apply(FlaggerObjects.primary(revision, routing, replicas: primaryReplicas(revision), owner: owner))
        try await reconcilePrimaryScaler(revision, owner: owner)
        if firstPrimary && targetServes {
            // A workload that served without a Canary: as Flagger's
            // Initialize, the primary is ready before the apex Service
            // moves to it and the target is scaled down.
            try await waitUntilPrimaryServes(revision)
        }
        for service in FlaggerObjects.services(routing, namespace: revision.workload.namespace, owner: owner, declaredApex: routing.apexService) {
            try await apply(service)
        }
        // The target exists (Git, or its own owner, declares it) but serves nothing outside a release.
        try await apply(revision.declared ? FlaggerObjects.target(revision) : FlaggerObjects.targetRevision(revision))
        try await scale(revision.workload, kind: revision.kind, to: 0)
        try await applyRoutes(.allPrimary, revision, routing, owner: owner)
    }

    public func startCanary(_ revision: KubernetesRevision) async throws {
        remember(revision)
        try await apply(revision.declared ? FlaggerObjects.target(revision) : FlaggerObjects.targetRevision(revision))
        try await scale(revision.workload, kind: revision.kind, to: canaryReplicas(revision))
    }

    public func scaleCanaryToZero(_ workload: WorkloadID) async throws {
        try await scale(workload, kind: kind(of: workload), to: 0)
    }

    /// The canary's pod template becomes the primary's (Flagger's promotion).
    /// The canary keeps running either way, as in Flagger; the routes stay
    /// until the rollout changes them.
    public func promote(_ revision: KubernetesRevision, keepingCanary: Bool) async throws {
        remember(revision)
        guard let routing = revision.routing else { return try await releaseWithoutCanary(revision) }
        let owner = try await ownerReference(routing, namespace: revision.workload.namespace)
        try await copyConfigs(revision, owner: owner)
        try await apply(FlaggerObjects.primary(revision, routing, replicas: primaryReplicas(revision), owner: owner))
        try await reconcilePrimaryScaler(revision, owner: owner)
    }

    /// Everything the platform made for the workload: both workloads, and
    /// for a Canary's target its Services, route and primary autoscaler. A
    /// target another tool owns is handed back to it, never deleted.
    public func remove(_ workload: WorkloadID) async throws {
        let kind = kind(of: workload)
        let previous = state.withLock { $0.released[workload] }
        let annotations = kind == .daemonSet ? daemonSets.get(workload.name, namespace: workload.namespace)?.metadata.annotations
                                             : deployments.get(workload.name, namespace: workload.namespace)?.metadata.annotations
        // No longer Serin's to put back: gone, or handed back to its owner.
        forgetWrites(of: workload)
        if annotations?[FlaggerObjects.notOwnedAnnotation] != nil || previous?.declared == false {
            try await handOver(workload, kind: kind, replicas: nil, previous: previous)
            forgetWrites(of: workload)
            return
        }
        let resources = kind == .daemonSet ? client.resources(DaemonSet.resourceKind) : client.resources(Deployment.resourceKind)
        _ = try await resources.deleteIfPresent(FlaggerObjects.primaryName(workload.name), namespace: workload.namespace)
        _ = try await resources.deleteIfPresent(workload.name, namespace: workload.namespace)
        guard let revision = state.withLock({ $0.released.removeValue(forKey: workload) }), let routing = revision.routing else { return }
        try await removeGenerated(revision, routing, keepApex: false)
    }

    public func setRoutes(_ routes: TrafficRoutes, for workload: WorkloadID) async throws {
        guard let revision = state.withLock({ $0.released[workload] }), let routing = revision.routing else {
            throw KubernetesPlatformError(.unsupported, object: "\(workload)", "\(workload) has no routing: no Canary in Git targets it")
        }
        let owner = try await ownerReference(routing, namespace: workload.namespace)
        try await applyRoutes(routes, revision, routing, owner: owner)
    }

    /// The route of each provider: an HTTPRoute, a canary Ingress, or the
    /// apex Service's selector (blue/green by the kubernetes provider).
    private func applyRoutes(_ routes: TrafficRoutes, _ revision: KubernetesRevision, _ routing: CanaryRouting, owner: JSONValue?) async throws {
        let workload = revision.workload
        if routing.usesGatewayAPI {
            let cookies = try await sessionCookies(for: routes, revision, routing)
            try await applyRoute(FlaggerObjects.httpRoute(workload, routing, routes, cookies: cookies, owner: owner), routing)
        } else if let ingress = routing.ingress {
            try await apply(FlaggerObjects.canaryIngress(ingress, routing, routes, namespace: workload.namespace, owner: owner))
        } else {
            try await apply(FlaggerObjects.services(routing, namespace: workload.namespace, apexOnCanary: routes.canaryWeight >= 100, owner: owner,
                                                    declaredApex: routing.apexService)[0])
        }
    }

    /// The cookies of a route with session affinity: the canary's names
    /// the revision being released; once the canary has no weight, the
    /// last one written (or, after a restart, read back from the route) is
    /// expired.
    private func sessionCookies(for routes: TrafficRoutes, _ revision: KubernetesRevision, _ routing: CanaryRouting) async throws -> FlaggerObjects.Cookies {
        guard let affinity = routing.sessionAffinity, let name = affinity.cookieName else { return .init() }
        let workload = revision.workload
        if routes.canaryWeight > 0 {
            let canary = revision.id
            state.withLock { $0.cookies[workload] = canary }
            let primary = running(workload: workload).primary
            return .init(canary: canary, primary: primary)
        }
        if let previous = state.withLock({ $0.cookies[workload] }) { return .init(previous: previous) }
        let kind = routing.gatewayVersion == "v1" ? HTTPRoute.resourceKind : HTTPRouteV1Beta1.resourceKind
        guard let live = try await client.resources(kind).getIfPresent(routing.service, namespace: workload.namespace),
              let previous = FlaggerObjects.canaryCookie(in: (try? JSONValue(encoding: live)) ?? .null, name: name) else { return .init() }
        state.withLock { $0.cookies[workload] = previous }
        return .init(previous: previous)
    }

    /// How the workload's Canary routes traffic, as Git declares it now.
    public func routing(of workload: WorkloadID) -> CanaryRouting? {
        state.withLock { $0.released[workload]?.routing }
    }

    /// The Canary status fields the platform knows: Flagger's session
    /// affinity cookies and the tracked configs' checksums.
    public func statusDetails(of workload: WorkloadID, canaryWeight: Int) -> CanaryStatusDetails {
        state.withLock { state in
            guard let revision = state.released[workload], let routing = revision.routing else { return CanaryStatusDetails() }
            var details = CanaryStatusDetails(trackedConfigs: revision.configs.checksums.isEmpty ? nil : revision.configs.checksums)
            if let name = routing.sessionAffinity?.cookieName, let cookie = state.cookies[workload] {
                if canaryWeight > 0 { details.sessionAffinityCookie = "\(name)=\(cookie)" } else { details.previousSessionAffinityCookie = "\(name)=\(cookie)" }
            }
            return details
        }
    }

    func remember(_ revision: KubernetesRevision) {
        guard revision.routing != nil else { return }
        state.withLock { $0.released[revision.workload] = revision }
    }

    /// Whether the workload is a Deployment or a DaemonSet.
    public func kind(of workload: WorkloadID) -> KubernetesRevision.TargetKind {
        if let known = state.withLock({ $0.released[workload]?.kind }) { return known }
        return daemonSets.get(workload.name, namespace: workload.namespace) != nil ? .daemonSet : .deployment
    }

    // MARK: scaling

    /// A Deployment's replicas, or a DaemonSet's scale-to-zero node selector.
    func scale(_ workload: WorkloadID, kind: KubernetesRevision.TargetKind, to replicas: Int64) async throws {
        switch kind {
        case .deployment: try await apply(FlaggerObjects.replicas(workload, replicas), manager: Self.rolloutFieldManager)
        case .daemonSet: try await apply(FlaggerObjects.daemonSetScale(workload, zero: replicas == 0), manager: Self.rolloutFieldManager)
        }
    }

    /// The primary's replicas: the autoscaler's when there is one (nil);
    /// else what Git declares; for a target another tool owns, what it
    /// asks for, or what the primary runs (Flagger's ScaleFromZero).
    func primaryReplicas(_ revision: KubernetesRevision) -> Int64? {
        guard revision.kind == .deployment, revision.autoscaler == nil else { return nil }
        if revision.declared { return revision.replicas }
        if let asked = revision.target["spec"]?["replicas"]?.intValue, asked > 0 { return asked }
        let primary = deployments.get(FlaggerObjects.primaryName(revision.name), namespace: revision.workload.namespace)
        return Int64(primary?.spec?.replicas ?? 1)
    }

    /// The canary's replicas while it runs: Flagger's ScaleFromZero.
    func canaryReplicas(_ revision: KubernetesRevision) -> Int64 {
        if revision.kind == .daemonSet { return 1 }
        if revision.declared, revision.target["spec"]?["replicas"] != nil { return max(1, revision.replicas) }
        if let replicas = primaryReplicas(revision), replicas > 0 { return replicas }
        if let minimum = revision.autoscaler?.object?["spec"]?["minReplicas"]?.intValue, minimum > 1 { return minimum }
        return 1
    }

    // MARK: readiness

    public func isReady(_ revision: String, as role: WorkloadRole, of workload: WorkloadID) async -> Bool {
        readiness(of: workload, role: role).map { $0.revision == revision && $0.ready } ?? false
    }

    /// The revision a role runs and whether it serves, from the caches: the
    /// primary is `<target>-primary`, or the target itself while it has none.
    func readiness(of workload: WorkloadID, role: WorkloadRole) -> (revision: String?, ready: Bool)? {
        let thresholds = state.withLock { $0.released[workload]?.routing }
        let primaryName = FlaggerObjects.primaryName(workload.name)
        if let primary = deployments.get(primaryName, namespace: workload.namespace) {
            let target = deployments.get(workload.name, namespace: workload.namespace)
            if role == .primary {
                return (liveRevision(ofPrimary: primary.metadata, template: primary.spec?.template, workload: workload),
                        serves(primary, threshold: thresholds?.primaryReadyThreshold ?? 100))
            }
            return target.map { ($0.metadata.annotations?[FlaggerObjects.revisionAnnotation], serves($0, threshold: thresholds?.canaryReadyThreshold ?? 100)) }
        }
        if let primary = daemonSets.get(primaryName, namespace: workload.namespace) {
            if role == .primary {
                return (liveRevision(ofPrimary: primary.metadata, template: primary.spec?.template, workload: workload),
                        serves(primary, threshold: thresholds?.primaryReadyThreshold ?? 100))
            }
            return daemonSets.get(workload.name, namespace: workload.namespace).map {
                ($0.metadata.annotations?[FlaggerObjects.revisionAnnotation], serves($0, threshold: thresholds?.canaryReadyThreshold ?? 100))
            }
        }
        // A workload without a Canary is its own primary.
        guard role == .primary else { return nil }
        if let plain = deployments.get(workload.name, namespace: workload.namespace) {
            return (plain.metadata.annotations?[FlaggerObjects.revisionAnnotation], serves(plain))
        }
        return daemonSets.get(workload.name, namespace: workload.namespace).map {
            ($0.metadata.annotations?[FlaggerObjects.revisionAnnotation], serves($0))
        }
    }

    /// The revision a `-primary` runs: Serin's annotation, or for one
    /// another operator made (Flagger, before Serin took over) the latest
    /// revision when its pod template is that revision's primary template,
    /// else an id of its own (`adopted-...`).
    func liveRevision(ofPrimary metadata: ObjectMeta, template: JSONValue?, workload: WorkloadID) -> String? {
        if let annotated = metadata.annotations?[FlaggerObjects.revisionAnnotation] { return annotated }
        guard let template else { return nil }
        if let revision = state.withLock({ $0.released[workload] }), let routing = revision.routing,
           ClusterSync.holds(template, FlaggerObjects.primary(revision, routing, replicas: nil, owner: nil)["spec"]?["template"] ?? .null) {
            return revision.id
        }
        return "adopted-" + KubernetesRevision.identify(template)
    }

    public func running(_ workload: WorkloadID) async -> RunningRevisions {
        running(workload: workload)
    }

    func running(workload: WorkloadID) -> RunningRevisions {
        let primaryName = FlaggerObjects.primaryName(workload.name)
        if let primary = deployments.get(primaryName, namespace: workload.namespace) {
            let target = deployments.get(workload.name, namespace: workload.namespace)
            let canary = (target?.spec?.replicas ?? 0) > 0 ? target?.metadata.annotations?[FlaggerObjects.revisionAnnotation] : nil
            return RunningRevisions(primary: liveRevision(ofPrimary: primary.metadata, template: primary.spec?.template, workload: workload),
                                    canary: canary)
        }
        if let primary = daemonSets.get(primaryName, namespace: workload.namespace) {
            let target = daemonSets.get(workload.name, namespace: workload.namespace)
            let scaledDown = target?.spec?.template?["spec"]?["nodeSelector"]?[FlaggerObjects.scaleToZeroSelector.0] != nil
            let canary = target != nil && !scaledDown ? target?.metadata.annotations?[FlaggerObjects.revisionAnnotation] : nil
            return RunningRevisions(primary: liveRevision(ofPrimary: primary.metadata, template: primary.spec?.template, workload: workload),
                                    canary: canary)
        }
        let target = deployments.get(workload.name, namespace: workload.namespace)?.metadata
            ?? daemonSets.get(workload.name, namespace: workload.namespace)?.metadata
        return RunningRevisions(primary: target?.annotations?[FlaggerObjects.revisionAnnotation])
    }

    public nonisolated func readinessChanges() -> AsyncStream<ReadinessChange> { readiness.stream }

    /// The pod-template-hash of the canary's pods now: the target
    /// Deployment's ReplicaSet of its current revision (a DaemonSet has none).
    public func podTemplateHash(of workload: WorkloadID) async -> String? {
        guard let target = deployments.get(workload.name, namespace: workload.namespace),
              let revision = target.metadata.annotations?["deployment.kubernetes.io/revision"],
              let labels = target.spec?.selector?.matchLabels, !labels.isEmpty else { return nil }
        let selector = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let sets = try? await client.resources(ReplicaSet.self).list(namespace: workload.namespace, labelSelector: selector).items
        return sets?.first { $0.metadata.annotations?["deployment.kubernetes.io/revision"] == revision }?.podTemplateHash
    }

    func adoptable(_ workload: WorkloadID) -> Bool {
        let name = FlaggerObjects.primaryName(workload.name)
        return deployments.get(name, namespace: workload.namespace) != nil || daemonSets.get(name, namespace: workload.namespace) != nil
    }

    /// A `-primary` already runs (Flagger made it, or Serin before a lost
    /// state): its revision, to adopt. A Deployment without a Canary is
    /// not one: it becomes the canary's target, the primary is made.
    public func adoptablePrimary(of workload: WorkloadID) async -> String? {
        guard adoptable(workload) else { return nil }
        return running(workload: workload).primary
    }

    /// From the informers' copies: `<name>-primary` (or the Deployment
    /// itself while it has no Canary) and the target as the canary; a
    /// Deployment whose rollout failed (`Progressing=False`) says why.
    public func health(of workload: WorkloadID) async -> WorkloadHealth {
        let primaryName = FlaggerObjects.primaryName(workload.name)
        if let primary = daemonSets.get(primaryName, namespace: workload.namespace) {
            let target = daemonSets.get(workload.name, namespace: workload.namespace)
            return WorkloadHealth(replicas: Int(primary.status?.desiredNumberScheduled ?? 0), readyReplicas: Int(primary.status?.numberReady ?? 0),
                                  canaryReplicas: Int(target?.status?.desiredNumberScheduled ?? 0),
                                  canaryReadyReplicas: Int(target?.status?.numberReady ?? 0))
        }
        let target = deployments.get(workload.name, namespace: workload.namespace)
        let primary = deployments.get(primaryName, namespace: workload.namespace) ?? target
        let canary = primary == target ? nil : target
        let count = { (deployment: Deployment?) in Int(deployment?.spec?.replicas ?? 0) }
        let ready = { (deployment: Deployment?) in Int(deployment?.status?.readyReplicas ?? 0) }
        var problem: (reason: String, message: String)?
        if primary == nil {
            problem = ("NotFound", "Deployment \(workload.namespace)/\(workload.name) is not in the cluster yet")
        } else if let stuck = primary?.status?.conditions?.first(where: { $0.type == "Progressing" && $0.status == "False" }) {
            problem = (stuck.reason ?? "ProgressDeadlineExceeded", stuck.message ?? "the Deployment's rollout does not progress")
        }
        return WorkloadHealth(replicas: count(primary), readyReplicas: ready(primary), canaryReplicas: count(canary),
                              canaryReadyReplicas: ready(canary), problem: problem)
    }

    /// Rolled out (with the Canary's ready threshold), with at least one replica.
    func serves(_ deployment: Deployment, threshold: Int = 100) -> Bool {
        deployment.isRolledOut(threshold: threshold) && (deployment.spec?.replicas ?? 1) > 0
    }

    func serves(_ daemonSet: DaemonSet, threshold: Int = 100) -> Bool {
        daemonSet.isRolledOut(threshold: threshold)
            && daemonSet.spec?.template?["spec"]?["nodeSelector"]?[FlaggerObjects.scaleToZeroSelector.0] == nil
    }

    /// Rolled out, with at least one replica (tests and benchmarks).
    static func serves(_ deployment: Deployment) -> Bool {
        deployment.isRolledOut && (deployment.spec?.replicas ?? 1) > 0
    }
}

/// What the platform adds to a Canary's status.
public struct CanaryStatusDetails: Sendable, Equatable {
    public var trackedConfigs: [String: String]?
    public var sessionAffinityCookie: String?
    public var previousSessionAffinityCookie: String?

    public init(trackedConfigs: [String: String]? = nil, sessionAffinityCookie: String? = nil, previousSessionAffinityCookie: String? = nil) {
        self.trackedConfigs = trackedConfigs
        self.sessionAffinityCookie = sessionAffinityCookie
        self.previousSessionAffinityCookie = previousSessionAffinityCookie
    }
}
