import Foundation
import SerinOperator
import SerinTesting
import Testing

/// serin.yaml's `prometheus:` is needed where checks need it: always on the
/// local platform (the router's metrics are the checks), and on Kubernetes
/// only for Canaries with metrics (refused when their revision is validated).
@Suite struct OperatorConfigTests {
    static func config(platform: String, prometheus: String?) -> String {
        """
        stateDir: /tmp/serin-config-test
        platform: \(platform)
        \(prometheus.map { "prometheus: \($0)" } ?? "")
        sources:
          - { name: deploy, url: "https://example.com/deploy.git", ref: { branch: main }, path: deploy }

        """
    }

    @Test func kubernetesRunsWithoutPrometheus() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("serin.yaml", Self.config(platform: "kubernetes", prometheus: nil))
        let resolved = try OperatorConfig.load(path).get()
        #expect(resolved.prometheusAddress == nil)
    }

    @Test func theLocalPlatformStillNeedsOne() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("serin.yaml", Self.config(platform: "local", prometheus: nil))
        guard case .failure(let problems) = OperatorConfig.load(path) else {
            Issue.record("a local configuration without prometheus was accepted")
            return
        }
        #expect("\(problems)".contains("needs address"))
        let empty = try directory.write("empty.yaml", Self.config(platform: "kubernetes", prometheus: "{}"))
        guard case .failure = OperatorConfig.load(empty) else {
            Issue.record("prometheus: {} (neither address nor managed) was accepted")
            return
        }
    }
}
