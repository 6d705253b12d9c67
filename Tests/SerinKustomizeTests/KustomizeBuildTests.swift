import Foundation
@testable import SerinKustomize
import SerinSpec
import Testing

/// Real layouts built through the renderer and by the kustomize binary
/// itself: the objects Serin will apply are what kustomize prints, and
/// every object is traced back to the file it was written in.
@Suite struct KustomizeBuildTests {
    @Test(arguments: ["dev", "staging", "production"])
    func podinfoOverlaysAreWhatKustomizePrints(_ environment: String) async throws {
        let tree = try Fixture.snapshot("podinfo")
        let path = "podinfo/deploy/overlays/\(environment)"
        let rendered = try await KustomizeRenderer(builder: Fixture.builder()).render(tree.request(path))
        let printed = try Fixture.kustomizeBuild(tree.path + "/" + path)
        #expect(rendered.renderer == "kustomize")
        #expect(Fixture.stream(rendered) == printed)
        #expect(!Fixture.stream(rendered).contains(BuildOutput.originAnnotation))
        // Each object names the file it was written in.
        let files = Set(rendered.texts.map(\.file))
        #expect(files.contains("podinfo/deploy/bases/frontend/deployment.yaml"))
        #expect(files.contains("podinfo/deploy/overlays/\(environment)/namespace.yaml"))
        let manifests = ManifestLoader().load(rendered)
        #expect(manifests.plain.count == rendered.texts.count)
        #expect(manifests.diagnostics.errors.isEmpty, "\(manifests.diagnostics)")
    }

    @Test func podinfosOwnKustomizeFolderIsWhatKustomizePrints() async throws {
        let tree = try Fixture.snapshot("podinfo")
        let rendered = try await KustomizeRenderer(builder: Fixture.builder()).render(tree.request("podinfo/kustomize"))
        #expect(Fixture.stream(rendered) == (try Fixture.kustomizeBuild(tree.path + "/podinfo/kustomize")))
    }

    @Test func flaggersBaseUnderAnOverlayIsWhatKustomizePrints() async throws {
        let tree = try Fixture.snapshot("flagger")
        let rendered = try await KustomizeRenderer(builder: Fixture.builder()).render(tree.request("flagger/overlays/production"))
        let printed = try Fixture.kustomizeBuild(tree.path + "/flagger/overlays/production")
        #expect(Fixture.stream(rendered) == printed)
        let kinds = rendered.texts.map { $0.yaml.split(separator: "\n").first { $0.hasPrefix("kind: ") } ?? "" }
        #expect(kinds == ["kind: ConfigMap", "kind: Service", "kind: Deployment", "kind: Canary"]) // the HPA is deleted
        let stream = Fixture.stream(rendered)
        #expect(stream.contains("image: ghcr.io/stefanprodan/podinfo:6.1.0"))
        #expect(stream.contains("namespace: podinfo-prod"))
        #expect(stream.contains("value: '#ff8800'"))
        let configMap = try #require(rendered.texts.first { $0.yaml.contains("kind: ConfigMap") })
        let hashed = try #require(configMap.yaml.split(separator: "\n").first { $0.contains("name: podinfo-settings-") })
        #expect(stream.contains("          " + hashed.trimmingCharacters(in: .whitespaces)))
    }

