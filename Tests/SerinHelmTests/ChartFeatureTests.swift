import Foundation
import SerinHelm
import SerinSpec
import SerinTemplate
import Testing

/// Chart features and what a GitOps apply makes of them: CRDs first,
/// hooks in order (tests not applied), dependencies with condition, tags,
/// alias and globals, values.schema.json, .helmignore, packaged subcharts.
@Suite("Chart features")
struct ChartFeatureTests {
    static let chart: [String: String] = [
        "charts/shop/Chart.yaml": """
        apiVersion: v2
        name: shop
        version: 1.0.0
        dependencies:
          - name: cache
            version: 0.1.0
            alias: redis
            condition: redis.enabled
          - name: metrics
            version: 0.1.0
            tags: [monitoring]
        """,
        "charts/shop/values.yaml": "global:\n  region: eu\nredis:\n  enabled: true\n  size: small\ntags:\n  monitoring: false\n",
        "charts/shop/values.schema.json": #"{"type":"object","properties":{"replicas":{"type":"integer","minimum":1}}}"#,
        "charts/shop/.helmignore": "*.md\nscratch/\n",
        "charts/shop/README.md": "ignored",
        "charts/shop/scratch/notes.txt": "ignored",
        "charts/shop/config/app.conf": "setting=1\n",
        "charts/shop/crds/widget.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n",
        "charts/shop/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}
        spec:
          replicas: {{ .Values.replicas | default 1 }}
        """,
        "charts/shop/templates/config.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-config
        data:
          files: {{ len (.Files.Glob "**") | quote }}
          conf: {{ .Files.Get "config/app.conf" | quote }}
        """,
        "charts/shop/templates/hooks.yaml": """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: migrate-late
          annotations: {"helm.sh/hook": pre-install, "helm.sh/hook-weight": "5", "helm.sh/hook-delete-policy": hook-succeeded}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: migrate-early
          annotations: {"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5"}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: notify
          annotations: {"helm.sh/hook": post-install}
        """,
        // A random name is tolerated in a test hook (not applied); the file must write nothing else.
        "charts/shop/templates/tests/smoke.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: smoke-{{ randAlphaNum 5 | lower }}
          annotations: {"helm.sh/hook": test}
        """,
        "charts/shop/charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
        "charts/shop/charts/cache/values.yaml": "size: large\n",
        "charts/shop/charts/cache/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Values.size }}-{{ .Values.global.region }}\n",
        "charts/shop/charts/metrics/Chart.yaml": "apiVersion: v2\nname: metrics\nversion: 0.1.0\n",
        "charts/shop/charts/metrics/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: metrics\n",
    ]

    static func release(values: String = "{}", install: String = "") -> String {
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: shop, namespace: web}
        spec:
          chart:
            spec:
              chart: charts/shop
              sourceRef: {kind: GitRepository, name: fleet}
          values: \(values)
        \(install)
        """
    }

    static func expand(_ release: String, extra: [String: String] = [:]) async throws -> RenderedSource {
        var files = chart.merging(extra) { $1 }
        files["apps/release.yaml"] = release
        let tree = InMemoryFiles(files)
        let plain = try PlainRenderer().renderNow(RenderRequest(source: "fleet", files: tree, path: "apps"))
        return try await HelmReleaseExpander(source: "fleet", files: tree).expand(plain)
    }

    static func names(_ source: RenderedSource) -> [String] {
        source.texts.compactMap { text in
            guard case .map(let map)? = try? GoYAML.decode(text.yaml), case .map(let metadata)? = map["metadata"] else { return nil }
            return "\(map["kind"]?.stringValue ?? "")/\(metadata["name"]?.stringValue ?? "")"
        }
    }

