import Foundation
import Logging
import NIOConcurrencyHelpers
import SerinTesting
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

        /// The most attempts `backoff` lets start within `elapsed` of the
        /// first: attempt n waits at least half of its ceiling before it.
        static func mostAttempts(_ backoff: Backoff, within elapsed: Duration) -> Int {
            var attempts = 1
            var waited = Duration.zero
            while true {
                waited += backoff.ceiling(attempt: attempts - 1) / 2
                if waited > elapsed { return attempts }
                attempts += 1
            }
        }

        /// Reads are retried with backoff until the apiserver is back;
        /// creates are not retried.
        @Test func readsAreRetriedWritesAreNot() async throws {
            try await KubeTestCluster.withNamespace { direct, namespace in
                let relay = try await Self.relay()
                // Attempts enough for the relay to be back however late the test restores it.
                let policy = RetryPolicy(maxAttempts: 20, backoff: Backoff(base: .milliseconds(100), cap: .milliseconds(800)))
                try await KubeClient.withClient(config: Self.config(through: relay), retryPolicy: policy) { client in
                    _ = try await direct.resources(ConfigMap.self).create(ConfigMap(metadata: ObjectMeta(name: "x", namespace: namespace)))
                    try await relay.cut()

                    let create = await #expect(throws: KubeError.self) {
                        try await client.resources(ConfigMap.self).create(ConfigMap(metadata: ObjectMeta(name: "y", namespace: namespace)))
                    }
                    #expect(create?.isTransport == true, "\(String(describing: create))")
                    #expect(client.requests.current["create"] == 1)

                    let began = ContinuousClock.now
                    let restored = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
                    let read = try await withThrowingTaskGroup(of: ConfigMap?.self) { group in
                        group.addTask { try await client.resources(ConfigMap.self).get("x", namespace: namespace) }
                        group.addTask {
                            // Back once the client tried again twice, the second time after a backoff.
                            try await eventually("the GET is tried three times") { client.requests.current["get"] >= 3 }
                            try await relay.restore()
                            restored.withLockedValue { $0 = .now }
                            return nil
                        }
                        var read: ConfigMap?
                        for try await result in group { read = read ?? result }
                        return read
                    }
                    #expect(read?.metadata.name == "x")
                    let gets = client.requests.current["get"]
                    // Every attempt but the last failed before the relay was back, each
                    // after a wait of at least half its backoff: no more than that many
                    // fit in the outage, however slow the machine.
                    let outage = try #require(restored.withLockedValue { $0 }) - began
                    let most = Self.mostAttempts(policy.backoff, within: outage) + 1
                    #expect(gets >= 3 && gets <= most, "\(gets) GETs in an outage of \(outage) (at most \(most))")
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
                    let backoff = Backoff(base: .milliseconds(100), cap: .milliseconds(800))
                    let informer = Informer(client.resources(ConfigMap.self), namespace: namespace, labelSelector: "informed=yes",
                                            backoff: backoff)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await informer.run() }
                        try await informer.waitForSync()
                        #expect(informer.list().compactMap(\.metadata.name) == ["a", "b"])

                        let cut = ContinuousClock.now
                        try await relay.cut()
                        try await maps.delete("a", namespace: namespace)
                        _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "c", namespace: namespace, labels: ["informed": "yes"])))
                        // The informer tried again and again while the apiserver was out of reach.
                        try await eventually("the informer failed 4 times") { informer.statistics.failures >= 4 }
                        // Out of reach: the cache is as it was.
                        #expect(informer.list().compactMap(\.metadata.name) == ["a", "b"])
                        let failures = informer.statistics.failures
                        let elapsed = ContinuousClock.now - cut
                        // Each failure after the first waited at least half its backoff (50, 100, 200,
                        // then 400 ms): a retry every few milliseconds would be hundreds.
                        let most = Self.mostAttempts(backoff, within: elapsed)
                        #expect(failures <= most, "\(informer.statistics) in \(elapsed) (at most \(most))")

                        try await relay.restore()
                        try await eventually("the informer caught up") {
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