    @Test func builtObjectsAreTracedToTheirDocuments() async throws {
        let tree = try Fixture.snapshot("flagger")
        let rendered = try await KustomizeRenderer(builder: Fixture.builder()).render(tree.request("flagger/overlays/production"))
        let byKind = Dictionary(grouping: rendered.texts) { $0.yaml.split(separator: "\n").first { $0.hasPrefix("kind: ") }.map(String.init) ?? "" }
        let deployment = try #require(byKind["kind: Deployment"]?.first)
        #expect(deployment.file == "flagger/kustomize/podinfo/deployment.yaml")
        #expect(deployment.origin?.document == SourcePosition(file: deployment.file, line: 1, column: 1))
        // A field written in the base is found where it was written there.
        #expect(deployment.origin?.position("spec.template.spec.containers[0].image").line == 28)
        let canary = try #require(byKind["kind: Canary"]?.first)
        #expect(canary.file == "flagger/components/canary/canary.yaml")
        // A generated object points at its generator's entry in the kustomization.
        let configMap = try #require(byKind["kind: ConfigMap"]?.first)
        #expect(configMap.file == "flagger/overlays/production/kustomization.yaml")
        #expect(configMap.origin?.document == SourcePosition(file: configMap.file, line: 35, column: 11))

        // The validate stage's findings name the original file, line and column.
        let manifests = ManifestLoader().load(rendered)
        let (diagnostics, plans) = Validator(platform: .kubernetes).validateAndPlan(manifests)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics)")
        #expect(plans.map(\.name) == ["podinfo"])
        #expect(manifests.canaries.first?.position("spec.analysis.stepWeight") == SourcePosition(file: canary.file, line: 19, column: 17))
    }

    @Test func serinsOwnKindsGoThroughKustomizeAndKeepTheirPositions() async throws {
        let tree = try TemporaryTree()
        try tree.write("base/kustomization.yaml", "resources:\n  - workload.yaml\n")
        try tree.write("base/workload.yaml", """
            apiVersion: serin.dev/v1alpha1
            kind: Workload
            metadata:
              name: web
            spec:
              replicas: 2
              service:
                port: 8080
              template:
                command: ["python3", "app.py"]
                probes: wrong
            """)
        try tree.write("staging/kustomization.yaml", """
            resources:
              - ../base
            namespace: staging
            patches:
              - path: replicas.yaml
            """)
        try tree.write("staging/replicas.yaml", "apiVersion: serin.dev/v1alpha1\nkind: Workload\nmetadata:\n  name: web\nspec:\n  replicas: 3\n")
        let rendered = try await KustomizeRenderer(builder: Fixture.builder()).render(tree.request("staging"))
        #expect(rendered.texts.count == 1)
        #expect(rendered.texts[0].yaml.contains("replicas: 3"))
        #expect(rendered.texts[0].yaml.contains("namespace: staging"))
        let manifests = ManifestLoader().load(rendered)
        // The Workload is refused for the field the base wrote, at the base's line.
        let finding = try #require(manifests.diagnostics.errors.first)
        #expect(finding.position.file == "base/workload.yaml")
        #expect(finding.position.line == 11, "\(finding)")
    }

    @Test func aFlatFolderStaysPlain() async throws {
        let tree = try TemporaryTree()
        try tree.write("deploy/web.yaml", "apiVersion: serin.dev/v1alpha1\nkind: Strategy\nmetadata:\n  name: s\nspec: {}\n---\nnot: [closed\n")
        let builder = Fixture.builder()
        let rendered = try await KustomizeRenderer(builder: builder).render(tree.request("deploy"))
        #expect(rendered.renderer == "plain")
        #expect(rendered.texts.map(\.yaml) == ["apiVersion: serin.dev/v1alpha1\nkind: Strategy\nmetadata:\n  name: s\nspec: {}\n---\nnot: [closed\n"])
        let manifests = ManifestLoader().load(rendered)
        #expect(manifests.diagnostics.errors.first?.position.file == "deploy/web.yaml")
        #expect(manifests.diagnostics.errors.first?.position.line == 8) // where the unclosed list meets the end
        #expect(await builder.statistics.builds == 0)
    }

    @Test func aFolderWithANestedKustomizationIsGeneratedAsFluxDoes() async throws {
        let tree = try Fixture.snapshot("podinfo/kustomize")
        try FileManager.default.createDirectory(atPath: tree.path + "/cluster", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: tree.path + "/podinfo/kustomize", toPath: tree.path + "/cluster/podinfo")
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n"
        let settings = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: info\n"
        try tree.write("cluster/namespace.yaml", namespace)
        try tree.write("cluster/extra/settings.yml", settings)
        try tree.write("cluster/notes.txt", "not a manifest\n")
        #expect(try KustomizeRenderer.layout(of: tree.files, path: "cluster") == .generated)
        let rendered = try await KustomizeRenderer(builder: Fixture.builder()).render(tree.request("cluster"))
        let podinfo = try Fixture.kustomizeBuild(tree.path + "/cluster/podinfo")
        #expect(try Set(Fixture.objects(Fixture.stream(rendered))) == Set(Fixture.objects(podinfo + "---\n" + namespace + "---\n" + settings)))
        #expect(rendered.texts.contains { $0.file == "cluster/namespace.yaml" })
        #expect(rendered.texts.contains { $0.file == "cluster/extra/settings.yml" })
        #expect(rendered.texts.contains { $0.file == "cluster/podinfo/deployment.yaml" })
    }
}
