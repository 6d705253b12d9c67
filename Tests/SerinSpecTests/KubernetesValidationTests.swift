import Testing
@testable import SerinSpec

/// What the Kubernetes platform accepts of Flagger's providers: the routers
/// Serin drives, Flagger 1.44's Knative Canaries with a warning, any other
/// router refused with the list; metric providers Serin cannot query
/// (`externalmetrics`, ...) refused with the reason.
@Suite struct KubernetesValidationTests {
    static let knative = """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: { name: podinfo, namespace: test }
        spec:
          provider: knative
          targetRef: { apiVersion: serving.knative.dev/v1, kind: Service, name: podinfo }
          analysis: { interval: 15s, threshold: 15, maxWeight: 50, stepWeight: 10 }
        """

    static let externalMetrics = """
        apiVersion: flagger.app/v1beta1
        kind: MetricTemplate
        metadata: { name: external, namespace: test }
        spec:
          provider: { type: externalmetrics, address: "http://keda-operator-metrics-apiserver.keda:8080" }
          query: requests-per-second
        """

    @Test func knativeCanariesValidateWithAWarning() {
        let diagnostics = validate(Self.knative, platform: .kubernetes)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        #expect(diagnostics.warnings.count == 1, "\(diagnostics.warnings)")
    }

    @Test func aMetricProviderSerinCannotQueryIsRefusedWithTheReason() {
        let found = validate(Self.externalMetrics, platform: .kubernetes).errors.map(\.description)
        #expect(found == ["test.yaml:5:21: provider.type is externalmetrics, which Serin cannot query: reads the external metrics API of "
                          + "the cluster (KEDA, ...), which Serin does not implement; use one of prometheus, datadog, newrelic, graphite, influxdb"],
                "\(found)")
    }

    @Test(arguments: Validator.kubernetesProviders)
    func theRoutersSerinDrivesAreAccepted(provider: String) {
        let yaml = Self.knative.replacingOccurrences(of: "provider: knative", with: "provider: \(provider)")
            .replacingOccurrences(of: "apiVersion: serving.knative.dev/v1, kind: Service", with: "apiVersion: apps/v1, kind: Deployment")
            + (provider.hasPrefix("gatewayapi") ? "\n  service: { port: 80, gatewayRefs: [{ name: public }] }" : "\n  service: { port: 80 }")
        #expect(validate(yaml, platform: .kubernetes).errors.isEmpty, "\(validate(yaml, platform: .kubernetes).errors)")
    }

    @Test func anotherProviderIsRefusedWithTheList() {
        let yaml = Self.knative.replacingOccurrences(of: "provider: knative", with: "provider: linkerd") + "\n  service: { port: 80 }"
        let found = validate(yaml, platform: .kubernetes).errors.map(\.description)
        #expect(found == ["test.yaml:5:13: provider \"linkerd\" is not supported by Serin on Kubernetes; use one of gatewayapi, "
                          + "gatewayapi:v1, gatewayapi:v1beta1, kubernetes, nginx"], "\(found)")
    }
}
