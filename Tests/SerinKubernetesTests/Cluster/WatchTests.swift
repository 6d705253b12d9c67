import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    @Suite struct WatchTests {
        /// A watch from a list's resourceVersion replays what happened since.
        @Test func addedModifiedDeleted() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                let start = try await maps.list(namespace: namespace).resourceVersion
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "a", namespace: namespace), data: ["v": "1"]))
                _ = try await maps.mergePatch("a", namespace: namespace, patch: ["data": ["v": "2"]])
                try await maps.delete("a", namespace: namespace)

                var seen: [String] = []
                // The field selector leaves out kube-root-ca.crt, which the
                // controller-manager puts in every new namespace.
                for try await event in maps.watch(namespace: namespace, fieldSelector: "metadata.name=a", resourceVersion: start,
                                                  timeoutSeconds: 5) {
                    switch event {
                    case .added(let map), .modified(let map): seen.append("\(event.type) \(map.metadata.name!) \(map.data?["v"] ?? "")")
                    case .deleted(let map): seen.append("DELETED \(map.metadata.name!)")
                    case .bookmark: continue
                    case .error(let status): Issue.record("watch error \(status)")
                    }
                    if seen.count == 3 { break }
                }
                #expect(seen == ["ADDED a 1", "MODIFIED a 2", "DELETED a"])
            }
        }

        /// A live watch sees writes made while it streams, and ends by itself
        /// after timeoutSeconds.
        @Test func liveWatchEndsAfterItsTimeout() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                let start = try await maps.list(namespace: namespace).resourceVersion
                let clock = ContinuousClock()
                let began = clock.now
                let seen = try await withThrowingTaskGroup(of: [String].self) { group in
                    group.addTask {
                        var seen: [String] = []
                        for try await event in maps.watch(namespace: namespace, labelSelector: "watched=yes", resourceVersion: start,
                                                          timeoutSeconds: 3) {
                            switch event {
                            case .added(let map), .modified(let map), .deleted(let map): seen.append("\(event.type) \(map.metadata.name ?? "")")
                            case .bookmark: continue
                            case .error(let status): Issue.record("watch error \(status)")
                            }
                        }
                        return seen
                    }
                    group.addTask {
                        try await eventually("the watch request goes out") { client.requests.current["watch"] >= 1 }
                        _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "b", namespace: namespace, labels: ["watched": "yes"])))
                        _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "c", namespace: namespace, labels: ["watched": "no"])))
                        return []
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(seen == ["ADDED b"])
                #expect(clock.now - began >= .seconds(2.5))
                #expect(client.requests.current["watch"] == 1)
            }
        }

        /// A resourceVersion older than the apiserver keeps is 410 Gone: a
        /// thrown error or an ERROR event with code 410, depending on where
        /// the apiserver finds out.
        @Test func tooOldResourceVersionIsGone() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                var gone = false
                do {
                    for try await event in maps.watch(namespace: namespace, resourceVersion: "1", timeoutSeconds: 5) {
                        if case .error(let status) = event {
                            gone = status.code == 410
                            break
                        }
                    }
                } catch {
                    gone = (error as? KubeError)?.isGone == true
                }
                #expect(gone)
            }
        }
    }
}
