import Foundation
import SerinHelm
import SerinSpec
import SerinTemplate
import Testing

/// Flux's HelmRelease over podinfo's chart (stefanprodan/podinfo) and
/// Flagger's podinfo chart, with values layered from a file in Git, a
/// ConfigMap (from Git and from the cluster) and inline values.
@Suite("HelmRelease expansion")
struct HelmReleaseTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// A fixture folder's files under `prefix` in an in-memory tree.
    static func tree(_ folders: [String: String], extra: [String: String]) throws -> InMemoryFiles {
        var files = extra
        for (folder, prefix) in folders {
            let root = fixtures + "/" + folder
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let relative = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                files[prefix + "/" + relative] = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
            }
        }
        return InMemoryFiles(files)
    }

    /// The documents of the rendered source, parsed.
    static func documents(_ source: RenderedSource) throws -> [(file: String, value: ValueMap)] {
        var out: [(String, ValueMap)] = []
        for text in source.texts {
            for part in text.yaml.components(separatedBy: "\n---") {
                if case .map(let map) = try GoYAML.decode(part) { out.append((text.file, map)) }
            }
        }
        return out
    }

    static func field(_ map: ValueMap, _ path: String) -> Value? {
        var current: Value = .map(map)
        for part in path.split(separator: ".") {
            if let index = Int(part), case .list(let list) = current {
                guard index < list.items.count else { return nil }
                current = list.items[index]
            } else if case .map(let next) = current, let value = next[String(part)] {
                current = value
            } else {
                return nil
            }
        }
        return current
    }

    static let podinfoRelease = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: podinfo-values
      namespace: apps
    data:
      values.yaml: |
        ui:
          message: from the ConfigMap in Git
          color: "#000000"
    ---
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: podinfo
      namespace: apps
    spec:
      interval: 5m
      chart:
        spec:
          chart: ./charts/podinfo
          sourceRef:
            kind: GitRepository
            name: fleet
          valuesFiles:
            - charts/podinfo/values.yaml
            - apps/podinfo/values-prod.yaml
      valuesFrom:
        - kind: ConfigMap
          name: podinfo-values
        - kind: Secret
          name: podinfo-cluster
          valuesKey: logo
          targetPath: ui.logo
        - kind: ConfigMap
          name: absent
          optional: true
      values:
        ui:
          color: "#34577c"
      upgrade:
        remediation:
          retries: 3
    """

    @Test func podinfoWithLayeredValues() async throws {
        let files = try Self.tree(["podinfo": "charts/podinfo"], extra: [
            "apps/podinfo/release.yaml": Self.podinfoRelease,
            "apps/podinfo/values-prod.yaml": "replicaCount: 3\nui:\n  message: from the values file\n",
        ])
        let plain = try PlainRenderer().renderNow(RenderRequest(source: "fleet", files: files, path: "apps"))
        let expander = HelmReleaseExpander(source: "fleet", files: files, valuesFrom: { reference in
            reference == ValuesReference(kind: "Secret", name: "podinfo-cluster", namespace: "apps", key: "logo") ? "https://example.com/logo.png" : nil
        })
        let expanded = try await expander.expand(plain)
        let documents = try Self.documents(expanded)
        let deployment = try #require(documents.first { $0.value["kind"]?.stringValue == "Deployment" })
        #expect(deployment.file == "charts/podinfo/templates/deployment.yaml")
        #expect(Self.field(deployment.value, "metadata.name")?.stringValue == "podinfo")
        #expect(Self.field(deployment.value, "metadata.namespace")?.stringValue == "apps")
        // values file (3) over values.yaml (1).
        if case .float(let replicas, _)? = Self.field(deployment.value, "spec.replicas") { #expect(replicas == 3) } else { Issue.record("no replicas") }
        var items: [Value] = []
        if case .list(let list)? = Self.field(deployment.value, "spec.template.spec.containers.0.env") { items = list.items }
        var variables: [String: String] = [:]
        for item in items {
            guard case .map(let map) = item, let name = map["name"]?.stringValue, let value = map["value"]?.stringValue else { continue }
            variables[name] = value
        }
        // ConfigMap from Git over the values file; inline values over the ConfigMap; the cluster's Secret at targetPath.
        #expect(variables["PODINFO_UI_MESSAGE"] == "from the ConfigMap in Git")
        #expect(variables["PODINFO_UI_COLOR"] == "#34577c")
        #expect(variables["PODINFO_UI_LOGO"] == "https://example.com/logo.png")
        // The ConfigMap stays; the HelmRelease is gone; fields Serin does not use are warned.
        #expect(documents.contains { $0.value["kind"]?.stringValue == "ConfigMap" && Self.field($0.value, "metadata.name")?.stringValue == "podinfo-values" })
        #expect(!documents.contains { $0.value["kind"]?.stringValue == "HelmRelease" })
        #expect(expanded.diagnostics.contains { $0.message.contains("spec.upgrade is not used") })
        #expect(expanded.diagnostics.contains { $0.message.contains("spec.interval is not used") })
        let service = try #require(documents.first { $0.value["kind"]?.stringValue == "Service" })
        #expect(service.file == "charts/podinfo/templates/service.yaml")
        // Fields trace back to the template lines that write them.
        let text = try #require(expanded.texts.first { $0.file == "charts/podinfo/templates/deployment.yaml" })
        #expect(text.origin?.position("spec.replicas").line == 10)
        #expect(text.origin?.position("spec.replicas").file == "charts/podinfo/templates/deployment.yaml")
    }

    @Test func flaggerChartWithCanaryEnabled() async throws {
        let release = """
        apiVersion: helm.toolkit.fluxcd.io/v2beta2
        kind: HelmRelease
        metadata:
          name: frontend
          namespace: test
        spec:
          chart:
            spec:
              chart: charts/podinfo
              sourceRef: {kind: GitRepository, name: fleet}
          values:
            canary:
              enabled: true
        """
        let files = try Self.tree(["flagger-podinfo": "charts/podinfo"], extra: ["apps/release.yaml": release])
        let plain = try PlainRenderer().renderNow(RenderRequest(source: "fleet", files: files, path: "apps"))
        let expanded = try await HelmReleaseExpander(source: "fleet", files: files).expand(plain)
        let documents = try Self.documents(expanded)
        let canary = try #require(documents.first { $0.value["kind"]?.stringValue == "Canary" })
        #expect(canary.value["apiVersion"]?.stringValue == "flagger.app/v1beta1")
        #expect(Self.field(canary.value, "spec.targetRef.name")?.stringValue == "frontend-podinfo")
        #expect(Self.field(canary.value, "metadata.namespace")?.stringValue == "test")
        #expect(documents.contains { $0.value["kind"]?.stringValue == "Deployment" })
        // Test hooks are not applied.
        #expect(!documents.contains { $0.file.contains("/templates/tests/") })
        // The rendered stream passes Serin's validate stage (the Canary is Flagger's, accepted as it is).
        let manifests = ManifestLoader().load(expanded)
        let diagnostics = Validator(platform: .kubernetes).validate(manifests)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors.map(\.description))")
        #expect(manifests.canaries.count == 1)
        // Without canary.enabled there is no Canary.
        let off = try Self.tree(["flagger-podinfo": "charts/podinfo"], extra: ["apps/release.yaml": release.replacingOccurrences(of: "enabled: true", with: "enabled: false")])
        let plainOff = try PlainRenderer().renderNow(RenderRequest(source: "fleet", files: off, path: "apps"))
        let none = try Self.documents(try await HelmReleaseExpander(source: "fleet", files: off).expand(plainOff))
        #expect(!none.contains { $0.value["kind"]?.stringValue == "Canary" })
    }

    @Test func helmRepositorySourcesAreRefused() async throws {
        let release = """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: podinfo, namespace: apps}
        spec:
          chart:
            spec:
              chart: podinfo
              sourceRef: {kind: HelmRepository, name: podinfo}
        """
        let files = InMemoryFiles(["apps/release.yaml": release])
        let plain = try PlainRenderer().renderNow(RenderRequest(source: "fleet", files: files, path: "apps"))
        await #expect {
            try await HelmReleaseExpander(source: "fleet", files: files).expand(plain)
        } throws: { error in
            guard let failure = error as? RenderFailure else { return false }
            return failure.reason == "ChartSourceUnsupported" && failure.message.contains("HelmRepository")
                && failure.position?.file == "apps/release.yaml"
        }
    }

    @Test func templateErrorsNameTheTemplateLineAndColumn() async throws {
        let files = InMemoryFiles([
            "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
            "charts/app/values.yaml": "image: {}\n",
            "charts/app/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.image.name.first }}\n",
            "apps/release.yaml": """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: app, namespace: apps}
            spec:
              chart:
                spec:
                  chart: charts/app
                  sourceRef: {kind: GitRepository, name: fleet}
            """,
        ])
        let plain = try PlainRenderer().renderNow(RenderRequest(source: "fleet", files: files, path: "apps"))
        await #expect {
            try await HelmReleaseExpander(source: "fleet", files: files).expand(plain)
        } throws: { error in
            guard let failure = error as? RenderFailure else { return false }
            print(failure)
            return failure.reason == "TemplateFailed" && failure.position?.file == "charts/app/templates/deployment.yaml"
                && failure.position?.line == 4 && failure.message.contains("nil pointer evaluating interface {}.first")
        }
    }
}
