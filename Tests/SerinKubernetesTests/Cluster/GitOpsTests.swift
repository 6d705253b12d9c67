import Foundation
import Prometheus
import SerinEngine
import SerinOperator
import SerinSpec
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Git and the cluster agree, and the source says so (issue 25): a
    /// commit is applied all or nothing; a source is Ready only once its
    /// objects are healthy; what is changed or deleted by hand (a plain
    /// Deployment, a Canary's `-primary`, a ConfigMap) is put back and
    /// recorded; prune deletes only what is still the source's.
    @Suite struct GitOpsTests {
        typealias Operator = KubernetesOperatorTests

        /// `serin run` in this process with the sources of `sources`
        /// (serin.yaml's list, one `- { ... }` per line), on a state
        /// directory that can outlive it (a restart with another configuration).
        final class SourcesOperator: Sendable {
            let task: Task<Void, any Error>
            let stateDirectory: TemporaryDirectory
            let serinOperator: SerinOperator.Operator

            init(namespace: String, sources: String, stateDirectory: TemporaryDirectory? = nil) async throws {
                let directory = try stateDirectory ?? TemporaryDirectory(prefix: "serin-gitops-state")
                self.stateDirectory = directory
                let kubeconfig = KubeTestCluster.environment["KUBECONFIG"] ?? ""
                let config = try directory.write("serin.yaml", """
                    stateDir: \(directory.path)/state
                    platform: kubernetes
                    kubernetes: { kubeconfig: \(kubeconfig), namespace: \(namespace), leaseName: serin-gitops }
                    prometheus: { address: "http://127.0.0.1:1" }
                    sources:
                    \(sources)
                    """)
                let resolved = try OperatorConfig.load(config).get()
                let serinOperator = try SerinOperator.Operator(config: resolved, options: .init(serinExecutable: "/bin/false",
                                                                                                registry: PrometheusCollectorRegistry()))
                self.serinOperator = serinOperator
                task = Task { try await serinOperator.run() }
            }

            /// Cancels the operator and waits for it to end (at most 30 s); the state directory stays unless `remove`.
            func stop(remove: Bool = true) async {
                task.cancel()
                let task = self.task
                let stopped = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let answer = Operator.FirstAnswer(continuation)
                    Task { _ = await task.result; answer.give(true) }
                    Task { try? await Task.sleep(for: .seconds(30)); answer.give(false) }
                }
                #expect(stopped, "the operator did not stop within 30 s of being cancelled")
                if remove { stateDirectory.remove() }
            }

            func source(_ name: String = "apps") async -> SourceStatusReport? {
                await serinOperator.sources().first { $0.name == name }
            }

            func decisions(_ decision: String) -> [String] {
                EventLog.entries(inStateDirectory: stateDirectory.path + "/state").filter { $0.decision == decision }.map(\.reason)
            }
        }

        static func source(_ name: String, _ repository: GitFixture, path: String = "deploy", extra: String = "") -> String {
            "  - { name: \(name), url: \"file://\(repository.bare)\", ref: { branch: main }, path: \(path), interval: 1s\(extra) }"
        }

        static func configMap(_ namespace: String, _ name: String, _ value: String = "hello", annotations: String = "") -> String {
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: \(name), namespace: \(namespace)\(annotations.isEmpty ? "" : ", annotations: { \(annotations) }") }
            data: { greeting: "\(value)" }
            """
        }

        static func kubectl(_ arguments: [String]) throws -> CommandRun {
            try InClusterTests.kubectl(arguments, timeout: .seconds(60))
        }

        static func greeting(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> String? {
            try await Operator.greeting(client, namespace, name)
        }

        /// A namespace of the test cluster, the label-selected caches of it
        /// running, and a sync that reads them.
        static func withCachedSync(_ test: String = #function,
                                   _ body: (KubeClient, String, ClusterCache, ClusterSync) async throws -> Void) async throws {
            try await KubeTestCluster.withNamespace(test) { client, namespace in
                let cache = ClusterCache(client: client, namespace: namespace)
                let running = Task { await cache.run() }
                defer {
                    cache.finish()
                    running.cancel()
                }
                try await body(client, namespace, cache, ClusterSync(client: client, inventoryNamespace: namespace,
                                                                     createsInventoryNamespace: false, cache: cache))
            }
        }

        // MARK: 1. all or nothing

        /// One object the apiserver refuses: nothing of the commit is
        /// applied, the source is not Ready with `ApplyFailed` naming the
        /// object and the apiserver's reason, the last applied revision
        /// stays. A CRD and its resource, a Namespace and what is in it,
        /// come in one commit (the first stage first).
        @Test(.timeLimit(.minutes(5)))
        func aCommitWithOneRefusedObjectAppliesNothingAndNamesIt() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                try repository.commit(["deploy/settings.yaml": Self.configMap(namespace, "settings")], message: "first")
                let running = try await SourcesOperator(namespace: namespace, sources: Self.source("apps", repository))
                let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
                let group = "gitops-\(suffix).serin.dev", extraNamespace = "serin-gitops-\(suffix)"
                do {
                    try await eventually("the first commit is applied", timeout: .seconds(60)) {
                        await running.source()?.conditions.isReady == true
                    }
                    let first = try #require(await running.source()?.revision)
                    #expect(await running.source()?.lastAppliedRevision == first)
                    let broken = """
                        apiVersion: v1
                        kind: Service
                        metadata: { name: broken, namespace: \(namespace) }
                        spec: { ports: [{ port: 99999, protocol: TCP }] }
                        """
                    try repository.commit(["deploy/settings.yaml": Self.configMap(namespace, "settings", "changed"), "deploy/broken.yaml": broken],
                                          message: "a port out of range")
                    try await eventually("the commit is refused", timeout: .seconds(60)) {
                        await running.source()?.conditions["Ready"]?.reason == "ApplyFailed"
                    }
                    let ready = try #require(await running.source()?.conditions["Ready"])
                    #expect(ready.status == .false)
                    #expect(ready.message.contains("Service \(namespace)/broken"), "\(ready.message)")
                    #expect(ready.message.contains("99999"), "the apiserver's reason: \(ready.message)")
                    #expect(ready.message.contains("nothing of it was applied"), "\(ready.message)")
                    // The dry run refused it before anything was written: the ConfigMap is as the first commit left it.
                    #expect(try await Self.greeting(client, namespace, "settings") == "hello")
                    #expect(try await client.resources(Service.self).getIfPresent("broken", namespace: namespace) == nil)
                    #expect(await running.source()?.lastAppliedRevision == first)
                    try await eventually("the refusal is in the audit trail") {
                        running.decisions("refused").contains { $0.contains("Service \(namespace)/broken") }
                    }

                    // Mended, with a CRD and its resource, and a Namespace with a ConfigMap in it, all new.
                    let crd = """
                        apiVersion: apiextensions.k8s.io/v1
                        kind: CustomResourceDefinition
                        metadata: { name: widgets.\(group) }
                        spec:
                          group: \(group)
                          names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
                          scope: Namespaced
                          versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } }]
                        """
                    try repository.commit(["deploy/broken.yaml": broken.replacingOccurrences(of: "99999", with: "8080"),
                                           "deploy/crd.yaml": crd,
                                           "deploy/widget.yaml": "apiVersion: \(group)/v1\nkind: Widget\nmetadata: { name: one, namespace: \(namespace) }\nsize: 3\n",
                                           "deploy/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: { name: \(extraNamespace) }\n",
                                           "deploy/inside.yaml": Self.configMap(extraNamespace, "inside")], message: "mended")
                    try await eventually("the mended commit is applied", timeout: .seconds(90)) {
                        guard await running.source()?.conditions.isReady == true else { return false }
                        return try await Self.greeting(client, namespace, "settings") == "changed"
                    }
                    #expect(try await Self.greeting(client, extraNamespace, "inside") == "hello")
                    let widgets = client.resources(ResourceKind(group: group, version: "v1", kind: "Widget", plural: "widgets", namespaced: true))
                    #expect(try await widgets.getIfPresent("one", namespace: namespace)?["size"] == .int(3))
                    #expect(await running.source()?.inventory == 6)

                    // Out of Git: the Namespace and the CRD go too (nothing of another source is in them).
                    try repository.commit([:], message: "cluster-wide objects go",
                                          remove: ["deploy/crd.yaml", "deploy/widget.yaml", "deploy/namespace.yaml", "deploy/inside.yaml"])
                    try await eventually("the CRD and the Namespace are pruned", timeout: .seconds(90)) {
                        let crd = try await client.resources(CustomResourceDefinition.self).getIfPresent("widgets.\(group)")
                        let namespace = try await client.resources(Namespace.self).getIfPresent(extraNamespace)
                        return (crd == nil || crd?.metadata.deletionTimestamp != nil) && (namespace == nil || namespace?.metadata.deletionTimestamp != nil)
                    }
                } catch {
                    await running.stop()
                    _ = try? await client.resources(CustomResourceDefinition.self).deleteIfPresent("widgets.\(group)")
                    _ = try? await client.resources(Namespace.self).deleteIfPresent(extraNamespace)
                    throw error
                }
                await running.stop()
            }
        }

        // MARK: 2. health

        /// A Deployment that never becomes ready: the source is not Ready
        /// (`HealthCheckFailed`, naming it and its replicas), and the
        /// AlertProvider the source declares hears of it.
        @Test(.timeLimit(.minutes(5)))
        func aDeploymentThatNeverBecomesReadyMakesTheSourceUnhealthy() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let receiver = try RecordingHTTPServer()
                defer { receiver.stop() }
                let repository = try GitFixture()
                let stuck = Operator.deployment(namespace, version: "v1").replacingOccurrences(of: "name: web", with: "name: stuck")
                    .replacingOccurrences(of: "port: 8080 }, periodSeconds: 1", with: "port: 8081 }, periodSeconds: 1")
                let alerts = """
                    apiVersion: flagger.app/v1beta1
                    kind: AlertProvider
                    metadata: { name: on-call, namespace: \(namespace) }
                    spec: { type: slack, address: "\(receiver.address)/alerts" }
                    """
                try repository.commit(["deploy/stuck.yaml": stuck, "deploy/alerts.yaml": alerts], message: "a probe on the wrong port")
                let running = try await SourcesOperator(namespace: namespace, sources: Self.source("apps", repository, extra: ", healthTimeout: 15s"))
                do {
                    try await eventually("the source is unhealthy", timeout: .seconds(120)) {
                        await running.source()?.conditions["Ready"]?.reason == "HealthCheckFailed"
                    }
                    let ready = try #require(await running.source()?.conditions["Ready"])
                    #expect(ready.status == .false)
                    #expect(ready.message.contains("Deployment \(namespace)/stuck"), "\(ready.message)")
                    #expect(ready.message.contains("replicas 0/1"), "\(ready.message)")
                    try await eventually("the alert provider hears of it", timeout: .seconds(30)) {
                        receiver.requests().contains { $0.body.contains("not healthy") && $0.body.contains("stuck") }
                    }
                    // Mended: healthy, Ready.
                    try repository.commit(["deploy/stuck.yaml": stuck.replacingOccurrences(of: "port: 8081", with: "port: 8080")], message: "the right port")
                    try await eventually("the source is Ready", timeout: .seconds(150)) {
                        await running.source()?.conditions.isReady == true
                    }
                } catch {
                    print("decisions: \(running.decisions("error") + running.decisions("sync-failed"))")
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        // MARK: 3. drift everywhere

        static func image(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> String? {
            let deployment: Deployment? = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
            let containers = deployment?.spec?.template?["spec"]?["containers"]?.arrayValue ?? []
            return containers.first?["image"]?.stringValue
        }

        /// `kubectl set image`, `kubectl scale` and `kubectl delete` on a
        /// plain Deployment and on a Canary's `-primary`, an edit and a
        /// delete of a ConfigMap: each is undone at once (not at the next
        /// interval: the source polls every minute here) and recorded as
        /// drift with the fields that changed, and an alert goes out.
        @Test(.timeLimit(.minutes(6)))
        func handEditsAndDeletionsAreUndoneAndRecorded() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let receiver = try RecordingHTTPServer()
                defer { receiver.stop() }
                let repository = try GitFixture()
                let plain = Operator.deployment(namespace, version: "v1").replacingOccurrences(of: "name: web", with: "name: plain")
                    .replacingOccurrences(of: "app: web", with: "app: plain")
                let alerts = """
                    apiVersion: flagger.app/v1beta1
                    kind: AlertProvider
                    metadata: { name: on-call, namespace: \(namespace) }
                    spec: { type: slack, address: "\(receiver.address)/alerts" }
                    """
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"), "deploy/canary.yaml": Operator.canary(namespace),
                                       "deploy/plain.yaml": plain, "deploy/settings.yaml": Self.configMap(namespace, "settings"),
                                       "deploy/alerts.yaml": alerts], message: "v1")
                // Polled every minute: what is undone within the test's time is undone by the watch.
                let running = try await SourcesOperator(namespace: namespace, sources: Self.source("apps", repository)
                    .replacingOccurrences(of: "interval: 1s", with: "interval: 60s"))
                do {
                    try await eventually("the Canary is Initialized", timeout: .seconds(150)) {
                        try await Operator.phase(client, namespace) == "Initialized"
                    }
                    try await eventually("the plain Deployment runs", timeout: .seconds(60)) {
                        try await Operator.replicas(client, namespace, "plain") == 1
                    }
                    let image = try #require(try await Self.image(client, namespace, "plain"))
                    for name in ["plain", "web-primary"] {
                        let set = try Self.kubectl(["-n", namespace, "set", "image", "deployment/\(name)", "app=serin.local/kube-app:drift"])
                        #expect(set.status == 0, "\(set.stderr)")
                        try await eventually("\(name)'s image is put back", timeout: .seconds(30)) {
                            try await Self.image(client, namespace, name) == image
                        }
                        try await eventually("\(name)'s drift is recorded") {
                            running.decisions("drift").contains { $0.contains("Deployment \(namespace)/\(name) was changed") && $0.contains("image") }
                        }
                        let scale = try Self.kubectl(["-n", namespace, "scale", "deployment/\(name)", "--replicas=3"])
                        #expect(scale.status == 0, "\(scale.stderr)")
                        try await eventually("\(name)'s replicas are put back", timeout: .seconds(30)) {
                            try await Operator.replicas(client, namespace, name) == 1
                                && running.decisions("drift").contains { $0.contains("\(namespace)/\(name)") && $0.contains("spec.replicas: 1 → 3") }
                        }
                        let uid = try await client.resources(Deployment.self).get(name, namespace: namespace).metadata.uid
                        let delete = try Self.kubectl(["-n", namespace, "delete", "deployment/\(name)", "--wait=false"])
                        #expect(delete.status == 0, "\(delete.stderr)")
                        try await eventually("\(name) is made again", timeout: .seconds(30)) {
                            let again = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
                            return again != nil && again?.metadata.uid != uid && again?.metadata.deletionTimestamp == nil
                        }
                        try await eventually("\(name)'s deletion is recorded") {
                            running.decisions("drift").contains { $0.contains("Deployment \(namespace)/\(name) was deleted") }
                        }
                        #expect(try await Self.image(client, namespace, name) == image)
                    }
                    // The Canary's target is the platform's too: scaled up by hand, back to zero.
                    _ = try Self.kubectl(["-n", namespace, "scale", "deployment/web", "--replicas=2"])
                    try await eventually("the target is scaled back to zero", timeout: .seconds(30)) {
                        try await Operator.replicas(client, namespace, "web") == 0
                    }

                    let patch = try Self.kubectl(["-n", namespace, "patch", "configmap/settings", "--type=merge", "-p", #"{"data":{"greeting":"edited"}}"#])
                    #expect(patch.status == 0, "\(patch.stderr)")
                    try await eventually("the ConfigMap's edit is undone", timeout: .seconds(30)) {
                        try await Self.greeting(client, namespace, "settings") == "hello"
                            && running.decisions("drift").contains { $0.contains("ConfigMap \(namespace)/settings") && $0.contains("data.greeting") }
                    }
                    let deleted = try Self.kubectl(["-n", namespace, "delete", "configmap/settings"])
                    #expect(deleted.status == 0, "\(deleted.stderr)")
                    try await eventually("the ConfigMap is made again", timeout: .seconds(30)) {
                        try await Self.greeting(client, namespace, "settings") == "hello"
                            && running.decisions("drift").contains { $0.contains("ConfigMap \(namespace)/settings was deleted") }
                    }
                    try await eventually("the drift reaches the alert provider", timeout: .seconds(30)) {
                        receiver.requests().contains { $0.body.contains("drift corrected") && $0.body.contains("web-primary") }
                    }
                    // Still a working rollout: nothing the corrections did stopped it.
                    #expect(try await Operator.phase(client, namespace) == "Initialized")
                } catch {
                    print("drift: \(running.decisions("drift")), errors: \(running.decisions("error") + running.decisions("drift-failed"))")
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// Drift is found in the caches, not by asking the apiserver: a
        /// resync of a steady source sends no request at all (the cost per
        /// object per interval is zero); a hand edit costs one write.
        @Test(.timeLimit(.minutes(3)))
        func aResyncOfASteadySourceSendsNoRequest() async throws {
            try await Self.withCachedSync { client, namespace, cache, sync in
                let names = (1...5).map { "steady-\($0)" }
                let service = """
                    apiVersion: v1
                    kind: Service
                    metadata: { name: steady, namespace: \(namespace) }
                    spec: { ports: [{ port: 80, protocol: TCP }], selector: { app: none } }
                    """
                let objects = try KubeObject.manifests(yaml: (names.map { Self.configMap(namespace, $0) } + [service]).joined(separator: "\n---\n"))
                let first = await sync.sync(source: "steady", objects: objects)
                #expect(first.problems.isEmpty, "\(first.problems)")
                #expect(first.applied.count == 6, "\(first.applied)")
                // The caches have seen every write (the positive signal), so a resync compares with them.
                try await eventually("the caches hold what was applied", timeout: .seconds(30)) {
                    let maps = cache.informer(for: ConfigMap.resourceKind), services = cache.informer(for: Service.resourceKind)
                    return maps.hasSynced && services.hasSynced && names.allSatisfy { maps.get($0, namespace: namespace) != nil }
                        && services.get("steady", namespace: namespace) != nil
                }
                let before = client.requests.current
                for _ in 0..<3 {
                    let again = await sync.sync(source: "steady", objects: objects, options: .init(resync: true))
                    #expect(again.applied.isEmpty && again.drifted.isEmpty && again.problems.isEmpty, "\(again)")
                }
                let steady = client.requests.current.since(before)
                #expect(steady.total == 0, "three resyncs of a steady source sent \(steady)")

                // The same resync finds a hand edit in the cache and puts it back with one write.
                let patch = try Self.kubectl(["-n", namespace, "patch", "configmap/steady-3", "--type=merge", "-p", #"{"data":{"greeting":"edited"}}"#])
                #expect(patch.status == 0, "\(patch.stderr)")
                try await eventually("the cache sees the edit", timeout: .seconds(30)) {
                    cache.informer(for: ConfigMap.resourceKind).get("steady-3", namespace: namespace)?["data"]?["greeting"] == "edited"
                }
                let beforeEdit = client.requests.current
                let mended = await sync.sync(source: "steady", objects: objects, options: .init(resync: true))
                #expect(mended.drifted == ["ConfigMap \(namespace)/steady-3 was changed in the cluster"], "\(mended)")
                #expect(client.requests.current.since(beforeEdit)["apply"] == 1, "\(client.requests.current.since(beforeEdit))")
                #expect(try await Self.greeting(client, namespace, "steady-3") == "hello")
            }
        }

        /// An object whose source label another owner took away (as the
        /// platform does to a Service a Canary takes over) is out of the
        /// label-selected informers, not out of the cluster: health reads it
        /// with a GET and judges it, and only an object that is really gone
        /// is "not in the cluster".
        @Test(.timeLimit(.minutes(3)))
        func anObjectWithoutTheSourceLabelIsJudgedNotMissing() async throws {
            try await Self.withCachedSync { client, namespace, cache, sync in
                var objects = try KubeObject.manifests(yaml: ["kept", "gone"].map { Self.configMap(namespace, $0) }.joined(separator: "\n---\n"))
                for index in objects.indices {
                    objects[index].metadata.labels = [ClusterSync.sourceLabel: "relabel"]
                }
                let first = await sync.sync(source: "relabel", objects: objects)
                #expect(first.problems.isEmpty && first.applied.count == 2, "\(first)")
                try await eventually("the cache holds both", timeout: .seconds(30)) {
                    let maps = cache.informer(for: ConfigMap.resourceKind)
                    return maps.hasSynced && maps.get("kept", namespace: namespace) != nil && maps.get("gone", namespace: namespace) != nil
                }
                #expect(await sync.unhealthy(objects, timeout: .zero) == [])

                let label = try Self.kubectl(["-n", namespace, "label", "configmap/kept", "serin.dev/source-"])
                #expect(label.status == 0, "\(label.stderr)")
                let deleted = try Self.kubectl(["-n", namespace, "delete", "configmap/gone"])
                #expect(deleted.status == 0, "\(deleted.stderr)")
                try await eventually("neither is in the source's cache any more", timeout: .seconds(30)) {
                    let maps = cache.informer(for: ConfigMap.resourceKind)
                    return maps.get("kept", namespace: namespace) == nil && maps.get("gone", namespace: namespace) == nil
                }
                #expect(await sync.unhealthy(objects, timeout: .zero) == ["ConfigMap \(namespace)/gone: not in the cluster"])
            }
        }

        // MARK: 4. safe prune

        /// What leaves Git is deleted only while it is still the source's:
        /// relabelled for another owner, marked `prune: disabled` (Serin's
        /// or Flux's annotation), or a Namespace holding another source's
        /// objects, it stays, and the operator says why.
        @Test(.timeLimit(.minutes(5)))
        func pruneDeletesOnlyWhatIsStillTheSources() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                let shared = "serin-gitops-shared-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
                try repository.commit([
                    "apps/stays.yaml": Self.configMap(namespace, "stays"),
                    "apps/a.yaml": Self.configMap(namespace, "a"), "apps/b.yaml": Self.configMap(namespace, "b"),
                    "apps/c.yaml": Self.configMap(namespace, "c", annotations: "serin.dev/prune: disabled"),
                    "apps/d.yaml": Self.configMap(namespace, "d", annotations: "kustomize.toolkit.fluxcd.io/prune: disabled"),
                    "apps/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: { name: \(shared) }\n",
                    "team/held.yaml": Self.configMap(shared, "held"),
                ], message: "two sources")
                let running = try await SourcesOperator(namespace: namespace, sources: Self.source("apps", repository, path: "apps") + "\n"
                    + Self.source("team", repository, path: "team"))
                do {
                    try await eventually("both sources are applied", timeout: .seconds(90)) {
                        let apps = await running.source("apps"), team = await running.source("team")
                        return apps?.conditions.isReady == true && team?.conditions.isReady == true
                    }
                    // Relabelled for another owner: left to it, not put back.
                    let label = try Self.kubectl(["-n", namespace, "label", "configmap/b", "serin.dev/source=other", "--overwrite"])
                    #expect(label.status == 0, "\(label.stderr)")
                    try await eventually("the hand-over is recorded", timeout: .seconds(30)) {
                        running.decisions("handed-over").contains { $0.contains("ConfigMap \(namespace)/b") }
                    }
                    let relabelled = try await client.resources(ConfigMap.self).get("b", namespace: namespace)
                    #expect(relabelled.metadata.labels?["serin.dev/source"] == "other")

                    try repository.commit([:], message: "all of apps but one goes",
                                          remove: ["apps/a.yaml", "apps/b.yaml", "apps/c.yaml", "apps/d.yaml", "apps/namespace.yaml"])
                    try await eventually("a is pruned", timeout: .seconds(60)) {
                        try await client.resources(ConfigMap.self).getIfPresent("a", namespace: namespace) == nil
                    }
                    try await eventually("what is kept is said", timeout: .seconds(30)) {
                        running.decisions("kept").count >= 4
                    }
                    let kept = running.decisions("kept").joined(separator: "\n")
                    #expect(kept.contains("ConfigMap \(namespace)/b: labelled serin.dev/source=other, not apps"), "\(kept)")
                    #expect(kept.contains("ConfigMap \(namespace)/c: serin.dev/prune: disabled"), "\(kept)")
                    #expect(kept.contains("ConfigMap \(namespace)/d: kustomize.toolkit.fluxcd.io/prune: disabled"), "\(kept)")
                    #expect(kept.contains("Namespace \(shared): holds ConfigMap \(shared)/held of source team"), "\(kept)")
                    for name in ["b", "c", "d"] {
                        #expect(try await client.resources(ConfigMap.self).getIfPresent(name, namespace: namespace) != nil, "\(name)")
                    }
                    #expect(try await Self.greeting(client, shared, "held") == "hello")
                    try await eventually("the prune is in the audit trail") {
                        running.decisions("pruned").contains { $0.contains("ConfigMap \(namespace)/a") }
                    }
                } catch {
                    await running.stop()
                    _ = try? await client.resources(Namespace.self).deleteIfPresent(shared)
                    throw error
                }
                await running.stop()
                _ = try? await client.resources(Namespace.self).deleteIfPresent(shared)
            }
        }

        /// `suspend: true` in serin.yaml: the source applies nothing and says
        /// why, while a source beside it delivers two commits (the positive
        /// sign that passes went by; the check after it can fail).
        @Test(.timeLimit(.minutes(5)))
        func aSourceSuspendedInTheConfigurationAppliesNothing() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                try repository.commit(["apps/app.yaml": Self.configMap(namespace, "app"), "held/held.yaml": Self.configMap(namespace, "held")],
                                      message: "two sources")
                let running = try await SourcesOperator(namespace: namespace, sources: Self.source("apps", repository, path: "apps") + "\n"
                    + Self.source("held", repository, path: "held", extra: ", suspend: true"))
                do {
                    try await eventually("apps is applied, held says it is suspended", timeout: .seconds(90)) {
                        let apps = await running.source("apps"), held = await running.source("held")
                        return apps?.conditions.isReady == true && held?.suspension?.fromConfiguration == true
                    }
                    try repository.commit(["apps/app.yaml": Self.configMap(namespace, "app", "second"),
                                           "held/held.yaml": Self.configMap(namespace, "held", "second")], message: "both change")
                    try await eventually("apps delivers the second commit", timeout: .seconds(60)) {
                        try await Self.greeting(client, namespace, "app") == "second"
                    }
                    #expect(try await client.resources(ConfigMap.self).getIfPresent("held", namespace: namespace) == nil,
                            "a source suspended by serin.yaml applied its objects")
                    let held = try #require(await running.source("held"))
                    #expect(held.lastAppliedRevision == nil && held.suspension?.description == "suspended by serin.yaml (suspend: true)", "\(held)")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// A source taken out of serin.yaml: what it applied is pruned when
        /// the operator starts again, or kept when it said `prune: false`.
        @Test(.timeLimit(.minutes(5)))
        func aSourceTakenOutOfTheConfigurationIsPrunedOrKept() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                try repository.commit(["apps/app.yaml": Self.configMap(namespace, "app"), "gone/gone.yaml": Self.configMap(namespace, "gone"),
                                       "kept/kept.yaml": Self.configMap(namespace, "kept")], message: "three sources")
                let first = try await SourcesOperator(namespace: namespace, sources: [
                    Self.source("apps", repository, path: "apps"), Self.source("gone", repository, path: "gone"),
                    Self.source("kept", repository, path: "kept", extra: ", prune: false"),
                ].joined(separator: "\n"))
                do {
                    try await eventually("the three are applied", timeout: .seconds(90)) {
                        for source in ["apps", "gone", "kept"] where await first.source(source)?.conditions.isReady != true { return false }
                        return true
                    }
                } catch {
                    await first.stop()
                    throw error
                }
                await first.stop(remove: false)
                let second = try await SourcesOperator(namespace: namespace, sources: Self.source("apps", repository, path: "apps"),
                                                       stateDirectory: first.stateDirectory)
                do {
                    try await eventually("gone's objects are pruned", timeout: .seconds(60)) {
                        try await client.resources(ConfigMap.self).getIfPresent("gone", namespace: namespace) == nil
                    }
                    try await eventually("kept's are said to be kept", timeout: .seconds(30)) {
                        second.decisions("pruned").contains { $0.contains("source kept left the configuration") }
                    }
                    let pruned = second.decisions("pruned").joined(separator: "\n")
                    #expect(pruned.contains("source gone left the configuration; pruned ConfigMap \(namespace)/gone"), "\(pruned)")
                    #expect(pruned.contains("kept ConfigMap \(namespace)/kept: the source says prune: false"), "\(pruned)")
                    #expect(try await Self.greeting(client, namespace, "kept") == "hello")
                    #expect(try await Self.greeting(client, namespace, "app") == "hello")
                    // Their inventories are gone: the next start finds nothing to do.
                    let inventories = try await client.resources(ConfigMap.self).list(namespace: namespace, labelSelector: "serin.dev/install=serin-gitops").items
                    #expect(inventories.compactMap(\.metadata.name).sorted() == ["serin-inventory-apps"])
                } catch {
                    await second.stop()
                    throw error
                }
                await second.stop()
            }
        }
    }
}
