import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Flagger 1.44's own end-to-end scenarios (fluxcd/flagger
    /// `test/kubernetes/test-deployment.sh`, `test-daemonset.sh`,
    /// `test-hpa.sh`, `test/gatewayapi/test-ab.sh`,
    /// `test-session-affinity.sh`, with `test/workloads/*.yaml`) as Git
    /// sources, with the outcomes their scripts check. What differs, and why:
    /// * podinfo is the test app (`serin.local/kube-app:1`, nothing can be
    ///   pulled here); `set image podinfod=...:6.0.1` is a commit changing
    ///   the app's version, which is what the scripts look for;
    /// * intervals of 2-3 s instead of 15 s, fewer iterations, and progress
    ///   deadlines of 180 s instead of 60 s (one loaded node);
    /// * flagger-loadtester is `RecordingHTTPServer` (its webhooks answer
    ///   200) and `FakePodDiscovery` sends the load and stands in for
    ///   Prometheus' Kubernetes discovery with Flagger's label names;
    /// * no Gateway API data plane runs here: `FakeGatewayController`
    ///   accepts the routes, and what a gateway would do with a cookie is
    ///   checked on the HTTPRoute Serin writes;
    /// * Istio's metric templates (error-rate, latency) query the app's own
    ///   series, as the built-in metrics do;
    /// * the HPA is autoscaling/v2beta2, the newest this 1.20 cluster serves
    ///   (the autoscaling/v2 path is unit-tested).
    @Suite struct FlaggerScenarioTests {
        typealias Operator = KubernetesOperatorTests
        static let image = Operator.image

        /// `test/workloads/deployment.yaml` (and `secret.yaml`), on the test app.
        static func deployment(_ namespace: String, version: String, name: String = "podinfo") -> String {
            """
            apiVersion: v1
            kind: Secret
            metadata: { name: podinfo-secret, namespace: \(namespace) }
            stringData: { value: s3cr3t }
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              namespace: \(namespace)
              labels: { app.kubernetes.io/name: podinfo, app.kubernetes.io/managed-by: test-label-prefix }
              annotations: { app.kubernetes.io/instance: test-annotation-prefix }
            spec:
              minReadySeconds: 1
              revisionHistoryLimit: 5
              progressDeadlineSeconds: 60
              strategy: { rollingUpdate: { maxUnavailable: 0 }, type: RollingUpdate }
              selector: { matchLabels: { app: \(name) } }
              template:
                metadata:
                  annotations: { prometheus.io/scrape: "true", prometheus.io/port: "8080" }
                  labels: { app: \(name) }
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: podinfod
                      image: \(image)
                      imagePullPolicy: Never
                      env:
                        - { name: APP_VERSION, value: "\(version)" }
                        - { name: PODINFO_SECRET_VALUE, valueFrom: { secretKeyRef: { name: podinfo-secret, key: value } } }
                      ports:
                        - { name: http, containerPort: 8080, protocol: TCP }
                        - { name: http-metrics, containerPort: 9797, protocol: TCP }
                        - { name: grpc, containerPort: 9999, protocol: TCP }
                      readinessProbe: { httpGet: { port: 8080, path: /readyz }, periodSeconds: 1 }
                      resources: { limits: { cpu: 1000m, memory: 128Mi }, requests: { cpu: 1m, memory: 16Mi } }
            """
        }

        /// `test/workloads/daemonset.yaml`, on the test app.
        static func daemonSet(_ namespace: String, version: String) -> String {
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: { name: podinfo-ds, namespace: \(namespace), labels: { app.kubernetes.io/name: podinfo-ds } }
            spec:
              minReadySeconds: 1
              revisionHistoryLimit: 5
              selector: { matchLabels: { app.kubernetes.io/name: podinfo-ds } }
              template:
                metadata: { labels: { app.kubernetes.io/name: podinfo-ds } }
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: podinfod
                      image: \(image)
                      imagePullPolicy: Never
                      env: [{ name: APP_VERSION, value: "\(version)" }]
                      ports: [{ name: http, containerPort: 8080 }, { name: http-metrics, containerPort: 9797 }, { name: grpc, containerPort: 9999 }]
                      readinessProbe: { httpGet: { port: 8080, path: /readyz }, periodSeconds: 1 }
            """
        }

        /// The webhooks of the kubernetes scenarios, at the stand-in loadtester.
        static func webhooks(_ tester: String, target: String) -> String {
            """
                webhooks:
                  - { name: gate, type: confirm-rollout, url: "\(tester)/gate/approve" }
                  - name: acceptance-test
                    type: pre-rollout
                    url: "\(tester)/"
                    timeout: 10s
                    metadata: { type: bash, cmd: "curl -sd 'test' http://\(target)-canary/token | grep token" }
                  - name: load-test
                    url: "\(tester)/"
                    timeout: 5s
                    metadata: { type: cmd, cmd: "hey -z 10m -q 10 -c 2 http://\(target)-canary.test/" }
            """
        }

        static func kubernetesCanary(_ namespace: String, name: String, kind: String, service: String, tester: String,
                                     extra: String = "") -> String {
            """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: \(name), namespace: \(namespace) }
            spec:
              provider: kubernetes\(extra)
              targetRef: { apiVersion: apps/v1, kind: \(kind), name: \(name) }
              progressDeadlineSeconds: 180
              service: { port: 80, targetPort: 8080, name: \(service), portDiscovery: true }
              analysis:
                interval: 3s
                threshold: 10
                iterations: 3
                metrics:
                  - { name: request-success-rate, interval: 1m, thresholdRange: { min: 99 } }
                  - { name: request-duration, interval: 30s, thresholdRange: { max: 500 } }
            \(webhooks(tester, target: service))
            """
        }

        /// What a scenario runs with: the namespace, a Prometheus over its
        /// pods (Flagger's label names), the stand-in loadtester, Git, Serin.
        struct Scenario {
            let client: KubeClient
            let namespace: String
            let repository: GitFixture
            let tester: RecordingHTTPServer
            let prometheus: PrometheusServer
            let discovery: KubernetesReleaseTests.FakePodDiscovery
            let scratch: TemporaryDirectory

            func phase(_ name: String) async throws -> String? {
                try await client.resources(SerinKubernetes.Canary.self).getIfPresent(name, namespace: namespace)?.status?.phase
            }

            func waitFor(_ name: String, phase: String, timeout: Duration = .seconds(240)) async throws {
                try await eventually("Canary \(name) is \(phase)", timeout: timeout) {
                    try await self.phase(name) == phase
                }
            }

            func stop() {
                discovery.task.cancel()
                prometheus.stop()
                tester.stop()
                scratch.remove()
            }
        }

        static func scenario(_ client: KubeClient, _ namespace: String, canaryPods: @escaping @Sendable (Pod) -> Bool) throws -> Scenario {
            let scratch = try TemporaryDirectory(prefix: "serin-flagger-e2e")
            let discovery = KubernetesReleaseTests.FakePodDiscovery(client: client, namespace: namespace, directory: scratch, isCanary: canaryPods)
            return Scenario(client: client, namespace: namespace, repository: try GitFixture(), tester: try RecordingHTTPServer(),
                            prometheus: try PrometheusServer(fileTargets: discovery.file), discovery: discovery, scratch: scratch)
        }

        /// A target's pods, not its primary's.
        static func pods(of name: String) -> @Sendable (Pod) -> Bool {
            { pod in
                let podName = pod.metadata.name ?? ""
                return podName.hasPrefix(name + "-") && !podName.hasPrefix(name + "-primary-")
            }
        }

        static func version(_ template: JSONValue?) -> String? {
            let containers = template?["spec"]?["containers"]?.arrayValue ?? []
            return containers.first?["env"]?.arrayValue?.first { $0["name"] == "APP_VERSION" }?["value"]?.stringValue
        }

        /// test-deployment.sh: blue/green with the kubernetes provider and
        /// Flagger's webhooks; the Service Git declares taken over (Flux's
        /// markers on it); the primary carries the target's labels and
        /// annotations; a new image is promoted.
        @Test(.timeLimit(.minutes(10)))
        func deploymentBlueGreen() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let run = try Self.scenario(client, namespace, canaryPods: Self.pods(of: "podinfo"))
                defer { run.stop() }
                let service = """
                    apiVersion: v1
                    kind: Service
                    metadata: { name: podinfo-svc, namespace: \(namespace) }
                    spec:
                      type: ClusterIP
                      selector: { app: podinfo }
                      ports: [{ name: http, port: 9898, protocol: TCP, targetPort: http }]
                    """
                try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.0"), "deploy/svc.yaml": service,
                                           "deploy/canary.yaml": Self.kubernetesCanary(namespace, name: "podinfo", kind: "Deployment",
                                                                                       service: "podinfo-svc", tester: run.tester.address)],
                                          message: "podinfo 6.0.0")
                let running = try await Operator.RunningOperator(repository: run.repository, namespace: namespace, prometheus: run.prometheus.address)
                do {
                    try await run.waitFor("podinfo", phase: "Initialized")
                    let svc: Service = try await client.resources(Service.self).get("podinfo-svc", namespace: namespace)
                    #expect(svc.metadata.annotations?["kustomize.toolkit.fluxcd.io/reconcile"] == "disabled", "toolkit annotation test")
                    #expect(svc.metadata.annotations?["helm.toolkit.fluxcd.io/driftDetection"] == "disabled", "helm drift detection annotation test")
                    #expect(svc.spec?.selector == ["app": "podinfo-primary"])
                    let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                    #expect(primary.metadata.labels?["app.kubernetes.io/managed-by"] == "test-label-prefix", "primary copy labels by prefix test")
                    #expect(primary.metadata.annotations?["app.kubernetes.io/instance"] == "test-annotation-prefix", "primary copy annotations test")
                    let ports = Set((svc.spec?.ports ?? []).compactMap(\.name))
                    #expect(ports == ["http", "http-metrics", "grpc"], "port discovery: \(ports)")
                    // kubectl set image deployment/podinfo podinfod=...:6.0.1
                    try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.1")], message: "podinfo 6.0.1")
                    try await eventually("podinfo-primary runs 6.0.1", timeout: .seconds(300)) {
                        let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                        return Self.version(primary.spec?.template) == "6.0.1"
                    }
                    try await run.waitFor("podinfo", phase: "Succeeded")
                    let hooks = Set(run.tester.requests().map(\.path))
                    #expect(hooks.isSuperset(of: ["/gate/approve", "/"]), "\(hooks)")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// A target Deployment Git does not declare (made by CI, a Helm
        /// release, another tool): Serin initializes its Canary from the
        /// cluster, and a change of its template in the cluster is
        /// released as Flagger releases it.
        @Test(.timeLimit(.minutes(10)))
        func aTargetOnlyTheClusterDeclaresIsReleased() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let run = try Self.scenario(client, namespace, canaryPods: Self.pods(of: "podinfo"))
                defer { run.stop() }
                func applyByAnotherTool(_ version: String) async throws {
                    for object in try KubeObject.manifests(yaml: Self.deployment(namespace, version: version)) {
                        let kind = try await client.resourceKind(of: object)
                        _ = try await client.resources(kind).apply(object, fieldManager: "ci-pipeline", force: true)
                    }
                }
                try await applyByAnotherTool("6.0.0")
                try run.repository.commit(["deploy/canary.yaml": Self.kubernetesCanary(namespace, name: "podinfo", kind: "Deployment",
                                                                                       service: "podinfo", tester: run.tester.address)],
                                          message: "only the Canary")
                let running = try await Operator.RunningOperator(repository: run.repository, namespace: namespace, prometheus: run.prometheus.address)
                do {
                    try await run.waitFor("podinfo", phase: "Initialized")
                    let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                    #expect(Self.version(primary.spec?.template) == "6.0.0")
                    // Reported where users look: an Event on the Canary says the target is read from the cluster.
                    try await eventually("the Canary's Event says Git does not declare its target", timeout: .seconds(60)) {
                        try await client.resources(Event.self).list(namespace: namespace).items.contains { event in
                            event.involvedObject.kind == "Canary" && event.involvedObject.name == "podinfo" && event.reason == "note"
                                && event.message?.contains("which Git does not declare") == true
                        }
                    }
                    // kubectl set image, by the other tool: a release, not a fight over the template.
                    try await applyByAnotherTool("6.0.1")
                    try await eventually("podinfo-primary runs 6.0.1", timeout: .seconds(300)) {
                        let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                        return Self.version(primary.spec?.template) == "6.0.1"
                    }
                    try await run.waitFor("podinfo", phase: "Succeeded")
                    let target: Deployment = try await client.resources(Deployment.self).get("podinfo", namespace: namespace)
                    #expect(Self.version(target.spec?.template) == "6.0.1", "the other tool's template stays")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// test-daemonset.sh: a DaemonSet released by blue/green; then with
        /// revertOnDeletion the Canary carries Flagger's finalizer, and
        /// removing it gives the DaemonSet its pods back before it goes.
        @Test(.timeLimit(.minutes(10)))
        func daemonSetBlueGreenAndRevertOnDeletion() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let run = try Self.scenario(client, namespace, canaryPods: Self.pods(of: "podinfo-ds"))
                defer { run.stop() }
                let canary = { (extra: String) in
                    Self.kubernetesCanary(namespace, name: "podinfo-ds", kind: "DaemonSet", service: "podinfo-ds", tester: run.tester.address, extra: extra)
                }
                try run.repository.commit(["deploy/ds.yaml": Self.daemonSet(namespace, version: "6.0.0"), "deploy/canary.yaml": canary("")],
                                          message: "podinfo-ds 6.0.0")
                let running = try await Operator.RunningOperator(repository: run.repository, namespace: namespace, prometheus: run.prometheus.address)
                do {
                    try await run.waitFor("podinfo-ds", phase: "Initialized")
                    let target: DaemonSet = try await client.resources(DaemonSet.self).get("podinfo-ds", namespace: namespace)
                    #expect(target.spec?.template?["spec"]?["nodeSelector"]?["flagger.app/scale-to-zero"] == "true")
                    // The primary edited by hand is drift (the caches, label-selected, never see it: the platform's informer does).
                    let edit = try InClusterTests.kubectl(["-n", namespace, "set", "env", "daemonset/podinfo-ds-primary", "APP_VERSION=edited"],
                                                          timeout: .seconds(60))
                    #expect(edit.status == 0, "\(edit.stderr)")
                    try await eventually("the primary's edit is undone", timeout: .seconds(60)) {
                        let primary: DaemonSet = try await client.resources(DaemonSet.self).get("podinfo-ds-primary", namespace: namespace)
                        return Self.version(primary.spec?.template) == "6.0.0"
                            && Operator.decisions(running, "drift").contains { $0.contains("DaemonSet \(namespace)/podinfo-ds-primary") }
                    }
                    try run.repository.commit(["deploy/ds.yaml": Self.daemonSet(namespace, version: "6.0.1")], message: "podinfo-ds 6.0.1")
                    try await eventually("podinfo-ds-primary runs 6.0.1", timeout: .seconds(300)) {
                        let primary: DaemonSet = try await client.resources(DaemonSet.self).get("podinfo-ds-primary", namespace: namespace)
                        return Self.version(primary.spec?.template) == "6.0.1"
                    }
                    try await run.waitFor("podinfo-ds", phase: "Succeeded")
                    try run.repository.commit(["deploy/canary.yaml": canary("\n  revertOnDeletion: true")], message: "revertOnDeletion")
                    try await eventually("the Canary has Flagger's finalizer", timeout: .seconds(60)) {
                        let found = try await client.resources(SerinKubernetes.Canary.self).get("podinfo-ds", namespace: namespace)
                        return found.metadata.finalizers?.contains("finalizer.flagger.app") == true
                    }
                    try run.repository.commit([:], message: "no Canary", remove: ["deploy/canary.yaml"])
                    try await eventually("the DaemonSet serves again, the Canary is gone", timeout: .seconds(180)) {
                        let target: DaemonSet = try await client.resources(DaemonSet.self).get("podinfo-ds", namespace: namespace)
                        let canary = try await client.resources(SerinKubernetes.Canary.self).getIfPresent("podinfo-ds", namespace: namespace)
                        return (target.status?.numberReady ?? 0) >= 1 && canary == nil
                    }
                    let primary: DaemonSet? = try await client.resources(DaemonSet.self).getIfPresent("podinfo-ds-primary", namespace: namespace)
                    #expect(primary == nil, "the primary goes once the target serves")
                    let apex: Service? = try await client.resources(Service.self).getIfPresent("podinfo-ds", namespace: namespace)
                    #expect(apex?.spec?.selector == ["app.kubernetes.io/name": "podinfo-ds"], "the apex Service points at the DaemonSet")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// test-hpa.sh: `<hpa>-primary` for the primary; the target's HPA
        /// changed with the next image, and after the promotion the
        /// primary's autoscaler has the new target.
        @Test(.timeLimit(.minutes(10)))
        func horizontalPodAutoscaler() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let run = try Self.scenario(client, namespace, canaryPods: Self.pods(of: "podinfo"))
                defer { run.stop() }
                let hpa = { (utilization: Int) in
                    """
                    apiVersion: autoscaling/v2beta2
                    kind: HorizontalPodAutoscaler
                    metadata: { name: podinfo, namespace: \(namespace) }
                    spec:
                      scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
                      minReplicas: 2
                      maxReplicas: 4
                      metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: \(utilization) } } }]
                    """
                }
                let canary = Self.kubernetesCanary(namespace, name: "podinfo", kind: "Deployment", service: "podinfo-svc", tester: run.tester.address,
                                                   extra: "\n  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo }")
                try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.0"), "deploy/hpa.yaml": hpa(99),
                                           "deploy/canary.yaml": canary], message: "podinfo with an HPA")
                let running = try await Operator.RunningOperator(repository: run.repository, namespace: namespace, prometheus: run.prometheus.address)
                let autoscalers = client.resources(ResourceKind(group: "autoscaling", version: "v2beta2", kind: "HorizontalPodAutoscaler",
                                                                plural: "horizontalpodautoscalers", namespaced: true))
                let utilization = { (name: String) async throws -> Int64? in
                    let object = try await autoscalers.getIfPresent(name, namespace: namespace)
                    return object?["spec"]?["metrics"]?.arrayValue?.first?["resource"]?["target"]?["averageUtilization"]?.intValue
                }
                do {
                    try await run.waitFor("podinfo", phase: "Initialized")
                    try await eventually("the primary HPA is reconciled", timeout: .seconds(30)) {
                        try await utilization("podinfo-primary") == 99
                    }
                    let primaryHPA = try await autoscalers.get("podinfo-primary", namespace: namespace)
                    #expect(primaryHPA["spec"]?["scaleTargetRef"]?["name"] == "podinfo-primary")
                    try run.repository.commit(["deploy/hpa.yaml": hpa(50), "deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.1")],
                                              message: "utilization 50, podinfo 6.0.1")
                    try await run.waitFor("podinfo", phase: "Succeeded")
                    let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                    #expect(Self.version(primary.spec?.template) == "6.0.1")
                    #expect(try await utilization("podinfo") == 50)
                    #expect(try await utilization("podinfo-primary") == 50, "the primary HPA is reconciled at the promotion")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// The Secrets manifests name, read from the cluster: a MetricTemplate
        /// of a Prometheus behind basic auth (its Secret's username and
        /// password), an AlertProvider whose Secret holds its address. The
        /// release passes only if the query is authenticated; the alerts
        /// arrive where the Secret says.
        @Test(.timeLimit(.minutes(8)))
        func secretsOfTemplatesAndAlertProvidersAreReadFromTheCluster() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let hash = "$2a$10$b5WYECdEoaykID2hb798zO4/3SkrTE3jrKCZXxyQ5tJYSJSR7YvXy" // bcrypt of s3cr3t-prometheus
                let prometheus = try PrometheusServer(basicAuth: (username: "serin", password: "s3cr3t-prometheus", bcryptHash: hash))
                defer { prometheus.stop() }
                let alerts = try RecordingHTTPServer()
                defer { alerts.stop() }
                let manifests = """
                    apiVersion: v1
                    kind: Secret
                    metadata: { name: prometheus-auth, namespace: \(namespace) }
                    stringData: { username: serin, password: s3cr3t-prometheus }
                    ---
                    apiVersion: flagger.app/v1beta1
                    kind: MetricTemplate
                    metadata: { name: always-one, namespace: \(namespace) }
                    spec:
                      provider: { type: prometheus, address: "\(prometheus.address)", secretRef: { name: prometheus-auth } }
                      query: vector(1)
                    ---
                    apiVersion: v1
                    kind: Secret
                    metadata: { name: slack-hook, namespace: \(namespace) }
                    stringData: { address: "\(alerts.address)/from-the-secret", token: xoxb-test }
                    ---
                    apiVersion: flagger.app/v1beta1
                    kind: AlertProvider
                    metadata: { name: on-call, namespace: \(namespace) }
                    spec: { type: slack, channel: deploys, secretRef: { name: slack-hook } }
                    ---
                    apiVersion: flagger.app/v1beta1
                    kind: Canary
                    metadata: { name: podinfo, namespace: \(namespace) }
                    spec:
                      provider: kubernetes
                      targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
                      progressDeadlineSeconds: 180
                      service: { port: 80, targetPort: 8080 }
                      analysis:
                        interval: 2s
                        threshold: 2
                        iterations: 2
                        metrics: [{ name: authenticated, templateRef: { name: always-one }, thresholdRange: { min: 1 }, interval: 1m }]
                        alerts: [{ name: on-call, severity: info, providerRef: { name: on-call } }]
                    """
                let repository = try GitFixture()
                try repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.0"), "deploy/rest.yaml": manifests], message: "v1")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace)
                let entries = { () async -> [EventLog.Entry] in await (try? EventLog(stateDirectory: running.stateDirectory.path + "/state"))?.entries() ?? [] }
                do {
                    try await eventually("Initialized", timeout: .seconds(180)) {
                        try await client.resources(SerinKubernetes.Canary.self).getIfPresent("podinfo", namespace: namespace)?.status?.phase == "Initialized"
                    }
                    try repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.1")], message: "v2")
                    try await eventually("Succeeded, judged on the authenticated query", timeout: .seconds(240)) {
                        try await client.resources(SerinKubernetes.Canary.self).get("podinfo", namespace: namespace).status?.phase == "Succeeded"
                    }
                    try await eventually("the alerts came where the Secret says", timeout: .seconds(30)) {
                        alerts.requests().contains { $0.path == "/from-the-secret" && $0.body.contains("Succeeded") }
                    }
                } catch {
                    for entry in await entries() { print("\(entry.decision): \(entry.reason)") }
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// test/gatewayapi's MetricTemplates (error-rate, latency): Istio's
        /// series there, the app's own here.
        static func templates(_ namespace: String) -> String {
            """
            apiVersion: flagger.app/v1beta1
            kind: MetricTemplate
            metadata: { name: error-rate, namespace: \(namespace) }
            spec:
              provider: { type: prometheus }
              query: |
                100 - sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+-[0-9a-zA-Z]+",status!~"5.*"}[{{ interval }}]))
                / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+-[0-9a-zA-Z]+"}[{{ interval }}])) * 100
            ---
            apiVersion: flagger.app/v1beta1
            kind: MetricTemplate
            metadata: { name: latency, namespace: \(namespace) }
            spec:
              provider: { type: prometheus }
              query: |
                histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+-[0-9a-zA-Z]+"}[{{ interval }}])) by (le))
            """
        }

        static func gatewayCanary(_ namespace: String, tester: String, analysis: String) -> String {
            """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: podinfo, namespace: \(namespace) }
            spec:
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
              progressDeadlineSeconds: 180
              service:
                port: 9898
                targetPort: 8080
                portName: http
                hosts: [www.example.com]
                gatewayRefs: [{ name: gateway, namespace: istio-ingress }]
              analysis:
            \(analysis)
                metrics:
                  - { name: error-rate, templateRef: { name: error-rate }, thresholdRange: { max: 1 }, interval: 1m }
                  - { name: latency, templateRef: { name: latency }, thresholdRange: { max: 0.5 }, interval: 30s }
                webhooks:
                  - name: load-test
                    type: rollout
                    url: "\(tester)/"
                    timeout: 5s
                    metadata: { cmd: "hey -z 2m -q 10 -c 2 -host www.example.com -H 'X-Canary: insider' http://gateway-istio.istio-ingress", logCmdOutput: "true" }
            """
        }

        /// test-ab.sh: A/B testing through an HTTPRoute (the operator's
        /// provider is gatewayapi:v1, as Flagger's meshProvider there): the
        /// route's hostnames and header rule, then the promotion.
        @Test(.timeLimit(.minutes(10)))
        func gatewayAPIABTesting() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let run = try Self.scenario(client, namespace, canaryPods: Self.pods(of: "podinfo"))
                defer { run.stop() }
                let analysis = """
                        interval: 2s
                        threshold: 10
                        iterations: 4
                        match: [{ headers: { x-canary: { exact: insider } } }]
                    """
                try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.0"), "deploy/templates.yaml": Self.templates(namespace),
                                           "deploy/canary.yaml": Self.gatewayCanary(namespace, tester: run.tester.address, analysis: analysis)],
                                          message: "podinfo A/B")
                let running = try await Operator.RunningOperator(repository: run.repository, namespace: namespace, prometheus: run.prometheus.address,
                                                                 settings: "provider: \"gatewayapi:v1\"")
                do {
                    try await run.waitFor("podinfo", phase: "Initialized")
                    let svc: Service = try await client.resources(Service.self).get("podinfo", namespace: namespace)
                    #expect(svc.spec?.selector?["app"] == "podinfo-primary", "podinfo selector test")
                    let route: HTTPRoute = try await client.resources(HTTPRoute.self).get("podinfo", namespace: namespace)
                    #expect(route.spec?["hostnames"] == ["www.example.com"])
                    #expect(route.spec?["parentRefs"] == [["name": "gateway", "namespace": "istio-ingress"]])
                    try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.1")], message: "podinfo 6.0.1")
                    try await eventually("the A/B rule sends insiders to the canary", timeout: .seconds(240)) {
                        let route: HTTPRoute = try await client.resources(HTTPRoute.self).get("podinfo", namespace: namespace)
                        let first = route.spec?["rules"]?.arrayValue?.first
                        let header = first?["matches"]?.arrayValue?.first?["headers"]?.arrayValue?.first
                        return header == ["name": "x-canary", "type": "Exact", "value": "insider"]
                            && first?["backendRefs"]?.arrayValue?.last?["weight"] == 100
                    }
                    try await eventually("podinfo-primary runs 6.0.1", timeout: .seconds(300)) {
                        let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                        return Self.version(primary.spec?.template) == "6.0.1"
                    }
                    try await run.waitFor("podinfo", phase: "Succeeded")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// test-session-affinity.sh: the canary takes 10%; its answers set
        /// the canary cookie and requests with it stay on the canary (on the
        /// HTTPRoute: no gateway runs here); after the promotion the
        /// previous cookie is in the status and the route expires it.
        @Test(.timeLimit(.minutes(10)))
        func gatewayAPISessionAffinity() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let run = try Self.scenario(client, namespace, canaryPods: Self.pods(of: "podinfo"))
                defer { run.stop() }
                let analysis = """
                        interval: 3s
                        threshold: 15
                        maxWeight: 50
                        stepWeight: 10
                        sessionAffinity: { cookieName: canary-flagger-cookie, primaryCookieName: primary-flagger-cookie }
                    """
                try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.0.4"), "deploy/templates.yaml": Self.templates(namespace),
                                           "deploy/canary.yaml": Self.gatewayCanary(namespace, tester: run.tester.address, analysis: analysis)],
                                          message: "podinfo with session affinity")
                let running = try await Operator.RunningOperator(repository: run.repository, namespace: namespace, prometheus: run.prometheus.address,
                                                                 settings: "provider: \"gatewayapi:v1\"")
                do {
                    try await run.waitFor("podinfo", phase: "Initialized")
                    try run.repository.commit(["deploy/podinfo.yaml": Self.deployment(namespace, version: "6.1.0")], message: "podinfo 6.1.0")
                    var cookie: String?
                    try await eventually("the canary takes 10% with its cookie", timeout: .seconds(240)) {
                        let canary = try await client.resources(SerinKubernetes.Canary.self).get("podinfo", namespace: namespace)
                        cookie = canary.status?.sessionAffinityCookie
                        return canary.status?.canaryWeight == 10 && cookie != nil
                    }
                    let route: HTTPRoute = try await client.resources(HTTPRoute.self).get("podinfo", namespace: namespace)
                    let value = try #require(cookie?.split(separator: "=").last.map(String.init))
                    let rules = route.spec?["rules"]?.arrayValue ?? []
                    let sticky = rules.first { $0["matches"]?.arrayValue?.first?["headers"]?.arrayValue?.first?["value"]?.stringValue
                        == ".*canary-flagger-cookie.*\(value).*" }
                    #expect(sticky?["backendRefs"]?.arrayValue?.last?["weight"] == 100, "a request with the canary cookie goes to the canary")
                    let setCookie = rules.last?["backendRefs"]?.arrayValue?.last?["filters"]?.arrayValue?.first?["responseHeaderModifier"]?["add"]?
                        .arrayValue?.first?["value"]?.stringValue
                    #expect(setCookie == "canary-flagger-cookie=\(value); Max-Age=86400", "the canary's answers set its cookie")
                    #expect(rules.contains { $0["matches"]?.arrayValue?.first?["headers"]?.arrayValue?.first?["value"]?.stringValue?
                        .hasPrefix(".*primary-flagger-cookie.*") == true }, "the primary's cookie keeps its clients on it")
                    try await run.waitFor("podinfo", phase: "Succeeded", timeout: .seconds(300))
                    let canary = try await client.resources(SerinKubernetes.Canary.self).get("podinfo", namespace: namespace)
                    let previous = try #require(canary.status?.previousSessionAffinityCookie)
                    #expect(previous == "canary-flagger-cookie=\(value)")
                    let after: HTTPRoute = try await client.resources(HTTPRoute.self).get("podinfo", namespace: namespace)
                    let expiring = after.spec?["rules"]?.arrayValue?.first?["filters"]?.arrayValue?.last?["responseHeaderModifier"]?["add"]?
                        .arrayValue?.first?["value"]?.stringValue
                    #expect(expiring == "\(previous); Max-Age=-1", "the previous cookie is expired")
                    let primary: Deployment = try await client.resources(Deployment.self).get("podinfo-primary", namespace: namespace)
                    #expect(Self.version(primary.spec?.template) == "6.1.0")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }
    }
}
