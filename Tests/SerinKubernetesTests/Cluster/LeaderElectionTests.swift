import Foundation
import NIOConcurrencyHelpers
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// The leader's renewals and the operator's own requests.
    @Suite struct LeaderElectionTests {
        /// A fresh cluster has no serin-system: the elector creates its
        /// Lease's namespace when it may, instead of failing for ever.
        @Test(.timeLimit(.minutes(2)))
        func theLeasesNamespaceIsCreatedWhenMissing() async throws {
            let client = try KubeTestCluster.client()
            let namespace = "serin-lease-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
            let elector = LeaderElector(client: client, name: "serin-leader", namespace: namespace, identity: "first")
            do {
                try await elector.ensureNamespace()
                #expect(try await client.resources(Namespace.self).getIfPresent(namespace) != nil)
                try await elector.ensureNamespace()
                try await elector.acquire()
                await elector.release()
            } catch {
                Issue.record("\(error)")
            }
            _ = try? await client.resources(Namespace.self).deleteIfPresent(namespace, propagationPolicy: .background)
            try await client.shutdown()
        }

        /// The operator's own ServiceAccount (deploy/kubernetes/rbac.yaml) may
        /// not create namespaces: the elector says at once what to run.
        @Test(.timeLimit(.minutes(2)))
        func aNamespaceItMayNotCreateEndsWithTheCommandThatFixesIt() async throws {
            let client = try KubeTestCluster.client()
            try await RBACTests.install(client)
            let scratch = try TemporaryDirectory()
            let kubeconfig = try await RBACTests.kubeconfig(client, in: scratch)
            let namespace = "serin-absent-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
            let elector = try LeaderElector(config: KubeConfig.load(path: kubeconfig), namespace: namespace, identity: "restricted")
            let error = await #expect(throws: LeaseNamespaceMissing.self) { try await elector.ensureNamespace() }
            #expect(error?.description.contains("run `kubectl create namespace \(namespace)`") == true, "\(String(describing: error))")
            #expect(try await client.resources(Namespace.self).getIfPresent(namespace) == nil)
            try await elector.shutdown()
            try await client.shutdown()
        }

        /// An elector made from the configuration has a client of its own:
        /// with the operator's client flooded (watches holding every
        /// connection of its pool, calls queued behind them, as 1,000
        /// Canaries initialising at once do), it still renews. An elector on
        /// the flooded client queues behind the flood and loses its lease.
        ///
        /// The flood is held by the fault proxy, in front of the apiserver
        /// for the operator's client only: every connection of that client's
        /// pool waits on an answer that never comes, whatever the machine's
        /// speed, while the apiserver itself stays as idle as the test
        /// cluster is (a real flood kept it busy for two minutes on 2 cores,
        /// and then no client renewed in time). Hundreds of calls queue, not
        /// thousands: AsyncHTTPClient's pool fails each queued call after its
        /// connect timeout with a search of the whole queue, and thousands
        /// of them kept the test process itself so busy (a debug build) that
        /// the elector with its own client renewed 8 times in 80 s, once too late.
        @Test(.timeLimit(.minutes(6)))
        func anElectorWithItsOwnClientRenewsWhileTheOperatorsClientIsFlooded() async throws {
            try await KubeTestCluster.withNamespace { _, namespace in
                try await ApiserverResilienceTests.withProxy { proxy in
                    var throughProxy = try KubeTestCluster.config()
                    throughProxy.server = "http://127.0.0.1:\(proxy.port)"
                    // The calls on the held connections never time out: the pool
                    // stays full for the whole test.
                    try await KubeClient.withClient(config: throughProxy, requestTimeout: .seconds(600)) { client in
                        try await Self.flood(client, through: proxy, namespace: namespace)
                    }
                }
            }
        }

        static func flood(_ client: KubeClient, through proxy: FaultInjectingProxy, namespace: String) async throws {
            // client-go's timing, with renewals every second rather than two.
            let timing = LeaderElector.Timing(leaseDuration: .seconds(15), renewDeadline: .seconds(10), retryPeriod: .seconds(1))
            let own = try LeaderElector(config: KubeTestCluster.config(), name: "own", namespace: namespace, identity: "own", timing: timing)
            let shared = LeaderElector(client: client, name: "shared", namespace: namespace, identity: "shared", timing: timing)
            try await own.acquire()
            try await shared.acquire()
            let lost = NIOLockedValueBox<[String: ContinuousClock.Instant]>([:])
            let holders = Task {
                await withDiscardingTaskGroup { group in
                    for (name, elector) in [("own", own), ("shared", shared)] {
                        group.addTask {
                            await elector.holdUntilLost()
                            if !Task.isCancelled { lost.withLockedValue { $0[name] = .now } }
                        }
                    }
                }
            }
            // The operator's calls about ConfigMaps are held from now on;
            // the lease's pass through.
            proxy.inject(.hold, count: 100_000) { $0.path.contains("/namespaces/\(namespace)/configmaps") }
            let flood = Task {
                await withDiscardingTaskGroup { group in
                    for _ in 0..<100 {
                        group.addTask {
                            do {
                                for try await _ in client.resources(ConfigMap.self).watch(namespace: namespace, timeoutSeconds: 600) {}
                            } catch {}
                        }
                    }
                    for index in 0..<200 {
                        group.addTask { _ = try? await client.resources(ConfigMap.self).getIfPresent("missing-\(index)", namespace: namespace) }
                    }
                }
            }
            do {
                // 64 connections per host (KubeClient's pool), each held: the
                // rest of the flood, and the shared elector's renewals, queue
                // (and fail after the client's 10 s connect timeout).
                try await eventually("the flood holds every connection of the operator's client") { proxy.held >= 64 }
                let saturated = ContinuousClock.now
                let renewals = own.requests.current["update"]
                try await eventually("the elector on the flooded client loses its lease", timeout: .seconds(120)) {
                    lost.withLockedValue { $0["shared"] } != nil
                }
                // The own client's renewals went on all along, and go on.
                try await eventually("the elector with its own client renews") { own.requests.current["update"] >= renewals + 3 }
                holders.cancel()
                await holders.value
                let result = lost.withLockedValue { $0 }
                #expect(result["own"] == nil, "the elector with its own client lost its lease while the operator's client was flooded")
                let renewed = own.requests.current["update"] - renewals
                print("operator's client flooded: the elector on it lost its lease after \(result["shared"].map { $0 - saturated } ?? .zero); "
                      + "the elector with its own client renewed \(renewed) times meanwhile")
            } catch {
                holders.cancel()
                flood.cancel()
                await flood.value
                await own.release()
                try await own.shutdown()
                throw error
            }
            flood.cancel()
            await flood.value
            await own.release()
            try await own.shutdown()
        }
    }
}
