import Foundation
import Logging
import SerinAnalysis
import SerinEngine
import SerinKubernetes

/// What one cluster's reconciler keeps apart from the others'.
struct ClusterParts: Sendable {
    /// Its view of the event log (its entries name it).
    var log: EventLog
    /// Where its `declared.json` lives.
    var directory: String
    /// The sources delivered to it: what only another source declared is
    /// not its business.
    var sources: Set<String>
}

/// The driver of `platform: kubernetes`, where the records of waves are
/// kept, and where templates' and providers' Secrets are read (the home cluster).
struct ClusterDrivers {
    var driver: any PlatformDriver
    var waveStore: any WaveStore
    var secretReader: any SecretReader
}

extension Operator {
    /// `platform: kubernetes`: one cluster as it always ran (`kubernetes:`),
    /// or a `ClusterFleet` of `clusters:`, each with its own rollout states
    /// (`<stateDir>/clusters/<name>/rollouts`, so the same Canary in two
    /// clusters has two state files), its view of the event log and its
    /// sources; and where the records of waves are kept (the home cluster).
    static func clusterDriver(
        config: OperatorConfig.Resolved, store: StateStore, log: EventLog, logger: Logger,
        reconciler: (KubernetesPlatform, StateStore, ClusterParts?, MetricQueries.PodLabels) -> Reconciler<KubernetesPlatform, ContinuousClock>
    ) throws -> ClusterDrivers {
        let specs = config.sources.map(\.spec)
        let sourceSettings = Dictionary(config.sources.map { ($0.spec.name, $0.settings) }) { first, _ in first }
        if config.clusters.count == 1, let only = config.clusters.first, !only.ownState {
            let driver = try KubernetesDriver(name: only.name, settings: only.kubernetes, sources: specs, sourceSettings: sourceSettings,
                                              store: store, log: log, logger: logger) { platform, store in reconciler(platform, store, nil, only.kubernetes.metricLabels) }
            return ClusterDrivers(driver: driver, waveStore: driver.waveStore, secretReader: driver.secretReader)
        }
        var drivers: [KubernetesDriver] = []
        for cluster in config.clusters {
            let directory = config.stateDirectory + "/clusters/" + cluster.name
            let sources = specs.filter { config.delivery[$0.name]?.waves.targets.contains(cluster.name) ?? true }
            let parts = ClusterParts(log: log.scoped(to: cluster.name), directory: directory, sources: Set(sources.map(\.name)))
            var clusterLogger = logger
            clusterLogger[metadataKey: "cluster"] = "\(cluster.name)"
            let driver = try KubernetesDriver(name: cluster.name, settings: cluster.kubernetes, sources: sources, sourceSettings: sourceSettings,
                                              store: try StateStore(stateDirectory: directory), log: parts.log, logger: clusterLogger,
                                              patient: true) { platform, store in reconciler(platform, store, parts, cluster.kubernetes.metricLabels) }
            drivers.append(driver)
        }
        let fleet = ClusterFleet(drivers: drivers, logger: logger)
        return ClusterDrivers(driver: fleet, waveStore: fleet.home.waveStore, secretReader: fleet.home.secretReader)
    }
}
