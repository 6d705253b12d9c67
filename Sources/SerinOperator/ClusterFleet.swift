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
    private let logger: Logger

    init(drivers: [KubernetesDriver], logger: Logger) {
        precondition(!drivers.isEmpty, "a fleet has a home cluster")
        self.drivers = drivers
        self.logger = logger
        (comebacks, comeback) = AsyncStream.makeStream()
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
        let drivers = self.drivers, comeback = self.comeback, logger = self.logger
        defer { comeback.finish() }
        try await withThrowingDiscardingTaskGroup { group in
            for (index, driver) in drivers.enumerated() {
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
        for driver in drivers { await driver.shutdown() }
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
