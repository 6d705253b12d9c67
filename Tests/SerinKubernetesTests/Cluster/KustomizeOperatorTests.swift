import Foundation
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Kustomize layouts (issue 23) through the operator on the real
    /// cluster: an overlay on Flagger's tutorial base released step by step,
    /// broken kustomizations refused where users look with nothing applied,
    /// and Flux's post-build substitution from the cluster's objects.
    @Suite struct KustomizeOperatorTests {
        typealias Operator = KubernetesOperatorTests
        static let fixtures = Products.repositoryRoot + "/Tests/SerinKustomizeTests/Fixtures"

        /// Flagger's tutorial base (`kustomize/podinfo`, unchanged: podinfo's
        /// Deployment and an `autoscaling/v2` HPA) at the same place in the
        /// test's repository.
        static func flaggerBase() throws -> [String: String] {
            var files: [String: String] = [:]
            for name in ["kustomization.yaml", "deployment.yaml", "hpa.yaml"] {
                files["kustomize/podinfo/" + name] = try String(contentsOfFile: fixtures + "/flagger/kustomize/podinfo/" + name, encoding: .utf8)
            }
            return files
        }

        /// An environment on Flagger's base, as the production overlay of the
        /// Kustomize fixtures builds it (namespace, images, labels, a
        /// strategic-merge patch, `$patch: delete`, a JSON 6902 patch, a
        /// configMapGenerator the Deployment references, a component with
        /// the Canary), on the test's namespace, image and gateway.
        static func overlay(_ namespace: String, tag: String) -> [String: String] {
            [
                "overlays/e2e/kustomization.yaml": """
                    apiVersion: kustomize.config.k8s.io/v1beta1
                    kind: Kustomization
                    namespace: \(namespace)
                    resources:
                      - ../../kustomize/podinfo
                    images:
                      - name: ghcr.io/stefanprodan/podinfo
                        newName: \(PodinfoStandIn.repository)
                        newTag: "\(tag)"
                    labels:
                      - pairs:
                          env: e2e
                        includeSelectors: false
                    patches:
                      - path: deployment-patch.yaml
                      # 1.20 serves no autoscaling/v2: the environment scales by the canary's analysis
                      - path: hpa-delete.yaml
                      - target:
                          group: apps
                          version: v1
                          kind: Deployment
                          name: podinfo
                        patch: |-
                          - op: replace
                            path: /spec/template/spec/containers/0/env/0/value
                            value: "#ff8800"
                    configMapGenerator:
                      - name: podinfo-settings
                        literals:
                          - PODINFO_UI_MESSAGE=e2e
                    components:
                      - ../../components/gateway-canary

                    """,
                "overlays/e2e/deployment-patch.yaml": """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata:
                      name: podinfo
                    spec:
                      minReadySeconds: 1
                      template:
                        spec:
                          terminationGracePeriodSeconds: 1
                          containers:
                            - name: podinfod
                              envFrom:
                                - configMapRef:
                                    name: podinfo-settings
                              readinessProbe:
                                initialDelaySeconds: 0
                                periodSeconds: 1
                              resources:
                                requests:
                                  cpu: 10m
                                  memory: 16Mi

                    """,
                "overlays/e2e/hpa-delete.yaml": """
                    $patch: delete
                    apiVersion: autoscaling/v2
                    kind: HorizontalPodAutoscaler
                    metadata:
                      name: podinfo

                    """,
                "components/gateway-canary/kustomization.yaml": """
                    apiVersion: kustomize.config.k8s.io/v1alpha1
                    kind: Component
                    resources:
                      - canary.yaml

                    """,
                "components/gateway-canary/canary.yaml": """
                    apiVersion: flagger.app/v1beta1
                    kind: Canary
                    metadata:
                      name: podinfo
                    spec:
                      provider: gatewayapi:v1beta1
                      targetRef:
                        apiVersion: apps/v1
                        kind: Deployment
                        name: podinfo
                      progressDeadlineSeconds: 120
                      service:
                        port: 9898
                        targetPort: 9898
                        gatewayRefs:
                          - name: public
                            namespace: gateways
                      analysis:
                        interval: 2s
                        threshold: 2
                        maxWeight: 50
                        stepWeight: 25

                    """,
            ]
        }

        /// A new image tag in the overlay is a canary: 25%, 50%, promoted,
        /// and `kubectl get canaries --watch` shows each step.
        @Test(.timeLimit(.minutes(7)))
        func aNewImageTagInTheOverlayIsReleasedStepByStep() async throws {
            try PodinfoStandIn.importImages(tags: ["6.1.0", "6.1.1"])
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let scratch = try TemporaryDirectory(prefix: "serin-kube-kustomize")
                defer { scratch.remove() }
                let repository = try GitFixture()
                try repository.commit(try Self.flaggerBase().merging(Self.overlay(namespace, tag: "6.1.0")) { $1 }, message: "podinfo 6.1.0")
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace, sourceFields: "path: overlays/e2e")
                let watch = try KubectlCanaryWatch(namespace: namespace, scratch: scratch)
                defer { watch.stop() }
                do {
                    try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                        try await PodinfoStandIn.phase(client, namespace, "podinfo") == "Initialized"
                    }
                    // The overlay's build is what runs: image, labels, both patches, the generated ConfigMap.
                    let primaryImage = try await PodinfoStandIn.image(client, namespace, "podinfo-primary")
                    #expect(primaryImage == "serin.local/podinfo:6.1.0")
                    let color = try await PodinfoStandIn.env(client, namespace, "podinfo-primary", "PODINFO_UI_COLOR")
                    #expect(color == "#ff8800")
                    let target: Deployment = try await client.resources(Deployment.self).get("podinfo", namespace: namespace)
                    #expect(target.metadata.labels?["env"] == "e2e")
                    let maps = try await client.resources(ConfigMap.self).list(namespace: namespace).items.compactMap(\.metadata.name)
                    let settings = try #require(maps.first { $0.hasPrefix("podinfo-settings-") && !$0.hasSuffix("-primary") }, "\(maps)")
                    let reference = try await Operator.configMapReference(client, namespace, "podinfo-primary")
                    #expect(reference == settings + "-primary", "the primary runs on its own copy of the generated ConfigMap")
                    let autoscalers = try await client.resources(HorizontalPodAutoscaler.self).list(namespace: namespace).items
                    #expect(autoscalers.isEmpty, "the overlay deleted the base's HPA")
                    let before = await running.serinOperator.sources().first?.revision

                    // The new tag, in the overlay only.
                    try repository.commit(Self.overlay(namespace, tag: "6.1.1"), message: "podinfo 6.1.1")
                    var weights: [Int] = []
                    try await eventually("the release succeeds", timeout: .seconds(240)) {
                        if let weight = try await PodinfoStandIn.canaryWeight(client, namespace, "podinfo"), weights.last != weight { weights.append(weight) }
                        return try await PodinfoStandIn.phase(client, namespace, "podinfo") == "Succeeded"
                    }
                    #expect(weights.contains(25) && weights.contains(50), "route weights seen: \(weights)")
                    let promoted = try await PodinfoStandIn.image(client, namespace, "podinfo-primary")
                    #expect(promoted == "serin.local/podinfo:6.1.1")
                    let source = try #require(await running.serinOperator.sources().first)
                    #expect(source.revision != before && source.conditions.isReady, "\(source)")
                    // What a user sees with kubectl: the steps, in order.
                    try await eventually("kubectl shows the promotion", timeout: .seconds(20)) {
                        watch.steps(of: "podinfo").last?.phase == "Succeeded"
                    }
                    let steps = watch.steps(of: "podinfo")
                    let progressing = steps.filter { $0.phase == "Progressing" }.map(\.weight)
                    #expect(progressing.contains(25) && progressing.contains(50), "kubectl get canaries --watch printed:\n\(watch.lines.joined(separator: "\n"))")
                    #expect(progressing == progressing.sorted(), "the weights went back: \(progressing)")
                    print("kubectl get canaries --watch:\n" + watch.lines.joined(separator: "\n"))
                } catch {
                    print("kubectl get canaries --watch:\n" + watch.lines.joined(separator: "\n"))
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        // MARK: - Broken kustomizations

        /// What `GET /api/v1/sources/NAME` answers, as far as the test reads.
        struct SourceReport: Decodable {
            struct Condition: Decodable {
                var type: String
                var status: String
                var reason: String
                var message: String
            }

            var revision: String?
            var lastAttemptedRevision: String?
            var conditions: [Condition]
            var errors: [String]

            var ready: Condition? { conditions.first { $0.type == "Ready" } }
        }

        static func source(_ port: Int) throws -> SourceReport {
            let answer = try Loopback.request(port: port, path: "/api/v1/sources/apps")
            guard answer.status == 200 else { throw KubeTestCluster.TestFailure(description: "GET /api/v1/sources/apps: \(answer.status) \(answer.body)") }
            return try JSONDecoder().decode(SourceReport.self, from: Data(answer.body.utf8))
        }

        /// A base with a Deployment of the test app and a ConfigMap, and an
        /// overlay that sets the namespace and adds `extra` lines to its kustomization.
        static func layout(_ namespace: String, version: String, extra: String = "") -> [String: String] {
            [
                "base/kustomization.yaml": "resources:\n  - web.yaml\n  - settings.yaml\n",
                "base/web.yaml": Operator.deployment("placeholder", version: version),
                "base/settings.yaml": Operator.configMap("placeholder", "hello \(version)"),
                "overlays/e2e/kustomization.yaml": "namespace: \(namespace)\nresources:\n  - ../../base\n" + extra,
            ]
        }

        /// Each broken commit changes the running version too: the refusal
        /// is seen on the API first (the commit attempted, Ready=False,
        /// BuildFailed with the kustomization's file), then the cluster is
        /// read, still at the last good version. A fix is applied.
        @Test(.timeLimit(.minutes(6)))
        func aBrokenKustomizationIsRefusedAndTheLastGoodRevisionKeepsRunning() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                try repository.commit(Self.layout(namespace, version: "v1"), message: "v1")
                let scratch = try TemporaryDirectory(prefix: "serin-kube-broken")
                defer { scratch.remove() }
                let port = try Loopback.freePort()
                let config = try scratch.write("serin.yaml", """
                    stateDir: \(scratch.path)/state
                    platform: kubernetes
                    kubernetes: { kubeconfig: \(KubeTestCluster.environment["KUBECONFIG"] ?? ""), namespace: \(namespace) }
                    prometheus: { address: "http://127.0.0.1:1" }
                    api: { listen: "127.0.0.1:\(port)" }
                    sources:
                      - { name: apps, url: "file://\(repository.bare)", ref: { branch: main }, path: overlays/e2e, interval: 1s }
                    """)
                let serin = try ServerProcess(Products.executable("serin"), ["run", "--config", config], port: port,
                                              log: scratch.path + "/serin.log")
                defer { serin.stop() }
                do {
                    try await eventually("v1 runs", timeout: .seconds(120)) {
                        let ready = try await PodinfoStandIn.readyReplicas(client, namespace, "web")
                        let greeting = try await Operator.greeting(client, namespace)
                        return ready == 1 && greeting == "hello v1"
                    }
                    let good = try #require(try Self.source(port).revision)
                    let kustomization = "overlays/e2e/kustomization.yaml"
                    let cases: [(what: String, files: [String: String], expected: [String])] = [
                        ("a missing file", Self.layout(namespace, version: "v2", extra: "  - missing.yaml\n"),
                         [kustomization + ":4:5:", #"resources[1] "missing.yaml": no such file or folder in the repository"#]),
                        ("a patch whose target does not exist",
                         Self.layout(namespace, version: "v2", extra: "patches:\n  - path: patch.yaml\n").merging([
                            "overlays/e2e/patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nope\nspec:\n  replicas: 2\n",
                         ]) { $1 },
                         [kustomization, "nope"]),
                        ("a remote base", Self.layout(namespace, version: "v2", extra: "  - https://github.com/stefanprodan/podinfo//kustomize?ref=6.0.0\n"),
                         [kustomization + ":4:5:", "is remote", "no network"]),
                        ("a path out of the repository", Self.layout(namespace, version: "v2", extra: "  - ../../../outside\n"),
                         [kustomization + ":4:5:", "leads outside the repository"]),
                    ]
                    for broken in cases {
                        let commit = try repository.commit(broken.files, message: broken.what, remove: Self.leftovers(repository))
                        try await Self.expectRefusal(commit, port: port, good: good, expected: broken.expected, broken.what)
                        try await Self.expectUnchanged(client, namespace)
                    }
                    // A link out of the repository is refused by the fetch stage
                    // itself, before any render (HostileTreeTests in SerinGitTests).

                    // A fix: applied, Ready again.
                    let fixed = try repository.commit(Self.layout(namespace, version: "v2"), message: "v2", remove: Self.leftovers(repository))
                    try await eventually("v2 is applied", timeout: .seconds(60)) {
                        try await Operator.greeting(client, namespace) == "hello v2"
                    }
                    // The source is Ready once every stage of the revision is done,
                    // which follows the apply the greeting shows.
                    try await eventually("the source is Ready again", timeout: .seconds(60)) {
                        try Self.source(port).ready?.status == "True"
                    }
                    let recovered = try Self.source(port)
                    #expect(recovered.ready?.status == "True", "\(recovered)")
                    #expect(recovered.revision?.contains(fixed) == true)
                    #expect(recovered.errors.isEmpty && recovered.lastAttemptedRevision == nil)
                } catch {
                    print((try? String(contentsOfFile: scratch.path + "/serin.log", encoding: .utf8))?.suffix(4000) ?? "")
                    throw error
                }
            }
        }

        /// Files a previous broken commit added that the next must not carry.
        static func leftovers(_ repository: GitFixture) -> [String] {
            ["overlays/e2e/patch.yaml"].filter { FileManager.default.fileExists(atPath: repository.work + "/" + $0) }
        }

        static func expectRefusal(_ commit: String, port: Int, good: String, expected: [String], _ what: String) async throws {
            var report = try source(port)
            try await eventually("\(what): commit \(commit) is attempted", timeout: .seconds(60)) {
                report = try source(port)
                return report.lastAttemptedRevision?.contains(commit) == true && report.ready?.status == "False"
            }
            let ready = try #require(report.ready)
            #expect(ready.reason == "BuildFailed", "\(what): \(ready)")
            for fragment in expected {
                #expect(ready.message.contains(fragment), "\(what): \"\(fragment)\" not in \(ready.message)")
            }
            #expect(report.errors.first?.contains(expected[0]) == true, "\(what): \(report.errors)")
            #expect(report.revision == good, "\(what): the last good revision stays in force")
            print("\(what): \(ready.message)")
        }

        /// The cluster still runs v1: read after the refusal was seen.
        static func expectUnchanged(_ client: KubeClient, _ namespace: String) async throws {
            let greeting = try await Operator.greeting(client, namespace)
            #expect(greeting == "hello v1")
            let version = try await Operator.version(client, namespace, "web")
            #expect(version == "v1")
            let ready = try await PodinfoStandIn.readyReplicas(client, namespace, "web")
            #expect(ready == 1)
        }

        // MARK: - Post-build substitution

        /// Flux's `postBuild`: variables from a ConfigMap and a Secret of the
        /// cluster (the later overriding the earlier, the inline ones over
        /// both), defaults, `$$` escaping, the opt-out annotation; a missing
        /// object is a build failure until it exists, then the same commit applies.
        @Test(.timeLimit(.minutes(4)))
        func postBuildSubstitutionReadsASecretAndAConfigMapOfTheCluster() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                try repository.commit([
                    "deploy/settings.yaml": """
                        apiVersion: v1
                        kind: ConfigMap
                        metadata:
                          name: settings
                          namespace: \(namespace)
                        data:
                          greeting: ${greeting}
                          token: ${token}
                          shared: ${shared}
                          region: ${region:=eu-west-1}
                          inline: ${inline}
                          literal: $${greeting}

                        """,
                    "deploy/raw.yaml": """
                        apiVersion: v1
                        kind: ConfigMap
                        metadata:
                          name: raw
                          namespace: \(namespace)
                          annotations:
                            kustomize.toolkit.fluxcd.io/substitute: disabled
                        data:
                          greeting: ${greeting}

                        """,
                ], message: "settings with variables")
                let fields = """
                    path: deploy, postBuild: { substitute: { inline: "from serin.yaml" }, \
                    substituteFrom: [{ kind: ConfigMap, name: vars }, { kind: Secret, name: secret-vars }] }
                    """
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace, sourceFields: fields)
                do {
                    // Neither exists yet: the build fails, saying which.
                    var source = await running.serinOperator.sources().first
                    try await eventually("the missing ConfigMap is reported", timeout: .seconds(60)) {
                        source = await running.serinOperator.sources().first
                        return source?.conditions["Ready"]?.status == .false
                    }
                    let refused = try #require(source?.conditions["Ready"])
                    #expect(refused.reason == "BuildFailed", "\(refused)")
                    #expect(refused.message.contains("vars") && refused.message.contains("not found"), "\(refused.message)")
                    let nothing: ConfigMap? = try await client.resources(ConfigMap.self).getIfPresent("settings", namespace: namespace)
                    #expect(nothing == nil)

                    _ = try await client.resources(ConfigMap.self).create(ConfigMap(
                        metadata: ObjectMeta(name: "vars", namespace: namespace), data: ["greeting": "hello", "shared": "from the ConfigMap"]))
                    _ = try await client.resources(Secret.self).create(Secret(
                        metadata: ObjectMeta(name: "secret-vars", namespace: namespace), stringData: ["token": "s3cr3t", "shared": "from the Secret"]))
                    try await eventually("the same commit is applied once both exist", timeout: .seconds(60)) {
                        try await Operator.greeting(client, namespace) == "hello"
                    }
                    let settings: ConfigMap = try await client.resources(ConfigMap.self).get("settings", namespace: namespace)
                    #expect(settings.data == [
                        "greeting": "hello", "token": "s3cr3t", "shared": "from the Secret", "region": "eu-west-1",
                        "inline": "from serin.yaml", "literal": "${greeting}",
                    ])
                    let raw = try await Operator.greeting(client, namespace, "raw")
                    #expect(raw == "${greeting}", "the opt-out annotation keeps the text as written")
                    // Ready once the applied objects are judged healthy, just after they are written.
                    try await eventually("the source is Ready", timeout: .seconds(60)) {
                        await running.serinOperator.sources().first?.conditions.isReady == true
                    }
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }
    }
}
