import AsyncHTTPClient
import Foundation
import NIOCore
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// Charts in Git (issue 27) through the operator on the real cluster:
    /// Flux's HelmRelease with values from a file, a ConfigMap of the
    /// cluster and inline values; Flagger's chart with `canary.enabled`
    /// released step by step; a template error refused with its file, line
    /// and column while the last good revision keeps running.
    @Suite struct HelmOperatorTests {
        typealias Operator = KubernetesOperatorTests
        static let fixtures = Products.repositoryRoot + "/Tests/SerinHelmTests/Fixtures"

        /// Every file of a chart fixture, at `destination` in the repository.
        static func chart(_ fixture: String, at destination: String) throws -> [String: String] {
            let root = fixtures + "/" + fixture
            var files: [String: String] = [:]
            let walk = FileManager.default.enumerator(atPath: root)
            while let relative = walk?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                files[destination + "/" + relative] = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
            }
            return files
        }

        static func helmRelease(_ namespace: String, chart: String, valuesFiles: [String], valuesFrom: String, values: String) -> String {
            """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo
              namespace: \(namespace)
            spec:
              interval: 10m
              chart:
                spec:
                  chart: \(chart)
                  sourceRef:
                    kind: GitRepository
                    name: apps
                  valuesFiles:
            \(valuesFiles.map { "        - " + $0 }.joined(separator: "\n"))
              valuesFrom:
                - kind: ConfigMap
                  name: podinfo-values
                  valuesKey: \(valuesFrom)
              values:
            \(values)

            """
        }

        /// podinfo's own chart: chart < the values files (its values.yaml,
        /// then the repository's) < the ConfigMap < inline.
        ///
        /// The chart is podinfo's but for one word: its Chart.yaml says
        /// `kubeVersion: ">=1.23.0-0"`, and Helm refuses to install it on
        /// Kubernetes 1.20 (the test cluster) before rendering a template
        /// ("chart requires kubeVersion: ... which is incompatible with
        /// Kubernetes v1.20.2": helm/helm `pkg/action/action.go`,
        /// `renderResources`, which helm-controller's install runs), as Serin
        /// does. The copy says `>=1.20.0-0`: nothing the chart renders with
        /// these values needs more than 1.20 (apps/v1, v1).
        @Test(.timeLimit(.minutes(5)))
        func podinfosChartIsReleasedWithValuesFromAFileAConfigMapAndInline() async throws {
            try PodinfoStandIn.importImages(tags: ["6.1.0"])
            try await KubeTestCluster.withNamespace { client, namespace in
                _ = try await client.resources(ConfigMap.self).create(ConfigMap(
                    metadata: ObjectMeta(name: "podinfo-values", namespace: namespace),
                    data: ["values.yaml": "ui:\n  message: from the ConfigMap\n"]))
                let repository = try GitFixture()
                var files = try Self.chart("podinfo", at: "charts/podinfo")
                let chartFile = try #require(files["charts/podinfo/Chart.yaml"])
                #expect(chartFile.contains("kubeVersion: \">=1.23.0-0\"\n"), "podinfo's Chart.yaml changed: \(chartFile)")
                files["charts/podinfo/Chart.yaml"] = chartFile.replacingOccurrences(of: "kubeVersion: \">=1.23.0-0\"\n", with: "kubeVersion: \">=1.20.0-0\"\n")
                files["values/e2e.yaml"] = """
                    logLevel: debug
                    image:
                      repository: \(PodinfoStandIn.repository)
                      tag: "6.1.0"
                    ui:
                      message: from the file
                      color: "#000000"
                    probes:
                      readiness: { initialDelaySeconds: 1, periodSeconds: 1 }
                    resources:
                      requests: { cpu: 10m, memory: 16Mi }

                    """
                files["deploy/podinfo.yaml"] = Self.helmRelease(
                    namespace, chart: "./charts/podinfo", valuesFiles: ["./charts/podinfo/values.yaml", "./values/e2e.yaml"],
                    valuesFrom: "values.yaml", values: "    ui:\n      color: \"#ff8800\"")
                try repository.commit(files, message: "podinfo through a HelmRelease")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace, sourceFields: "path: deploy")
                do {
                    // On a time-out, the source's Ready says why when the commit never reached the cluster.
                    var ready: Condition?
                    try await eventually("podinfo runs (the source's Ready: \(ready.map { "\($0.reason): \($0.message)" } ?? "none"))",
                                         timeout: .seconds(180)) {
                        ready = await running.serinOperator.sources().first?.conditions["Ready"]
                        return try await PodinfoStandIn.readyReplicas(client, namespace, "podinfo") == 1
                    }
                    let message = try await PodinfoStandIn.env(client, namespace, "podinfo", "PODINFO_UI_MESSAGE")
                    #expect(message == "from the ConfigMap", "the ConfigMap's values over the files'")
                    let color = try await PodinfoStandIn.env(client, namespace, "podinfo", "PODINFO_UI_COLOR")
                    #expect(color == "#ff8800", "the inline values over the files'")
                    let command = try await PodinfoStandIn.command(client, namespace, "podinfo")
                    #expect(command.contains("--level=debug"), "the repository's values file over the chart's: \(command)")
                    #expect(command.contains("--port=9898"), "the chart's values.yaml, the first values file: \(command)")
                    let image = try await PodinfoStandIn.image(client, namespace, "podinfo")
                    #expect(image == "serin.local/podinfo:6.1.0")
                    let service: Service? = try await client.resources(Service.self).getIfPresent("podinfo", namespace: namespace)
                    #expect(service != nil)
                    // The chart's labels, as Helm renders them for release podinfo.
                    let deployment: Deployment = try await client.resources(Deployment.self).get("podinfo", namespace: namespace)
                    #expect(deployment.metadata.labels?["app.kubernetes.io/name"] == "podinfo", "\(deployment.metadata.labels ?? [:])")
                    #expect(deployment.metadata.labels?["helm.sh/chart"]?.hasPrefix("podinfo-") == true)
                    // The pod answers with the message it was given.
                    let pods = try await client.resources(Pod.self).list(namespace: namespace).items
                    let pod = try #require(pods.first { ($0.metadata.name ?? "").hasPrefix("podinfo-") && $0.isReady }, "\(pods.map(\.metadata.name))")
                    let answer = try await HTTPClient.shared.get(url: "http://\(pod.status?.podIP ?? ""):9898/", deadline: .now() + .seconds(30)).get()
                    #expect(answer.body.map { String(buffer: $0) } == "from the ConfigMap\n")
                    // Ready once the operator's own health check saw the rollout, which
                    // can be a moment after the test saw the ready replica.
                    var source = await running.serinOperator.sources().first
                    try await eventually("the source is Ready (\(source.map { "\($0.conditions)" } ?? "no source"))", timeout: .seconds(60)) {
                        source = await running.serinOperator.sources().first
                        return source?.conditions.isReady == true
                    }
                    // HelmRelease fields Serin does not use are said so, not dropped.
                    let warnings = source?.warnings ?? []
                    #expect(warnings.contains { $0.contains("spec.interval is not used") }, "\(warnings)")
                } catch {
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }

        /// Flagger's `charts/podinfo` with `canary.enabled`: Initialized, a
        /// values change released 25%, 50%, promoted (judged on the canary
        /// pods' own metrics, as the chart's Canary asks), shown by
        /// `kubectl get canaries`; then a template error in the chart is
        /// refused at its file:line:column and nothing of it is applied.
        ///
        /// The chart is Flagger's but for one word: its HPA and the
        /// Canary's `autoscalerRef` say `autoscaling/v2`, which Kubernetes
        /// 1.20 (the test cluster) does not serve; the copy says `v2beta2`.
        /// Its Canary names no provider: the operator's default is set to
        /// `gatewayapi:v1beta1`, and the copy names the Gateways
        /// (`service.gatewayRefs`), which Flagger requires with Gateway API.
        @Test(.timeLimit(.minutes(8)))
        func flaggersChartWithItsCanaryIsReleasedStepByStepOnAValuesChange() async throws {
            try PodinfoStandIn.importImages(tags: ["6.1.0"])
            try await KubeTestCluster.withNamespace { client, namespace in
                try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
                _ = try await client.resources(ConfigMap.self).create(ConfigMap(
                    metadata: ObjectMeta(name: "podinfo-values", namespace: namespace),
                    data: ["thresholds.yaml": "canary:\n  thresholds:\n    successRate: 90\n    latency: 2000\n"]))
                let scratch = try TemporaryDirectory(prefix: "serin-kube-helm")
                defer { scratch.remove() }
                let discovery = KubernetesReleaseTests.FakePodDiscovery(client: client, namespace: namespace, directory: scratch,
                                                                        app: "podinfo", port: 9898)
                defer { discovery.task.cancel() }
                let prometheus = try PrometheusServer(fileTargets: discovery.file)
                defer { prometheus.stop() }
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }

                let repository = try GitFixture()
                var files = try Self.chart("flagger-podinfo", at: "charts/podinfo")
                for name in ["charts/podinfo/templates/hpa.yaml", "charts/podinfo/templates/canary.yaml"] {
                    files[name] = files[name]?.replacingOccurrences(of: "autoscaling/v2\n", with: "autoscaling/v2beta2\n")
                }
                // The chart is written for Istio; with Gateway API, Flagger (and
                // Serin) need the Gateways the HTTPRoute attaches to.
                files["charts/podinfo/templates/canary.yaml"] = files["charts/podinfo/templates/canary.yaml"]?
                    .replacingOccurrences(of: "    trafficPolicy:\n", with: "    gatewayRefs: [{ name: public, namespace: gateways }]\n    trafficPolicy:\n")
                files["values/canary.yaml"] = """
                    image:
                      repository: \(PodinfoStandIn.repository)
                      tag: "6.1.0"
                    hpa:
                      enabled: true
                      minReplicas: 1
                      maxReplicas: 2
                    canary:
                      enabled: true
                      analysis:
                        interval: 3s
                        threshold: 3
                        maxWeight: 50
                        stepWeight: 25
                    resources:
                      requests: { cpu: 10m, memory: 16Mi }

                    """
                func release(message: String) -> String {
                    Self.helmRelease(namespace, chart: "./charts/podinfo", valuesFiles: ["./charts/podinfo/values.yaml", "./values/canary.yaml"],
                                     valuesFrom: "thresholds.yaml", values: "    message: \(message)")
                }
                files["deploy/podinfo.yaml"] = release(message: "v1")
                try repository.commit(files, message: "Flagger's podinfo chart, v1")
                let running = try await Operator.RunningOperator(repository: repository, namespace: namespace, prometheus: prometheus.address,
                                                                 sourceFields: "path: deploy", kubernetesFields: "provider: gatewayapi:v1beta1")
                let watch = try KubectlCanaryWatch(namespace: namespace, scratch: scratch)
                defer { watch.stop() }
                do {
                    try await eventually("the chart's Canary is Initialized", timeout: .seconds(180)) {
                        try await PodinfoStandIn.phase(client, namespace, "podinfo") == "Initialized"
                    }
                    let first = try await PodinfoStandIn.env(client, namespace, "podinfo-primary", "PODINFO_UI_MESSAGE")
                    #expect(first == "v1")
                    let primaryAutoscaler: HorizontalPodAutoscaler? = try await client.resources(HorizontalPodAutoscaler.self)
                        .getIfPresent("podinfo-primary", namespace: namespace)
                    #expect(primaryAutoscaler?.spec?.scaleTargetRef.name == "podinfo-primary")

                    // A values change in Git is a new revision of the chart's Deployment: a release.
                    try repository.commit(["deploy/podinfo.yaml": release(message: "v2")], message: "message v2")
                    var weights: [Int] = []
                    try await eventually("the release succeeds", timeout: .seconds(300)) {
                        if let weight = try await PodinfoStandIn.canaryWeight(client, namespace, "podinfo"), weights.last != weight { weights.append(weight) }
                        let phase = try await PodinfoStandIn.phase(client, namespace, "podinfo")
                        if phase == "Failed" { throw KubeTestCluster.TestFailure(description: "the release failed: \(Operator.decisions(running, "Failed"))") }
                        return phase == "Succeeded"
                    }
                    #expect(weights.contains(25) && weights.contains(50), "route weights seen: \(weights)")
                    let promoted = try await PodinfoStandIn.env(client, namespace, "podinfo-primary", "PODINFO_UI_MESSAGE")
                    #expect(promoted == "v2")
                    try await eventually("kubectl shows the promotion", timeout: .seconds(20)) {
                        watch.steps(of: "podinfo").last?.phase == "Succeeded"
                    }
                    let progressing = watch.steps(of: "podinfo").filter { $0.phase == "Progressing" }.map(\.weight)
                    #expect(progressing.contains(25) && progressing.contains(50), "kubectl get canaries --watch printed:\n\(watch.lines.joined(separator: "\n"))")
                    print("kubectl get canaries --watch:\n" + watch.lines.joined(separator: "\n"))
                    let good = try #require(await running.serinOperator.sources().first?.revision)

                    // A template error (and a values change with it): refused where it is, nothing applied.
                    let configMapTemplate = try #require(files["charts/podinfo/templates/configmap.yaml"])
                    let broken = configMapTemplate + "\n  owner: {{ required \"set .Values.owner\" .Values.owner }}\n"
                    let line = broken.components(separatedBy: "\n").firstIndex { $0.contains("required") }.map { $0 + 1 } ?? 0
                    let commit = try repository.commit(["charts/podinfo/templates/configmap.yaml": broken, "deploy/podinfo.yaml": release(message: "v3")],
                                                       message: "an owner for the settings")
                    var source = await running.serinOperator.sources().first
                    try await eventually("the template error is reported", timeout: .seconds(60)) {
                        source = await running.serinOperator.sources().first
                        return source?.lastAttemptedRevision?.contains(commit) == true && source?.conditions["Ready"]?.status == .false
                    }
                    let ready = try #require(source?.conditions["Ready"])
                    #expect(ready.reason == "TemplateFailed", "\(ready)")
                    #expect(ready.message.contains("charts/podinfo/templates/configmap.yaml:\(line):"), "line \(line): \(ready.message)")
                    #expect(ready.message.contains("set .Values.owner"), "\(ready.message)")
                    #expect(source?.revision == good, "the last good revision stays in force")
                    print("template error: \(ready.message)")
                    let kept = try await PodinfoStandIn.env(client, namespace, "podinfo-primary", "PODINFO_UI_MESSAGE")
                    #expect(kept == "v2")
                    let target = try await PodinfoStandIn.env(client, namespace, "podinfo", "PODINFO_UI_MESSAGE")
                    #expect(target == "v2", "nothing of the refused commit reached the cluster")
                    let phase = try await PodinfoStandIn.phase(client, namespace, "podinfo")
                    #expect(phase == "Succeeded")

                    // The fix, with the values of the revision in force: Ready, and no release.
                    try repository.commit(["charts/podinfo/templates/configmap.yaml": configMapTemplate, "deploy/podinfo.yaml": release(message: "v2")],
                                          message: "no owner after all")
                    try await eventually("the source is Ready again", timeout: .seconds(60)) {
                        await running.serinOperator.sources().first?.conditions.isReady == true
                    }
                    let still = try await PodinfoStandIn.phase(client, namespace, "podinfo")
                    #expect(still == "Succeeded")
                } catch {
                    print("kubectl get canaries --watch:\n" + watch.lines.joined(separator: "\n"))
                    let states = running.stateDirectory.path + "/state/rollouts"
                    for file in (try? FileManager.default.contentsOfDirectory(atPath: states)) ?? [] {
                        print("state \(file): " + ((try? String(contentsOfFile: states + "/" + file, encoding: .utf8)) ?? ""))
                    }
                    await running.stop()
                    throw error
                }
                await running.stop()
            }
        }
    }
}
