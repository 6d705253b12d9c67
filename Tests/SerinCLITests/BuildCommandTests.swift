import Foundation
import SerinTesting
import Testing

/// `serin build`, and `serin validate` / `serin plan` on Kustomize layouts,
/// as a user runs them: the stream printed is what kustomize prints, the
/// source's serin.yaml fields are applied, and problems name file:line:col.
@Suite struct BuildCommandTests {
    let serin = Products.executable("serin")
    let overlay = Products.repositoryRoot + "/Tests/SerinKustomizeTests/Fixtures/flagger/overlays/production"

    func kustomize() throws -> String {
        let run = try CommandRun.run("/bin/bash", [Products.repositoryRoot + "/scripts/kustomize/install.sh"])
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func buildPrintsWhatKustomizePrints() throws {
        let run = try CommandRun.run(serin, ["build", overlay])
        #expect(run.status == 0, "\(run.stderr)")
        let direct = try CommandRun.run(try kustomize(), ["build", overlay])
        #expect(run.stdout == direct.stdout)
        #expect(run.stdout.contains("kind: Canary"))
    }

    @Test func validateAndPlanBuildFirst() throws {
        let validate = try CommandRun.run(serin, ["validate", "--platform", "kubernetes", overlay])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.hasPrefix("valid: 4 resources in 4 files (Canary: 1, ConfigMap: 1, Deployment: 1, Service: 1)"), "\(validate.stdout)")
        let plan = try CommandRun.run(serin, ["plan", "--platform", "kubernetes", overlay])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("podinfo"), "\(plan.stdout)")
    }

    @Test func aBrokenKustomizationIsOneErrorAtItsLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("base/kustomization.yaml", "resources:\n  - cm.yaml\n")
        try directory.write("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
        try directory.write("app/kustomization.yaml", "resources:\n  - ../base\npatches:\n  - path: missing.yaml\n")
        let run = try CommandRun.run(serin, ["validate", "app"], in: directory.path)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("app/kustomization.yaml:4:11: patches[0].path \"missing.yaml\": no such file in the repository"), "\(run.stderr)")
        let build = try CommandRun.run(serin, ["build", "app"], in: directory.path)
        #expect(build.status == 1)
        #expect(build.stdout.isEmpty)
    }

    @Test func buildAppliesTheSourcesFields() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("deploy/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  tag: ${tag:=latest}\n")
        try directory.write("serin.yaml", """
            stateDir: /tmp/serin-unused
            prometheus: { address: http://127.0.0.1:9090 }
            sources:
              - name: web
                url: https://example.com/web.git
                path: deploy
                targetNamespace: apps
                namePrefix: eu-
                commonMetadata: { labels: { owner: serin } }
                postBuild:
                  substitute: { tag: "1.2.3" }
            """)
        let run = try CommandRun.run(serin, ["build", "deploy", "--source", "web", "--config", "serin.yaml"], in: directory.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("name: eu-cm"))
        #expect(run.stdout.contains("namespace: apps"))
        #expect(run.stdout.contains("owner: serin"))
        #expect(run.stdout.contains("tag: 1.2.3"))
        let plain = try CommandRun.run(serin, ["build", "deploy"], in: directory.path)
        #expect(plain.stdout == "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  tag: ${tag:=latest}\n")
    }

    @Test func theSourcesFieldsAreCheckedWithTheirPositions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("deploy/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
        let header = """
            stateDir: /tmp/serin-unused
            prometheus: { address: http://127.0.0.1:9090 }
            sources:
              - name: web
                url: https://example.com/web.git

            """
        try directory.write("serin.yaml", header + """
                targetNamespace: Apps_1
                components: [https://example.com/component]
                images: [{ name: web }]
                postBuild:
                  substitute: { "bad-name": x }
                  substituteFrom: [{ kind: Pod, name: vars }]
                  substituteStrategy: Sometimes
            """)
        let run = try CommandRun.run(serin, ["build", "deploy", "--source", "web", "--config", "serin.yaml"], in: directory.path)
        #expect(run.status == 2)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        for expected in [
            "serin.yaml:6:22: sources[0].targetNamespace: \"Apps_1\" is not a namespace name (lower-case letters, digits and -, at most 63)",
            "serin.yaml:7:18: sources[0].components[0]: \"https://example.com/component\" must be a local, relative folder of the repository (Serin builds with no network)",
            "serin.yaml:8:14: sources[0].images[0]: needs newName, newTag or digest",
            "serin.yaml:11:32: sources[0].postBuild.substituteFrom[0].kind: \"Pod\" is not a choice; use ConfigMap or Secret",
            "serin.yaml:12:27: sources[0].postBuild.substituteStrategy: \"Sometimes\" is not a choice; use WithVariables or Always",
        ] {
            #expect(lines.contains(expected), "\(expected) not in \(lines)")
        }
        #expect(lines.contains { $0.hasPrefix("serin.yaml:10:") && $0.contains("'bad-name' var name is invalid") }, "\(lines)")

        try directory.write("serin.yaml", header + "    postBuild: { strategy: Always }\n")
        let unknown = try CommandRun.run(serin, ["build", "deploy", "--source", "web", "--config", "serin.yaml"], in: directory.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("serin.yaml:6:18: sources[0].postBuild.strategy is not a known field"), "\(unknown.stderr)")
    }

    /// Flagger's podinfo chart with a HelmRelease beside it, in `directory`.
    func chartWithRelease(in directory: TemporaryDirectory, releaseFolder: String, namespace: String? = "apps") throws {
        let chart = Products.repositoryRoot + "/Tests/SerinHelmTests/Fixtures/flagger-podinfo"
        try FileManager.default.createDirectory(atPath: directory.path + "/charts", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: chart, toPath: directory.path + "/charts/podinfo")
        try directory.write(releaseFolder + "/release.yaml", """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo\(namespace.map { "\n  namespace: " + $0 } ?? "")
            spec:
              chart:
                spec:
                  chart: ./charts/podinfo
                  sourceRef: { kind: GitRepository, name: apps }
              values:
                image: { tag: 6.1.1 }
                canary: { enabled: true }

            """)
    }

    /// The kinds of a printed stream, in order.
    func kinds(_ stream: String) -> [String] {
        stream.components(separatedBy: "\n---\n").compactMap { document in
            document.split(separator: "\n").first { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) }
        }
    }

    @Test func buildPrintsTheChartOfAHelmRelease() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try chartWithRelease(in: directory, releaseFolder: "deploy")
        let run = try CommandRun.run(serin, ["build", "deploy"], in: directory.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(kinds(run.stdout) == ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Canary"], "\(run.stdout)")
        #expect(!run.stdout.contains("HelmRelease"))
        #expect(!run.stdout.contains("jwt"), "the chart's test hook is not applied")
        #expect(run.stdout.contains("image: \"ghcr.io/stefanprodan/podinfo:6.1.1\""), "\(run.stdout)")
        #expect(run.stdout.components(separatedBy: "namespace: apps").count - 1 == 4, "every object in the release's namespace: \(run.stdout)")
        // The same release under an overlay: kustomize first (the namespace), then the chart, as Flux does.
        let overlay = try TemporaryDirectory()
        defer { overlay.remove() }
        try chartWithRelease(in: overlay, releaseFolder: "overlay", namespace: nil)
        try overlay.write("overlay/kustomization.yaml", "namespace: prod\nresources:\n  - release.yaml\n")
        let built = try CommandRun.run(serin, ["build", "overlay"], in: overlay.path)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(kinds(built.stdout) == ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Canary"], "\(built.stdout)")
        #expect(built.stdout.components(separatedBy: "namespace: prod").count - 1 == 4, "\(built.stdout)")
    }

    /// `serin validate` and `serin plan` see what the operator applies: the
    /// chart's objects, its Canary planned, not the HelmRelease.
    @Test func validateAndPlanExpandHelmReleases() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try chartWithRelease(in: directory, releaseFolder: "deploy")
        let validate = try CommandRun.run(serin, ["validate", "--platform", "kubernetes", "deploy"], in: directory.path)
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.contains("Canary: 1") && validate.stdout.contains("Deployment: 1"), "\(validate.stdout)")
        let plan = try CommandRun.run(serin, ["plan", "--platform", "kubernetes", "deploy"], in: directory.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("Canary apps/podinfo"), "\(plan.stdout)")
        // A template error is one line, at the template's file:line:column.
        try directory.write("charts/podinfo/templates/configmap.yaml", "data:\n  owner: {{ required \"set owner\" .Values.owner }}\n")
        let broken = try CommandRun.run(serin, ["validate", "--platform", "kubernetes", "deploy"], in: directory.path)
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("charts/podinfo/templates/configmap.yaml:2:"), "\(broken.stderr)")
        #expect(broken.stderr.contains("set owner"), "\(broken.stderr)")
    }

    @Test func versionNamesTheKustomize() throws {
        let run = try CommandRun.run(serin, ["version"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("kustomize 5.6.0"), "\(run.stdout)")
    }
}
