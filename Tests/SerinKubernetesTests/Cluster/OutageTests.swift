import Foundation
import Logging
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// The apiserver out of reach, through a relay the test cuts.
    @Suite struct OutageTests {
        /// The test cluster's configuration, through `relay`.
        static func config(through relay: TCPRelay) throws -> KubeConfig {
            var config = try KubeTestCluster.config()
            config.server = "https://127.0.0.1:\(relay.port)"
            return config
        }

        static func relay() async throws -> TCPRelay {
            let config = try KubeTestCluster.config()
            let url = try #require(URL(string: config.server))
            return try await TCPRelay(to: url.host ?? "127.0.0.1", port: url.port ?? 443)
        }

        /// Reads are retried with backoff until the apiserver is back;
        /// creates are not retried.
        @Test func readsAreRetriedWritesAreNot() async throws {
            try await KubeTestCluster.withNamespace { direct, namespace in
                let relay = try await Self.relay()
                let policy = RetryPolicy(maxAttempts: 8, backoff: Backoff(base: .milliseconds(100), cap: .milliseconds(800)))
                try await KubeClient.withClient(config: Self.config(through: relay), retryPolicy: policy) { client in
                    _ = try await direct.resources(ConfigMap.self).create(ConfigMap(metadata: ObjectMeta(name: "x", namespace: namespace)))
                    try await relay.cut()

                    let create = await #expect(throws: KubeError.self) {
                        try await client.resources(ConfigMap.self).create(ConfigMap(metadata: ObjectMeta(name: "y", namespace: namespace)))
                    }
                    #expect(create?.isTransport == true, "\(String(describing: create))")
                    #expect(client.requests.current["create"] == 1)

                    let read = try await withThrowingTaskGroup(of: ConfigMap?.self) { group in
                        group.addTask { try await client.resources(ConfigMap.self).get("x", namespace: namespace) }
                        group.addTask {
                            try await Task.sleep(for: .milliseconds(700))
                            try await relay.restore()
                            return nil
                        }
                        var read: ConfigMap?
                        for try await result in group { read = read ?? result }
                        return read
                    }
                    #expect(read?.metadata.name == "x")
                    let gets = client.requests.current["get"]
                    // 100+200+400 ms of backoff (halved at worst by jitter) span the 700 ms outage.
                    #expect(gets >= 2 && gets <= 7, "\(gets) GETs")
                }
                await relay.stop()
            }
        }

        /// The informer keeps its cache while the apiserver is out of reach,
        /// backs off, and resumes its watch (no relist) when it is back,
        /// catching up with what changed meanwhile.
        @Test func informerKeepsItsCache() async throws {
            try await KubeTestCluster.withNamespace { direct, namespace in
                let maps = direct.resources(ConfigMap.self)
                for name in ["a", "b"] {
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: ["informed": "yes"])))
                }
                let relay = try await Self.relay()
                try await KubeClient.withClient(config: Self.config(through: relay), retryPolicy: RetryPolicy(maxAttempts: 2)) { client in
                    let informer = Informer(client.resources(ConfigMap.self), namespace: namespace, labelSelector: "informed=yes",
                                            backoff: Backoff(base: .milliseconds(100), cap: .milliseconds(800)))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await informer.run() }
                        try await informer.waitForSync()
                        #expect(informer.list().compactMap(\.metadata.name) == ["a", "b"])

                        try await relay.cut()
                        try await maps.delete("a", namespace: namespace)
                        _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "c", namespace: namespace, labels: ["informed": "yes"])))
                        try await Task.sleep(for: .seconds(3))
                        // Out of reach: the cache is as it was.
                        #expect(informer.list().compactMap(\.metadata.name) == ["a", "b"])
                        let failures = informer.statistics.failures
                        // Waits of 50-100, 100-200, 200-400, then 400-800 ms: 6 to 10 tries in 3 s
                        // (a retry every few milliseconds would be hundreds).
                        #expect(failures >= 4 && failures <= 14, "\(informer.statistics)")

                        try await relay.restore()
                        try await KubeTestCluster.eventually("the informer caught up") {
                            informer.list().compactMap(\.metadata.name) == ["b", "c"]
                        }
                        #expect(informer.statistics.lists == 1, "\(informer.statistics)")
                        group.cancelAll()
                    }
                }
                await relay.stop()
            }
        }
    }
}
