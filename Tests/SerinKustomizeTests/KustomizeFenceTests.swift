import Foundation
@testable import SerinKustomize
import SerinSpec
import Testing

/// What a kustomization may not do: read outside the repository (through
/// `../` or a link), fetch anything, run plugins or Helm, run forever or
/// print without end. Each is refused with the file (and line) that asked,
/// most of them before kustomize runs at all.
@Suite struct KustomizeFenceTests {
    /// A repository inside a folder that also holds a secret beside it.
    func repository() throws -> (outer: TemporaryTree, root: String, files: SnapshotFiles) {
        let outer = try TemporaryTree()
        try outer.write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n")
        try outer.write("repo/base/kustomization.yaml", "resources:\n  - cm.yaml\n")
        try outer.write("repo/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
        return (outer, outer.path + "/repo", SnapshotFiles(root: outer.path + "/repo"))
    }

    func render(_ files: SnapshotFiles, _ path: String, builder: KustomizeBuilder? = nil) async throws -> RenderedSource {
        try await KustomizeRenderer(builder: builder ?? Fixture.builder()).render(RenderRequest(source: "test", files: files, path: path))
    }

    func failure(_ files: SnapshotFiles, _ path: String, builder: KustomizeBuilder? = nil) async -> RenderFailure? {
        do {
            _ = try await render(files, path, builder: builder)
            return nil
        } catch let failure as RenderFailure {
            return failure
        } catch {
            Issue.record("not a RenderFailure: \(error)")
            return nil
        }
    }

    @Test func anOverlayMayReachItsBaseInsideTheRepository() async throws {
        let (outer, root, files) = try repository()
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - ../base\nnamePrefix: app-\n")
        let rendered = try await render(files, "app")
        #expect(rendered.texts.map(\.file) == ["base/cm.yaml"])
        #expect(rendered.texts[0].yaml.contains("name: app-cm"))
        _ = root
    }

    @Test func dotDotLeavingTheRepositoryIsRefusedBeforeKustomizeRuns() async throws {
        let (outer, _, files) = try repository()
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - ../base\n  - ../../secret.yaml\n")
        let builder = Fixture.builder()
        let refused = try #require(await failure(files, "app", builder: builder))
        #expect(refused.reason == "BuildFailed")
        #expect(refused.position == SourcePosition(file: "app/kustomization.yaml", line: 3, column: 5))
        #expect(refused.message.contains("leads outside the repository"))
        #expect(await builder.statistics.builds == 0)
    }

    @Test func aLinkLeavingTheRepositoryIsRefused() async throws {
        let (outer, _, files) = try repository()
        try outer.link("repo/app/secret.yaml", to: "../../secret.yaml")
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - secret.yaml\n")
        let refused = try #require(await failure(files, "app"))
        #expect(refused.position == SourcePosition(file: "app/kustomization.yaml", line: 2, column: 5))
        #expect(refused.message.contains("leads outside the checkout"), "\(refused)")
        // The same link found by Flux's generated kustomization is refused too.
        try FileManager.default.removeItem(atPath: outer.path + "/repo/app/kustomization.yaml")
        try outer.write("repo/app/nested/kustomization.yaml", "resources:\n  - ../../base\n")
        let generated = try #require(await failure(files, "app"))
        #expect(generated.message.contains("outside the checkout"), "\(generated)")
    }

    @Test func aLinkedFolderLeavingTheRepositoryIsRefused() async throws {
        let (outer, _, files) = try repository()
        try outer.write("elsewhere/kustomization.yaml", "resources:\n  - ../secret.yaml\n")
        try outer.link("repo/app/base", to: "../../elsewhere")
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - base\n")
        let refused = try #require(await failure(files, "app"))
        #expect(refused.message.contains("outside the checkout"), "\(refused)")
    }

    @Test func aLinkInsideTheRepositoryIsFollowed() async throws {
        let (outer, _, files) = try repository()
        try outer.link("repo/app/shared", to: "../base")
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - shared\n")
        let rendered = try await render(files, "app")
        #expect(rendered.texts.count == 1)
        #expect(rendered.texts[0].file == "app/shared/cm.yaml")
    }

    @Test(arguments: [
        "resources:\n  - github.com/stefanprodan/podinfo//kustomize?ref=6.0.0\n",
        "resources:\n  - https://raw.githubusercontent.com/stefanprodan/podinfo/master/kustomize/deployment.yaml\n",
        "resources:\n  - git::https://github.com/fluxcd/flagger.git//kustomize/podinfo\n",
        "components:\n  - https://example.com/component\n",
    ])
    func remoteBasesAreRefusedBeforeKustomizeRuns(_ kustomization: String) async throws {
        let (outer, _, files) = try repository()
        try outer.write("repo/app/kustomization.yaml", kustomization)
        let builder = Fixture.builder()
        let refused = try #require(await failure(files, "app", builder: builder))
        #expect(refused.position?.file == "app/kustomization.yaml")
        #expect(refused.position?.line == 2)
        #expect(refused.message.contains("no network"), "\(refused)")
        #expect(await builder.statistics.builds == 0)
    }

    @Test func helmChartsAndFunctionsAreRefused() async throws {
        let (outer, _, files) = try repository()
        try outer.write("repo/helm/kustomization.yaml", "helmCharts:\n  - name: podinfo\n    repo: https://stefanprodan.github.io/podinfo\n")
        let helm = try #require(await failure(files, "helm"))
        #expect(helm.message.contains("Helm"), "\(helm)")
        #expect(helm.position == SourcePosition(file: "helm/kustomization.yaml", line: 1, column: 1))
        try outer.write("repo/exec/kustomization.yaml", "resources:\n  - ../base\ntransformers:\n  - fn.yaml\n")
        try outer.write("repo/exec/fn.yaml", """
            apiVersion: example.com/v1
            kind: Run
            metadata:
              name: run
              annotations:
                config.kubernetes.io/function: |
                  exec:
                    path: /bin/sh
            """)
        let exec = try #require(await failure(files, "exec"))
        #expect(exec.message.contains("Serin runs no kustomize plugins"), "\(exec)")
        #expect(exec.position?.line == 4)
    }

    @Test func aMissingFileNamesTheKustomization() async throws {
        let (outer, _, files) = try repository()
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - ../base\npatches:\n  - path: missing.yaml\n")
        let refused = try #require(await failure(files, "app"))
        #expect(refused.reason == "BuildFailed")
        #expect(refused.position == SourcePosition(file: "app/kustomization.yaml", line: 4, column: 11))
        #expect(refused.message.contains("no such file"), "\(refused)")
    }

    @Test func aPatchWithoutItsTargetIsKustomizesMessageAndTheFile() async throws {
        let (outer, _, files) = try repository()
        try outer.write("repo/app/kustomization.yaml", "resources:\n  - ../base\npatches:\n  - path: patch.yaml\n")
        try outer.write("repo/app/patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nowhere\nspec:\n  replicas: 2\n")
        let builder = Fixture.builder()
        let refused = try #require(await failure(files, "app", builder: builder))
        #expect(refused.reason == "BuildFailed")
        #expect(refused.position == SourcePosition(file: "app/kustomization.yaml"))
        #expect(refused.message.hasPrefix("kustomize build failed: "))
        #expect(refused.message.contains("nowhere"), "\(refused)")
        #expect(!refused.message.contains("serin-kustomize-"), "the private copy's path leaked: \(refused)")
        #expect(await builder.statistics.builds == 1)
        // Unchanged, it is not built again.
        _ = await self.failure(files, "app", builder: builder)
        #expect(await builder.statistics.builds == 1)
    }

    @Test func aBuildPastItsTimeLimitIsStopped() async throws {
        let (outer, _, files) = try repository()
        defer { withExtendedLifetime(outer) {} }
        let builder = Fixture.builder(.init(timeout: .milliseconds(1)))
        let refused = try #require(await failure(files, "base", builder: builder))
        #expect(refused.message.contains("took longer than"), "\(refused)")
    }

    @Test func aBuildPastItsOutputLimitIsStopped() async throws {
        let (outer, _, files) = try repository()
        defer { withExtendedLifetime(outer) {} }
        let builder = Fixture.builder(.init(outputLimit: 16))
        let refused = try #require(await failure(files, "base", builder: builder))
        #expect(refused.message.contains("printed more than"), "\(refused)")
    }

    @Test func theSandboxSeesOnlyTheBuildsCopy() throws {
        // Bypassing the walk: what kustomize itself can reach inside the sandbox.
        guard Fixture.sandbox == .bubblewrap else { return }
        let copy = try TemporaryTree()
        try copy.write("kustomization.yaml", "configMapGenerator:\n  - name: host\n    files:\n      - /etc/hostname\n")
        let (program, arguments) = try #require(KustomizeSandbox.bubblewrap.commandLine(
            binary: Fixture.binary, copy: copy.path, kustomize: ["build", copy.path, "--load-restrictor", "LoadRestrictionsNone"], outputLimit: nil))
        let run = try KustomizeProcess.runSimple(program, arguments, timeout: .seconds(30))
        #expect(run.status != 0)
        #expect(run.stderr.contains("/etc/hostname"), "\(run.stderr)")
        let direct = try KustomizeProcess.runSimple(Fixture.binary.path, ["build", copy.path, "--load-restrictor", "LoadRestrictionsNone"], timeout: .seconds(30))
        #expect(direct.status == 0, "outside the sandbox the same kustomization reads the host's file: \(direct.stderr)")
    }

    @Test func aMissingBinaryIsOneErrorOnlyForSourcesThatNeedIt() async throws {
        let (outer, _, files) = try repository()
        try outer.write("repo/plain/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n")
        let missing = KustomizeBinary.locate(environment: ["SERIN_KUSTOMIZE": "/nonexistent/kustomize"])
        let problem = try #require(missing.failure)
        #expect(problem.message.contains("make kustomize"))
        let builder = KustomizeBuilder(binary: missing, sandbox: KustomizeSandbox.none)
        let plain = try await render(files, "plain", builder: builder)
        #expect(plain.renderer == "plain")
        let refused = try #require(await failure(files, "base", builder: builder))
        #expect(refused.reason == "KustomizeUnavailable")
        #expect(refused.message.contains("make kustomize"), "\(refused)")
    }

    @Test func thePinnedVersionIsFound() throws {
        let binary = try KustomizeBinary.locate().get()
        #expect(binary.version == KustomizeBinary.pinnedVersion)
        #expect(KustomizeBinary.upstream("1:5.6.0+ds-1+b2") == "5.6.0")
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
