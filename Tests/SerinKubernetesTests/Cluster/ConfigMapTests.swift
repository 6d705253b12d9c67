import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    @Suite struct ConfigMapTests {
        @Test func createReadUpdatePatchDelete() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                let created = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: namespace,
                                                                                   labels: ["app": "web"]),
                                                              data: ["port": "8080"]))
                #expect(created.metadata.uid != nil)
                #expect(created.metadata.resourceVersion != nil)

                var read = try await maps.get("settings", namespace: namespace)
                #expect(read.data == ["port": "8080"])
                #expect(read.metadata.labels == ["app": "web"])

                read.data?["host"] = "example"
                let updated = try await maps.update(read)
                #expect(updated.data == ["port": "8080", "host": "example"])
                #expect(updated.metadata.resourceVersion != read.metadata.resourceVersion)

                let merged = try await maps.mergePatch("settings", namespace: namespace, patch: ["data": ["port": "9090", "host": nil]])
                #expect(merged.data == ["port": "9090"])

                let patched = try await maps.jsonPatch("settings", namespace: namespace,
                                                       operations: [.test("/data/port", "9090"), .add("/data/mode", "blue")])
                #expect(patched.data == ["port": "9090", "mode": "blue"])
                // A failed test operation rejects the whole patch.
                let failed = await #expect(throws: KubeError.self) {
                    try await maps.jsonPatch("settings", namespace: namespace, operations: [.test("/data/port", "1"), .remove("/data/mode")])
                }
                #expect(failed?.status == 422, "\(String(describing: failed))")

                let again = await #expect(throws: KubeError.self) {
                    try await maps.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: namespace)))
                }
                #expect(again?.isAlreadyExists == true, "\(String(describing: again))")

                // Foreground deletion: the object stays, marked, until the
                // garbage collector has deleted its dependents (none) and it:
                // seconds on a busy cluster (its queue is shared with every namespace).
                try await maps.delete("settings", namespace: namespace, propagationPolicy: .foreground)
                try await eventually("the garbage collector deleted settings", timeout: .seconds(60)) {
                    try await maps.getIfPresent("settings", namespace: namespace) == nil
                }
                #expect(try await maps.deleteIfPresent("settings", namespace: namespace) == false)
            }
        }

        @Test func notFoundIsTyped() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let error = await #expect(throws: KubeError.self) {
                    try await client.resources(ConfigMap.self).get("missing", namespace: namespace)
                }
                #expect(error?.isNotFound == true)
                #expect(error?.status == 404)
                #expect(error?.reason == "NotFound")
                #expect(error?.message == #"configmaps "missing" not found"#)
                #expect(error?.request == "GET /api/v1/namespaces/\(namespace)/configmaps/missing")
                let deleteError = await #expect(throws: KubeError.self) {
                    try await client.resources(Deployment.self).delete("missing", namespace: namespace)
                }
                #expect(deleteError?.isNotFound == true)
                // 404s are not retried: one request each.
                #expect(client.requests.current["get"] == 1)
                #expect(client.requests.current["delete"] == 1)
            }
        }

        @Test func staleUpdateConflictsAndRetryOnConflictFixesIt() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "counter", namespace: namespace), data: ["n": "0"]))
                var first = try await maps.get("counter", namespace: namespace)
                var second = try await maps.get("counter", namespace: namespace)
                first.data?["n"] = "1"
                _ = try await maps.update(first)
                second.data?["n"] = "2"
                let conflict = await #expect(throws: KubeError.self) { try await maps.update(second) }
                #expect(conflict?.isConflict == true)
                #expect(conflict?.status == 409)
                #expect(conflict?.reason == "Conflict")

                // Ten writers increment the counter at once; each conflict is re-read and retried.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<10 {
                        group.addTask {
                            _ = try await maps.modify("counter", namespace: namespace, attempts: 50) { map in
                                let next = Int(map.data?["n"] ?? "0")! + 1
                                map.data?["n"] = String(next)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await maps.get("counter", namespace: namespace).data?["n"] == "11")
            }
        }

        @Test func pagination() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                for index in 0..<7 {
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(index)", namespace: namespace,
                                                                             labels: ["parity": index % 2 == 0 ? "even" : "odd"])))
                }
                var pages: [[String]] = []
                var token: String?
                repeat {
                    let page = try await maps.list(namespace: namespace, labelSelector: "parity", limit: 3, continue: token)
                    pages.append(page.items.compactMap(\.metadata.name))
                    token = page.continueToken
                } while token != nil
                #expect(pages == [["cm-0", "cm-1", "cm-2"], ["cm-3", "cm-4", "cm-5"], ["cm-6"]])

                let all = try await maps.listAll(namespace: namespace, labelSelector: "parity in (even)", pageSize: 2)
                #expect(all.items.compactMap(\.metadata.name) == ["cm-0", "cm-2", "cm-4", "cm-6"])
                #expect(!all.resourceVersion.isEmpty)
                let one = try await maps.list(namespace: namespace, fieldSelector: "metadata.name=cm-3")
                #expect(one.items.map(\.metadata.name) == ["cm-3"])
            }
        }

        /// A continue token names an etcd revision; once etcd compacted it
        /// away the apiserver answers 410 Gone (reason Expired).
        @Test func expiredContinueTokenIsGone() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let maps = client.resources(ConfigMap.self)
                for index in 0..<3 {
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(index)", namespace: namespace)))
                }
                let first = try await maps.list(namespace: namespace, limit: 1)
                let token = try #require(first.continueToken)
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "later", namespace: namespace)))
                let now = try await maps.list(namespace: namespace, limit: 1).resourceVersion
                try await KubeTestCluster.compactEtcd(revision: now)
                let error = await #expect(throws: KubeError.self) {
                    try await maps.list(namespace: namespace, limit: 1, continue: token)
                }
                #expect(error?.isGone == true, "\(String(describing: error))")
                #expect(error?.status == 410)
            }
        }
    }
}
