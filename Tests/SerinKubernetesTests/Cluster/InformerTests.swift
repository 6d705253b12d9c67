import Logging
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    @Suite struct InformerTests {
        static func describe(_ change: InformerChange<ConfigMap>) -> String {
            switch change {
            case .added(let new): "added \(new.metadata.name!)=\(new.data?["v"] ?? "")"
            case .updated(let old, let new): "updated \(new.metadata.name!) \(old.data?["v"] ?? "")->\(new.data?["v"] ?? "")"
            case .deleted(let old): "deleted \(old.metadata.name!)"
            }
        }

        static func names(_ informer: Informer<ConfigMap>) -> [String] {
            informer.list().compactMap(\.metadata.name)
        }

        /// Runs `body` while `informer` runs, then cancels it and waits for it.
        static func running<T: Sendable>(_ informer: Informer<ConfigMap>,
                                         _ body: () async throws -> T) async throws -> T {
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    await informer.run()
                    return nil
                }
                try await informer.waitForSync()
                let result = try await body()
                group.cancelAll()
                try await group.waitForAll()
                return result
            }
        }

        static func informer(_ client: KubeClient, _ namespace: String, watchTimeout: Duration = .seconds(300),
                             allowBookmarks: Bool = true) -> Informer<ConfigMap> {
            var logger = Logger(label: "serin.kubernetes.test.informer")
            logger.logLevel = KubeTestCluster.environment["SERIN_TEST_LOG"] == "trace" ? .trace : .info
            return Informer(client.resources(ConfigMap.self), namespace: namespace, labelSelector: "informed=yes",
                            watchTimeout: watchTimeout, allowBookmarks: allowBookmarks,
                            backoff: Backoff(base: .milliseconds(100), cap: .seconds(2)), logger: logger)
        }

        @Test func cacheConvergesAndSubscribersSeeChanges() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "before", namespace: namespace, labels: ["informed": "yes"]),
                                                    data: ["v": "0"]))
                let informer = Self.informer(client, namespace)
                try await Self.running(informer) {
                    #expect(informer.hasSynced)
                    #expect(Self.names(informer) == ["before"])
                    let changes = informer.changes()
                    for name in ["c", "a", "b"] {
                        _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: ["informed": "yes"]),
                                                            data: ["v": "1"]))
                    }
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "ignored", namespace: namespace, labels: ["informed": "no"])))
                    _ = try await maps.mergePatch("a", namespace: namespace, patch: ["data": ["v": "2"]])
                    try await maps.delete("before", namespace: namespace)
                    // Dropping the label takes an object out of the informer's view: a deletion.
                    _ = try await maps.mergePatch("c", namespace: namespace, patch: ["metadata": ["labels": ["informed": nil]]])

                    try await eventually("the cache holds a and b") {
                        Self.names(informer) == ["a", "b"] && informer.get("a", namespace: namespace)?.data?["v"] == "2"
                    }
                    var seen: [String] = []
                    for await change in changes {
                        seen.append(Self.describe(change))
                        if seen.count == 7 { break }
                    }
                    #expect(seen == ["added before=0", "added c=1", "added a=1", "added b=1", "updated a 1->2", "deleted before", "deleted c"])
                    // Readers ask the cache: no request for them.
                    let before = client.requests.current
                    for _ in 0..<100 { _ = informer.get("a", namespace: namespace) }
                    #expect(client.requests.current.since(before).total == 0)
                }
                #expect(informer.statistics.lists == 1)
            }
        }

        /// The apiserver ends each watch after 1-2 s; the informer resumes
        /// from its last resourceVersion, without a new list, and misses nothing.
        @Test func survivesWatchEnds() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                let informer = Self.informer(client, namespace, watchTimeout: .seconds(1))
                try await Self.running(informer) {
                    for round in 0..<4 {
                        let watches = informer.statistics.watches
                        _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "m\(round)", namespace: namespace,
                                                                                 labels: ["informed": "yes"])))
                        // Seen, and the watch that saw it ended and resumed: the next one goes to the next watch.
                        try await eventually("m\(round) is seen and the watch resumed") {
                            Self.names(informer).contains("m\(round)") && informer.statistics.watches > watches + 1
                        }
                    }
                    try await eventually("the cache holds m0...m3") {
                        Self.names(informer) == ["m0", "m1", "m2", "m3"]
                    }
                }
                let statistics = informer.statistics
                #expect(statistics.watches >= 3, "\(statistics)")
                #expect(statistics.lists == 1, "\(statistics)")
                #expect(statistics.relistsOnGone == 0, "\(statistics)")
                #expect(client.requests.current["list"] == 1)
            }
        }

        /// The informer's resume point is older than the apiserver keeps: the
        /// next watch gets an ERROR event with code 410 and the informer
        /// relists, catching up with a deletion it did not see.
        ///
        /// etcd compaction alone does not do it here: the apiserver's watch
        /// cache serves recent resume points whatever etcd compacted (a
        /// continue token does expire, see ConfigMapTests). So the next watch
        /// is pinned to revision 1, older than the watch cache's window once
        /// more ConfigMap changes than the cache holds (100) came after it:
        /// on a fresh cluster revision 1 may still be inside it.
        @Test func relistsOnGone() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "filler", namespace: namespace)))
                for index in 0..<120 {
                    _ = try await maps.mergePatch("filler", namespace: namespace, patch: ["data": ["n": .string(String(index))]])
                }
                for name in ["keep", "drop"] {
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: ["informed": "yes"])))
                }
                let informer = Self.informer(client, namespace, watchTimeout: .seconds(1))
                try await Self.running(informer) {
                    #expect(Self.names(informer) == ["drop", "keep"])
                    try await maps.delete("drop", namespace: namespace)
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "new", namespace: namespace, labels: ["informed": "yes"])))
                    informer.resumeNextWatch(from: "1")
                    try await eventually("the informer relisted") {
                        informer.statistics.relistsOnGone >= 1 && Self.names(informer) == ["keep", "new"]
                    }
                }
                #expect(informer.statistics.lists == 2, "\(informer.statistics)")
            }
        }

        /// An idle informer holds one watch open and sends nothing else
        /// (10 s; SERIN_KUBE_IDLE_SECONDS sets another time, under the
        /// informer's 300-600 s watch timeout).
        @Test func idleInformerSendsNoRequests() async throws {
            let seconds = KubeTestCluster.environment["SERIN_KUBE_IDLE_SECONDS"].flatMap(Int.init) ?? 10
            try await KubeTestCluster.withNamespace { client, namespace in
                let informer = Self.informer(client, namespace)
                let idle = try await Self.running(informer) {
                    try await eventually("the watch request goes out") { client.requests.current["watch"] >= 1 }
                    let start = client.requests.current
                    try await Task.sleep(for: .seconds(seconds))
                    return client.requests.current.since(start)
                }
                #expect(idle.total == 0, "\(idle)")
                print("idle informer, \(seconds) s: \(idle.total) requests; since the client started: \(client.requests.current)")
            }
        }
    }
}
