import Foundation
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// An operator on an empty state directory reads the rollout states
    /// back from the cluster: only its own (the Canaries its sources'
    /// inventories list), never those another `serin run` on the same
    /// cluster keeps (another install; a benchmark's thousand canaries
    /// were taken over by every test's operator before).
    @Suite struct StateRestoreTests {
        typealias Operator = KubernetesOperatorTests

        @Test(.timeLimit(.minutes(5)))
        func anotherOperatorsRolloutStatesAreNotRestored() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let foreign = ConfigMap(metadata: ObjectMeta(name: "serin-state-foreign", namespace: namespace,
                                                             labels: [ClusterStateReplica.label: "rollout"],
                                                             annotations: ["serin.dev/rollout": "\(namespace).foreign"]),
                                        data: ["state.json": "{}"])
                _ = try await client.resources(ConfigMap.self).create(foreign)
                let repository = try GitFixture()
                try repository.commit(["deploy/settings.yaml": Operator.configMap(namespace, "hello")], message: "first")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace)
                do {
                    try await eventually("settings is applied", timeout: .seconds(60)) {
                        try await Operator.greeting(client, namespace) == "hello"
                    }
                    let restored = Operator.decisions(running, "restored")
                    #expect(!restored.contains { $0.contains("\(namespace).foreign") }, "\(restored)")
                    let files = FileManager.default.enumerator(atPath: running.stateDirectory.path)?.allObjects as? [String] ?? []
                    #expect(!files.contains { $0.contains(".foreign") }, "\(files)")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }
    }
}
