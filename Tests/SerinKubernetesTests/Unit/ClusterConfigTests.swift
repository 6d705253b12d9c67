import Foundation
import SerinEngine
import SerinOperator
import SerinSpec
import SerinTesting
import Testing

/// `clusters:` and a source's `waves`, `clusters`, `paths`, `pause` and
/// `bake` in serin.yaml: every field honoured or refused with
/// file:line:column and the reason.
@Suite struct ClusterConfigTests {
    static func load(_ text: String, watchNamespace: String? = nil) throws -> (Result<OperatorConfig.Resolved, ConfigProblems>, String) {
        let directory = try TemporaryDirectory(prefix: "serin-clusters-config")
        let kubeconfig = try directory.write("k.kubeconfig", "apiVersion: v1\nkind: Config\n")
        let other = try directory.write("other.kubeconfig", "apiVersion: v1\nkind: Config\n")
        let file = try directory.write("serin.yaml", text.replacingOccurrences(of: "$K1", with: kubeconfig)
            .replacingOccurrences(of: "$K2", with: other))
        return (OperatorConfig.load(file, watchNamespace: watchNamespace), file)
    }

    static let header = """
        stateDir: /tmp/serin-clusters-config-state
        platform: kubernetes
        prometheus: { address: "http://127.0.0.1:9090" }

        """

    @Test func clustersAndWavesAreRead() throws {
        let (result, _) = try Self.load(Self.header + """
            clusters:
              - { name: staging, kubeconfig: $K1, postBuild: { substitute: { REGION: lab } } }
              - { name: eu, kubeconfig: $K2, home: true, leaseName: serin-fleet }
              - { name: us, kubeconfig: $K1, context: us }
            sources:
              - name: apps
                url: https://example.com/apps.git
                path: deploy
                waves: [ [ staging ], [ eu, us ] ]
                paths: { staging: deploy/staging/, eu: deploy/prod }
                pause: true
                bake: 90s
              - { name: tools, url: "https://example.com/tools.git", clusters: [ us ] }
              - { name: all, url: "https://example.com/all.git" }
            """)
        let config = try result.get()
        // The home cluster first: it holds the Lease (named as given) and the records of waves.
        #expect(config.clusters.map(\.name) == ["eu", "staging", "us"])
        #expect(config.clusters.map(\.isHome) == [true, false, false])
        #expect(config.clusters.map(\.kubernetes.leaseName) == ["serin-fleet", nil, nil])
        #expect(config.clusters.allSatisfy { $0.ownState })
        #expect(config.clusters[1].substitute == ["REGION": "lab"])
        #expect(config.kubernetes?.kubeconfig == config.clusters[0].kubernetes.kubeconfig)
        let apps = try #require(config.delivery["apps"])
        #expect(apps.waves == WavePlan(waves: [["staging"], ["eu", "us"]], pause: true, bake: .seconds(90)))
        #expect(apps.paths == ["staging": "deploy/staging", "eu": "deploy/prod"])
        #expect(config.delivery["tools"]?.waves == WavePlan(waves: [["us"]]))
        // No waves nor clusters: every cluster at once.
        #expect(config.delivery["all"]?.waves == WavePlan(waves: [["eu", "staging", "us"]]))
    }

    @Test func kubernetesAloneIsOneClusterAsBefore() throws {
        let (result, _) = try Self.load(Self.header + """
            kubernetes: { kubeconfig: $K1 }
            sources:
              - { name: apps, url: "https://example.com/apps.git" }
            """)
        let config = try result.get()
        #expect(config.clusters.map(\.name) == ["kubernetes"])
        #expect(config.clusters.first?.ownState == false)
        #expect(config.clusters.first?.kubernetes.leaseName == "serin-leader")
        #expect(config.delivery["apps"]?.waves == WavePlan(waves: [["kubernetes"]]))
    }

    /// `serin run --namespace` with `clusters:`: every cluster of the fleet
    /// watches that namespace alone (it was refused as "kubernetes and
    /// clusters both given", a field the user never wrote).
    @Test func runNamespaceAppliesToEveryCluster() throws {
        let (result, _) = try Self.load(Self.header + """
            clusters:
              - { name: staging, kubeconfig: $K1 }
              - { name: production, kubeconfig: $K2, watchNamespace: other }
            sources:
              - { name: apps, url: "https://example.com/apps.git" }
            """, watchNamespace: "team-a")
        let config = try result.get()
        #expect(config.clusters.map(\.kubernetes.watchNamespace) == ["team-a", "team-a"])
        #expect(config.clusters.map(\.kubernetes.namespace) == ["team-a", "team-a"])
    }

