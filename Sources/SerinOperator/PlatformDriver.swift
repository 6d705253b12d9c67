import SerinEngine
import SerinHelm
import SerinLocal

/// What `serin run` does differently on each platform: its delivery
/// targets (the apply and release stages), the reconciler behind them, and
/// what runs beside it. The operator (Git sources, pipelines, API,
/// metrics) is the same on both.
protocol PlatformDriver: Sendable {
    /// Where valid revisions go: the local platform, or a cluster.
    var targets: [any DeliveryTarget] { get }
    /// How often the revision in force is delivered again to put back what
    /// was changed by hand; nil where nothing can drift.
    var resyncInterval: Duration? { get }
    /// ConfigMaps' and Secrets' data (Secrets decoded) where renderers read
    /// them (Flux's `substituteFrom`, a HelmRelease's `valuesFrom`): the
    /// cluster; nil on the local platform.
    var configData: (@Sendable (_ kind: String, _ namespace: String, _ name: String) async throws -> [String: String]?)? { get }
    /// The namespace `substituteFrom` reads from (Flux reads its Kustomization's).
    var configNamespace: String { get }
    /// What a chart's `.Capabilities` says: the cluster's, once known; Helm's defaults locally.
    var capabilities: HelmCapabilities { get }
    /// Adopts what runs from before a restart; the operator is ready after it.
    func start() async throws
    /// Until cancelled; throws when the driver can no longer act (a lost
    /// leader lease), which ends the operator.
    func run() async throws
    /// Releases what `start` and `run` held (connections); called once, last.
    func shutdown() async
    /// Brings the platform's own figures up to date before /metrics is read.
    func updateMetrics()
    /// Every rollout, by the name `status(of:)` takes (`namespace/name`;
    /// `cluster/namespace/name` with several clusters).
    func rolloutNames() async -> [String]
    func status(of name: String, eventLimit: Int) async -> RolloutStatus?
    func history(of name: String) async -> [RevisionHistoryEntry]?
    func workloads() async -> [WorkloadStatusReport]
    func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome

    // Sources: what only a cluster has (objects to diff, drift, an object per source).

    /// What applying `desired` would change.
    func diff(_ desired: DesiredState) async -> SourceDiffOutcome
    /// A source's status changed (the cluster's `sources.serin.dev` object).
    func sourceChanged(_ report: SourceStatusReport) async
    /// Held sources are neither corrected nor pruned.
    func setSuspended(_ source: String, _ suspended: Bool)
    /// Objects the source applied; nil where nothing is applied but workloads.
    func inventorySize(of source: String) async -> Int?
    /// Drift found between deliveries, to the source's alert providers.
    var notices: AsyncStream<SourceNotice> { get }
}

/// Something a driver found of a source on its own (drift), for its alerts.
struct SourceNotice: Sendable {
    var source: String
    var message: String
    /// Could not be put right.
    var failing: Bool
}

extension PlatformDriver {
    func diff(_ desired: DesiredState) async -> SourceDiffOutcome {
        .unavailable("serin diff compares a source with a cluster: the local platform has nothing to compare")
    }

    func sourceChanged(_ report: SourceStatusReport) async {}
    func setSuspended(_ source: String, _ suspended: Bool) {}
    func inventorySize(of source: String) async -> Int? { nil }
    var notices: AsyncStream<SourceNotice> { AsyncStream { $0.finish() } }
}

/// The reconciler's side of a driver, the same on every platform.
protocol ReconcilingDriver: PlatformDriver {
    associatedtype P: Platform
    var reconciler: Reconciler<P, ContinuousClock> { get }
}

extension ReconcilingDriver {
    func rolloutNames() async -> [String] { await reconciler.rolloutIDs.map(\.description) }
    func status(of name: String, eventLimit: Int) async -> RolloutStatus? { await reconciler.status(of: name, eventLimit: eventLimit) }
    func history(of name: String) async -> [RevisionHistoryEntry]? { await reconciler.history(of: name) }
    func workloads() async -> [WorkloadStatusReport] { await reconciler.workloads() }
    func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome {
        await reconciler.command(command, rollout: name, by: caller)
    }
}

/// The local platform: supervised processes behind Serin's router.
struct LocalDriver: ReconcilingDriver {
    let platform: LocalPlatform
    let reconciler: Reconciler<LocalPlatform, ContinuousClock>

    var targets: [any DeliveryTarget] { [LocalTarget(reconciler: reconciler)] }
    var resyncInterval: Duration? { nil }
    var configData: (@Sendable (String, String, String) async throws -> [String: String]?)? { nil }
    var configNamespace: String { "default" }
    var capabilities: HelmCapabilities { .helmDefault }

    func start() async throws { try await reconciler.start() }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await platform.run() }
            group.addTask { await reconciler.run() }
        }
        try Task.checkCancellation()
    }

    func shutdown() async {}

    func updateMetrics() {}
}

/// The local platform as a delivery target: nothing to apply but what the
/// reconciler runs (processes from the revision's read-only checkout).
struct LocalTarget: DeliveryTarget {
    let reconciler: Reconciler<LocalPlatform, ContinuousClock>

    var name: String { "local" }

    func deliver(_ desired: DesiredState, resync: Bool) async -> DeliveryResult {
        // The supervisor keeps processes as the reconciler left them: nothing drifts.
        guard !resync else { return .delivered }
        await reconciler.apply(desired)
        return .delivered
    }
}
