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
        /// with the operator's client flooded (watches holding its streams,
        /// thousands of calls queued behind them, as 1,000 Canaries
        /// initialising at once do), it still renews within its deadline.
        /// An elector on the flooded client is there for comparison: the
        /// test says what happened to it, but the cluster's speed decides
        /// whether it kept its lease.
        @Test(.timeLimit(.minutes(3)))
        func anElectorWithItsOwnClientRenewsWhileTheOperatorsClientIsFlooded() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let timing = LeaderElector.Timing(leaseDuration: .seconds(4), renewDeadline: .seconds(2), retryPeriod: .milliseconds(500))
                let own = try LeaderElector(config: KubeTestCluster.config(), name: "own", namespace: namespace, identity: "own", timing: timing)
                let shared = LeaderElector(client: client, name: "shared", namespace: namespace, identity: "shared", timing: timing)
                try await own.acquire()
                try await shared.acquire()
                let lost = NIOLockedValueBox<[String: Bool]>([:])
                let holders = Task {
                    await withDiscardingTaskGroup { group in
                        for (name, elector) in [("own", own), ("shared", shared)] {
                            group.addTask {
                                await elector.holdUntilLost()
                                if !Task.isCancelled { lost.withLockedValue { $0[name] = true } }
                            }
                        }
                    }
                }
                let started = ContinuousClock.now
                await withDiscardingTaskGroup { group in
                    for _ in 0..<300 {
                        group.addTask {
                            do {
                                for try await _ in client.resources(ConfigMap.self).watch(namespace: namespace, timeoutSeconds: 4) {}
                            } catch {}
                        }
                    }
                    for index in 0..<3000 {
                        group.addTask { _ = try? await client.resources(ConfigMap.self).getIfPresent("missing-\(index)", namespace: namespace) }
                    }
                }
                let flood = ContinuousClock.now - started
                try await Task.sleep(for: .seconds(1))
                holders.cancel()
                await holders.value
                let result = lost.withLockedValue { $0 }
                #expect(result["own"] != true, "the elector with its own client lost its lease during a \(flood) flood of the operator's client")
                print("flood of the operator's client: \(flood); the elector on that client \(result["shared"] == true ? "lost" : "kept") its lease")
                await own.release()
                try await own.shutdown()
            }
        }
    }
}