    /// A source acts as its ServiceAccount in every cluster it goes to
    /// (its own `serviceAccountName`, else that cluster's
    /// `defaultServiceAccount`), and in no other; each cluster takes
    /// `selectorLabels` and `metricLabels` as `kubernetes:` does.
    @Test func eachClusterImpersonatesTheSourcesItGets() throws {
        let (result, _) = try Self.load(Self.header + """
            clusters:
              - { name: staging, kubeconfig: $K1, defaultServiceAccount: tenants, selectorLabels: [app], metricLabels: { pod: pod } }
              - { name: prod, kubeconfig: $K2 }
            sources:
              - { name: apps, url: "https://example.com/apps.git", serviceAccountName: team-a, waves: [ [ staging ], [ prod ] ] }
              - { name: tools, url: "https://example.com/tools.git" }
              - { name: lab, url: "https://example.com/lab.git", serviceAccountName: team-b, clusters: [ staging ] }
            """)
        let config = try result.get()
        let accounts = Dictionary(uniqueKeysWithValues: config.clusters.map { ($0.name, $0.kubernetes.serviceAccounts) })
        #expect(accounts["staging"] == ["apps": "team-a", "tools": "tenants", "lab": "team-b"])
        #expect(accounts["prod"] == ["apps": "team-a"])
        #expect(config.kubernetes?.serviceAccounts == accounts["staging"])
        #expect(config.clusters.map(\.kubernetes.selectorLabels) == [["app"], ["app", "name", "app.kubernetes.io/name"]])
        #expect(config.clusters.map(\.kubernetes.metricLabels.pod) == ["pod", "kubernetes_pod_name"])
    }

    /// Each mistake is named at its own line and column, with what to do.
    @Test(arguments: [
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", waves: [ [ staging ], [ prod, eu ] ] }
         """, 8, 83, "\"eu\" is not a cluster; the clusters are staging, prod"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", waves: [ [ staging ], [ prod, staging ] ] }
         """, 8, 83, "\"staging\" is in an earlier wave already"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", pause: true }
         """, 8, 60, "pause: waits between waves, and this source has one wave"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2, leaseName: mine }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 6, 96, "the Lease is kept in the home cluster (staging) only"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K1 }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 6, 31, "is cluster staging already"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: Prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 6, 13, "\"Prod\" is not a cluster name"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", waves: [ [ staging ], [ prod ] ], bake: soon }
         """, 8, 93, "\"soon\" is not a positive duration"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", clusters: [ prod ], paths: { staging: deploy/staging } }
         """, 8, 91, "staging does not get this source"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", paths: { prod: ../outside } }
         """, 8, 68, "must be a relative folder of the repository"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1 }
           - { name: prod, kubeconfig: $K2 }
         sources:
           - { name: apps, url: "https://example.com/a.git", waves: [ [ staging ], [ prod ] ], clusters: [ staging ] }
         """, 8, 87, "give the same clusters, or waves alone"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1, postBuild: { substitute: { 1x: "v" } } }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 5, 97, "'1x' var name is invalid"),
        ("""
         kubernetes: { kubeconfig: $K1 }
         clusters:
           - { name: staging, kubeconfig: $K1 }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 5, 1, "give either kubernetes (one cluster) or clusters, not both"),
        ("""
         clusters:
           - { name: staging, kubeconfig: $K1, region: eu }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 5, 84, "region"),
        ("""
         clusters:
           - { defaultServiceAccount: Tenants, name: staging, kubeconfig: $K1 }
         sources:
           - { name: apps, url: "https://example.com/a.git" }
         """, 5, 30, "clusters[0].defaultServiceAccount: \"Tenants\" is not a ServiceAccount name"),
    ])
    func mistakesAreRefusedWhereTheyAre(text: String, line: Int, column: Int, message: String) throws {
        let (result, file) = try Self.load(Self.header + text)
        guard case .failure(let problems) = result else {
            Issue.record("accepted: \(text)")
            return
        }
        let found = problems.diagnostics.first { $0.message.contains(message) }
        #expect(found != nil, "\(problems)")
        #expect(found?.position.file == file)
        #expect(found?.position.line == line, "\(problems)")
        #expect(found?.position.column == column, "\(problems)")
    }

    @Test func wavesOnTheLocalPlatformAreRefused() throws {
        let directory = try TemporaryDirectory(prefix: "serin-clusters-config")
        let file = try directory.write("serin.yaml", """
            stateDir: /tmp/x
            prometheus: { address: "http://127.0.0.1:9090" }
            sources:
              - { name: apps, url: "https://example.com/a.git", waves: [ [ a ], [ b ] ] }
            """)
        guard case .failure(let problems) = OperatorConfig.load(file) else {
            Issue.record("accepted")
            return
        }
        #expect(problems.description.contains("\(file):4:"), "\(problems)")
        #expect(problems.description.contains("waves: is read only with platform: kubernetes"), "\(problems)")
    }
}
