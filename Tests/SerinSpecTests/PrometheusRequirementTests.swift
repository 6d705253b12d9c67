import Testing
@testable import SerinSpec

/// An operator without a Prometheus (serin.yaml has no `prometheus:`, allowed
/// on Kubernetes) runs Canaries without metrics, as Flagger does, and refuses
/// a revision whose metrics would query it, saying why.
@Suite struct PrometheusRequirementTests {
    static let canary = """
    apiVersion: flagger.app/v1beta1
    kind: Canary
    metadata: { name: web, namespace: default }
    spec:
      targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
      service: { port: 80 }
      analysis:
        interval: 1m
        threshold: 5
        maxWeight: 50
        stepWeight: 10
    """

    static func errors(_ text: String, prometheus: Bool) -> [String] {
        Validator(platform: .kubernetes, defaultPrometheus: prometheus)
            .validate(ManifestLoader().load(text: text, file: "canary.yaml")).errors.map(\.description)
    }

    @Test func aCanaryWithoutMetricsNeedsNoPrometheus() {
        #expect(Self.errors(Self.canary, prometheus: false).isEmpty)
    }

    @Test func aBuiltinMetricWithoutPrometheusIsRefusedAtItsPlace() {
        let text = Self.canary + "\n    metrics:\n      - { name: request-success-rate, interval: 1m, thresholdRange: { min: 99 } }"
        #expect(Self.errors(text, prometheus: true).isEmpty)
        let errors = Self.errors(text, prometheus: false)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("canary.yaml:13:9:") == true, "\(errors)")
        #expect(errors.first?.contains("add prometheus.address to serin.yaml") == true)
    }

    @Test func aTemplateWithItsOwnAddressNeedsNoDefault() {
        let template = { (address: String) in """
            apiVersion: flagger.app/v1beta1
            kind: MetricTemplate
            metadata: { name: errors, namespace: default }
            spec:
              provider: { type: prometheus\(address) }
              query: sum(rate(x[1m]))
            ---

            """ }
        let metric = "\n    metrics:\n      - { name: errors, templateRef: { name: errors }, interval: 1m, thresholdRange: { max: 1 } }"
        #expect(Self.errors(template(", address: http://prometheus:9090") + Self.canary + metric, prometheus: false).isEmpty)
        let errors = Self.errors(template("") + Self.canary + metric, prometheus: false)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("has no provider.address") == true, "\(errors)")
    }
}