    @Test func orderOfAnApply() async throws {
        let expanded = try await Self.expand(Self.release())
        #expect(Self.names(expanded) == [
            "CustomResourceDefinition/widgets.example.com",
            "Job/migrate-early", "Job/migrate-late",
            "ConfigMap/redis-small-eu", "ConfigMap/shop-config", "Deployment/shop",
            "Job/notify",
        ])
        let warnings = expanded.diagnostics.map(\.message)
        #expect(warnings.contains { $0.contains("Pod smoke-xxxxx is a test hook") })
        #expect(warnings.contains { $0.contains("hook-delete-policy of Job migrate-late is not used") })
        // .helmignore: README.md and scratch/ are not chart files.
        let config = try #require(expanded.texts.first { $0.file == "charts/shop/templates/config.yaml" })
        #expect(config.yaml.contains("files: \"3\""))
        #expect(config.yaml.contains("conf: \"setting=1\\n\""))
        #expect(config.yaml.contains("namespace: web"))
    }

    @Test func dependenciesFollowValues() async throws {
        let names = Self.names(try await Self.expand(Self.release(values: "{redis: {enabled: false}, tags: {monitoring: true}}")))
        #expect(names.contains("ConfigMap/metrics"))
        #expect(!names.contains { $0.hasPrefix("ConfigMap/redis") })
    }

    @Test func crdsCanBeSkipped() async throws {
        let names = Self.names(try await Self.expand(Self.release(install: "  install: {crds: Skip, timeout: 5m}")))
        #expect(!names.contains { $0.hasPrefix("CustomResourceDefinition") })
    }

    @Test func schemaViolationsAreRefused() async throws {
        await #expect {
            try await Self.expand(Self.release(values: "{replicas: 0}"))
        } throws: { error in
            guard let failure = error as? RenderFailure else { return false }
            return failure.reason == "ValuesInvalid" && failure.message.contains("at '/replicas': must be >= 1")
        }
    }

    @Test func randomValuesInAppliedTemplatesAreRefused() async throws {
        await #expect {
            try await Self.expand(Self.release(), extra: [
                "charts/shop/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {{ randAlphaNum 16 }}\n",
            ])
        } throws: { error in
            guard let failure = error as? RenderFailure else { return false }
            return failure.position?.file == "charts/shop/templates/secret.yaml" && failure.position?.line == 6
                && failure.message.contains("randAlphaNum depends on random")
        }
    }

    /// Helm's install refuses a chart whose `kubeVersion` the cluster does
    /// not meet before any template runs (helm/helm pkg/action/action.go,
    /// renderResources); a constraint that does not parse is refused the
    /// same way (IsCompatibleRange is false), not skipped. podinfo's own
    /// constraint is the first row: the reason it cannot run unchanged on
    /// the 1.20 test cluster.
    @Test(arguments: [
        (">=1.23.0-0", "v1.20.2", false), (">=1.20.0-0", "v1.20.2", true), (">=99.0.0", "v1.20.0", false),
        (">=1.19.0-0 <1.21.0-0", "v1.20.2", true), ("~1.21", "v1.20.2", false), ("not a range", "v1.20.2", false),
    ])
    func kubeVersionIsCheckedAgainstTheCluster(constraint: String, kubernetes: String, compatible: Bool) throws {
        let files = InMemoryFiles([
            "charts/k/Chart.yaml": "apiVersion: v2\nname: k\nversion: 1.0.0\nkubeVersion: \"\(constraint)\"\n",
            "charts/k/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n",
        ])
        let chart = try ChartLoader(files: files).load("charts/k")
        let capabilities = HelmCapabilities(kubeVersion: kubernetes, apiVersions: HelmCapabilities.helmDefault.apiVersions)
        let render = { try ChartRenderer().render(chart, values: ValueMap(), release: HelmReleaseInfo(name: "k", namespace: "d"), capabilities: capabilities) }
        if compatible {
            #expect(try render().manifests.map(\.template) == ["k/templates/cm.yaml"])
        } else {
            #expect {
                try render()
            } throws: { error in
                "\(error)" == "chart requires kubeVersion: \(constraint) which is incompatible with Kubernetes \(kubernetes)"
            }
        }
    }

    @Test func packagedSubchartsAreRefused() async throws {
        await #expect {
            try await Self.expand(Self.release(), extra: ["charts/shop/charts/extra-1.0.0.tgz": "not a directory"])
        } throws: { error in
            guard let failure = error as? RenderFailure else { return false }
            return failure.reason == "ChartInvalid" && failure.message.contains("packaged subchart extra-1.0.0.tgz")
        }
    }
}
