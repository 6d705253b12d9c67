import Foundation
import Logging
import SerinEngine
import SerinHelm
import SerinKubernetes

/// `clusters:`: one `KubernetesDriver` per cluster (its own client,
/// platform, reconciler, sync, state replica and Canary status), behind
/// the one driver the operator talks to. The home cluster (first) holds
/// the Lease: the operator starts once it holds it, and ends when it loses
/// it. Every other cluster starts on its own, waiting for its apiserver
/// for as long as it takes, so one cluster out of reach never stops the
/// others; its deliveries fail with the reason meanwhile (its wave waits),
/// and its rollouts carry on when it answers again.
///
/// Rollouts are named `cluster/namespace/name`: the same Canary in two
/// clusters is two rollouts, with a state file and a history each.
final class ClusterFleet: PlatformDriver {
    /// The home cluster first.
    let drivers: [KubernetesDriver]
    /// A cluster's name each time it answers again after an outage: what it
    /// was given is delivered to it again then, without waiting out a backoff.
    let comebacks: AsyncStream<String>
    private let comeback: AsyncStream<String>.Continuation
    /// Every cluster's drift notices, each naming its cluster.
    let notices: AsyncStream<SourceNotice>
    private let noticeSink: AsyncStream<SourceNotice>.Continuation
    private let logger: Logger

    init(drivers: [KubernetesDriver], logger: Logger) {
        precondition(!drivers.isEmpty, "a fleet has a home cluster")
        self.drivers = drivers
        self.logger = logger
        (comebacks, comeback) = AsyncStream.makeStream()
        (notices, noticeSink) = AsyncStream.makeStream()
    }

    var home: KubernetesDriver { drivers[0] }

    var targets: [any DeliveryTarget] { drivers.flatMap(\.targets) }
    var resyncInterval: Duration? { home.resyncInterval }
    // What a source's shared renderer reads: the home cluster's. A cluster
    // with variables of its own, or a source that substitutes from the
    // cluster, renders with that cluster's driver instead (Operator).
    var configData: (@Sendable (String, String, String) async throws -> [String: String]?)? { home.configData }
    var configNamespace: String { home.configNamespace }
    var capabilities: HelmCapabilities { home.capabilities }

    func driver(named name: String) -> KubernetesDriver? { drivers.first { $0.name == name } }

    /// The home cluster only: the Lease, before anything is done anywhere.
    func start() async throws {
        try await home.start()
    }

    func run() async throws {
        let drivers = self.drivers, comeback = self.comeback, logger = self.logger, noticeSink = self.noticeSink
        defer { comeback.finish() }
        try await withThrowingDiscardingTaskGroup { group in
            for (index, driver) in drivers.enumerated() {
                group.addTask {
                    for await var notice in driver.notices {
                        notice.message = "cluster \(driver.name): " + notice.message
                        noticeSink.yield(notice)
                    }
                }
                group.addTask { await driver.reachability.run(config: driver.kubeConfig) }
                group.addTask {
                    for await _ in driver.reachability.returns {
                        logger.info("cluster \(driver.name) answers again", metadata: ["cluster": "\(driver.name)"])
                        comeback.yield(driver.name)
                    }
                }
                group.addTask {
                    // Another cluster waits for its apiserver as long as it takes.
                    if index > 0 { try await driver.start() }
                    try await driver.run()
                }
            }
        }
    }

    func shutdown() async {
        noticeSink.finish()
        for driver in drivers { await driver.shutdown() }
    }

    // MARK: sources, in every cluster they go to

    /// Each cluster's `sources.serin.dev` object: the source's conditions,
    /// with the revision that cluster holds and its own inventory. Written
    /// side by side, and not to a cluster out of reach (its deliveries'
    /// results when it answers again change the status, and write it then).
    func sourceChanged(_ report: SourceStatusReport) async {
        await withDiscardingTaskGroup { group in
            for driver in drivers where driver.delivers(report.name) && driver.reachability.unreachable == nil {
                var own = report
                if let target = report.targets?[driver.name], target.revision != report.revision {
                    // The commit described is the source's newest, not what this cluster holds.
                    own.revision = target.revision
                    own.commit = nil
                }
                group.addTask { await driver.sourceChanged(own) }
            }
        }
    }

    /// `serin suspend`: no cluster corrects or prunes the source's objects.
    func setSuspended(_ source: String, _ suspended: Bool) {
        for driver in drivers { driver.setSuspended(source, suspended) }
    }

    /// The objects the source applied, over every cluster it goes to.
    func inventorySize(of source: String) async -> Int? {
        var total: Int?
        for driver in drivers where driver.delivers(source) {
            if let size = await driver.inventorySize(of: source) { total = (total ?? 0) + size }
        }
        return total
    }

    /// `serin diff`: each cluster against what it was given (else the
    /// revision in force), its objects named with their cluster.
    func diff(given: [String: DesiredState], inForce: DesiredState) async -> SourceDiffOutcome {
        var objects: [SourceDiff.Object] = []
        for driver in drivers where driver.delivers(inForce.source) {
            switch await driver.diff(given[driver.name] ?? inForce) {
            case .diff(let diff):
                objects += diff.objects.map { object in
                    var object = object
                    object.object = "cluster \(driver.name): " + object.object
                    return object
                }
            case .unknownSource: return .unknownSource
            case .unavailable(let why): return .unavailable("cluster \(driver.name): " + why)
            }
        }
        return .diff(SourceDiff(source: inForce.source, revision: inForce.revision, objects: objects))
    }

    func diff(_ desired: DesiredState) async -> SourceDiffOutcome {
        await diff(given: [:], inForce: desired)
    }

    func updateMetrics() {
        for driver in drivers { driver.updateMetrics() }
    }

    // MARK: rollouts, by cluster

    func rolloutNames() async -> [String] {
        var names: [String] = []
        for driver in drivers {
            names += await driver.rolloutNames().map { "\(driver.name)/\($0)" }
        }
        return names
    }

    /// `cluster/namespace/name`; or `namespace/name` or `name` where only
    /// one cluster has such a rollout.
    private func resolve(_ name: String) async -> (KubernetesDriver, String)? {
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2, name.split(separator: "/").count == 3, let driver = driver(named: parts[0]) {
            return (driver, parts[1])
        }
        var found: [(KubernetesDriver, String)] = []
        for driver in drivers where await driver.status(of: name, eventLimit: 0) != nil { found.append((driver, name)) }
        return found.count == 1 ? found[0] : nil
    }

    func status(of name: String, eventLimit: Int) async -> RolloutStatus? {
        guard let (driver, local) = await resolve(name), var status = await driver.status(of: local, eventLimit: eventLimit) else { return nil }
        status.cluster = driver.name
        return status
    }

    func history(of name: String) async -> [RevisionHistoryEntry]? {
        guard let (driver, local) = await resolve(name) else { return nil }
        return await driver.history(of: local)
    }

    func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome {
        guard let (driver, local) = await resolve(name) else { return .unknownRollout }
        return await driver.command(command, rollout: local, by: caller)
    }

    func workloads() async -> [WorkloadStatusReport] {
        var reports: [WorkloadStatusReport] = []
        for driver in drivers {
            for var report in await driver.workloads() {
                report.cluster = driver.name
                if let rollout = report.rollout { report.rollout = "\(driver.name)/\(rollout)" }
                reports.append(report)
            }
        }
        return reports
    }
}
