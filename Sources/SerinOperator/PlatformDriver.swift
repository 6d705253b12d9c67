import SerinEngine
import SerinLocal

/// What `serin run` does differently on each platform: the reconciler on
/// that platform, and what runs beside it. The operator (Git sources, API,
/// metrics) is the same on both.
protocol PlatformDriver: Sendable {
    /// Adopts what runs from before a restart; the operator is ready after it.
    func start() async throws
    /// Until cancelled.
    func run() async
    /// Releases what `start` and `run` held (connections); called once, last.
    func shutdown() async
    /// Brings the platform's own figures up to date before /metrics is read.
    func updateMetrics()
    /// A new valid revision of one source.
    func apply(_ desired: DesiredState) async
    func rolloutIDs() async -> [RolloutID]
    func status(of name: String, eventLimit: Int) async -> RolloutStatus?
    func history(of name: String) async -> [RevisionHistoryEntry]?
    func workloads() async -> [WorkloadStatusReport]
    func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome
}

/// The reconciler's side of a driver, the same on every platform.
protocol ReconcilingDriver: PlatformDriver {
    associatedtype P: Platform
    var reconciler: Reconciler<P, ContinuousClock> { get }
}

extension ReconcilingDriver {
    func rolloutIDs() async -> [RolloutID] { await reconciler.rolloutIDs }
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

    func start() async throws { try await reconciler.start() }

    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await platform.run() }
            group.addTask { await reconciler.run() }
        }
    }

    func apply(_ desired: DesiredState) async { await reconciler.apply(desired) }

    func shutdown() async {}

    func updateMetrics() {}
}
