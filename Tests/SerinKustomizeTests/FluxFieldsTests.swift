import Foundation
@testable import SerinKustomize
import SerinSpec
import Testing

/// A source's Flux fields from serin.yaml, applied as kustomize-controller
/// applies them, and post-build substitution with Flux's rules.
@Suite struct FluxFieldsTests {
    func overlay() throws -> TemporaryTree {
        let tree = try Fixture.snapshot("flagger")
        return tree
    }

    @Test func fieldsAreWrittenIntoTheKustomizationAsFluxWritesThem() async throws {
        let tree = try overlay()
        try tree.write("extra/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs:\n      team: web\n")
        let options = KustomizeOptions(
            targetNamespace: "web-prod", namePrefix: "eu-", nameSuffix: "-1",
            commonMetadata: .init(labels: ["owner": "serin"], annotations: ["note": "from serin.yaml"]),
            images: [.init(name: "ghcr.io/stefanprodan/podinfo", newTag: "6.2.0")],
            patches: [.init(patch: "- op: replace\n  path: /spec/minReadySeconds\n  value: 30\n",
                            target: .init(kind: "Deployment", name: "podinfo"))],
            components: ["../../../extra"])
        let rendered = try await KustomizeRenderer(builder: Fixture.builder(), options: options).render(tree.request("flagger/overlays/production"))
        let stream = Fixture.stream(rendered)
        #expect(stream.contains("namespace: web-prod"))
        #expect(!stream.contains("namespace: podinfo-prod"), "targetNamespace replaces the overlay's own namespace")
        #expect(stream.contains("name: eu-podinfo-1"))
        #expect(stream.contains("image: ghcr.io/stefanprodan/podinfo:6.2.0"), "the image entry of the same name is merged")
        #expect(stream.contains("minReadySeconds: 30"))
        #expect(stream.contains("team: web"))
        let deployment = try #require(rendered.texts.first { $0.yaml.contains("kind: Deployment") })
        #expect(deployment.yaml.contains("owner: serin"))
        #expect(deployment.yaml.contains("note: \"from serin.yaml\""))
        // commonMetadata is the object's own metadata only, not the pod template's.
        #expect(deployment.yaml.components(separatedBy: "owner: serin").count == 2)
        #expect(deployment.file == "flagger/kustomize/podinfo/deployment.yaml")
    }

    @Test func aFlatFolderWithFieldsIsBuilt() async throws {
        let tree = try TemporaryTree()
        try tree.write("deploy/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
        let options = KustomizeOptions(targetNamespace: "apps")
        #expect(try KustomizeRenderer.layout(of: tree.files, path: "deploy", options: options) == .generated)
        let rendered = try await KustomizeRenderer(builder: Fixture.builder(), options: options).render(tree.request("deploy"))
        #expect(rendered.renderer == "kustomize")
        #expect(rendered.texts.map(\.yaml) == ["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: apps\n"])
        #expect(rendered.texts[0].file == "deploy/cm.yaml")
    }

    func substitutionTree() throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try tree.write("app/kustomization.yaml", "resources:\n  - deployment.yaml\n  - literal.yaml\n")
        try tree.write("app/deployment.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels:
                cluster: ${cluster_name}
                region: ${region:=eu-west-1}
            spec:
              replicas: ${replicas:=2}
              template:
                spec:
                  containers:
                    - name: web
                      image: web:${tag}
                      env:
                        - name: TOKEN
                          value: ${token}
                        - name: SHELL_VAR
                          value: $${HOME}
            """)
        try tree.write("app/literal.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: script
              annotations:
                kustomize.toolkit.fluxcd.io/substitute: disabled
            data:
              run.sh: echo ${HOME}
            """)
        return tree
    }

    @Test func substitutionFollowsFluxsRules() async throws {
        let tree = try substitutionTree()
        let options = KustomizeOptions(postBuild: .init(
            substitute: ["cluster_name": "prod-1", "tag": "1.2.3"],
            substituteFrom: [.init(kind: .configMap, name: "cluster-vars"), .init(kind: .secret, name: "tokens"),
                             .init(kind: .configMap, name: "absent", optional: true)]))
        let asked = LookupLog()
        let lookup: SubstitutionLookup = { reference in
            await asked.add(reference.description)
            switch (reference.kind, reference.name) {
            case (.configMap, "cluster-vars"): return ["cluster_name": "from-configmap", "replicas": "3"]
            case (.secret, "tokens"): return ["token": "s3cr3t\n"]
            default: return nil
            }
        }
        let rendered = try await KustomizeRenderer(builder: Fixture.builder(), options: options, lookup: lookup).render(tree.request("app"))
        let deployment = try #require(rendered.texts.first { $0.yaml.contains("kind: Deployment") }).yaml
        #expect(deployment.contains("cluster: prod-1"), "inline substitute wins over substituteFrom")
        #expect(deployment.contains("region: eu-west-1"))
        #expect(deployment.contains("replicas: 3"))
        #expect(deployment.contains("image: web:1.2.3"))
        #expect(deployment.contains("value: s3cr3t\n"), "a Secret's value, newlines removed")
        #expect(deployment.contains("value: ${HOME}"), "$${var} is kept as ${var}")
        let script = try #require(rendered.texts.first { $0.yaml.contains("kind: ConfigMap") }).yaml
        #expect(script.contains("run.sh: echo ${HOME}"), "the opt-out annotation leaves the object as built")
        #expect(await asked.names == ["ConfigMap/cluster-vars", "Secret/tokens", "ConfigMap/absent"])
    }

    @Test func strictModeRefusesAnUnsetVariable() async throws {
        let tree = try substitutionTree()
        let options = KustomizeOptions(postBuild: .init(substitute: ["cluster_name": "prod-1", "tag": "1"], strict: true))
        do {
            _ = try await KustomizeRenderer(builder: Fixture.builder(), options: options).render(tree.request("app"))
            Issue.record("a strict build with ${token} unset passed")
        } catch let failure as RenderFailure {
            #expect(failure.reason == "BuildFailed")
            #expect(failure.message == "post build failed for 'Deployment/web': envsubst error: variable substitution failed: variable not set (strict mode): \"token\"")
            #expect(failure.position == SourcePosition(file: "app/deployment.yaml", line: 1, column: 1))
        }
    }

    @Test func aMissingSubstituteFromFailsUnlessOptional() async throws {
        let tree = try substitutionTree()
        let options = KustomizeOptions(postBuild: .init(substituteFrom: [.init(kind: .secret, name: "gone")]))
        let lookup: SubstitutionLookup = { _ in nil }
        do {
            _ = try await KustomizeRenderer(builder: Fixture.builder(), options: options, lookup: lookup).render(tree.request("app"))
            Issue.record("a missing Secret passed")
        } catch let failure as RenderFailure {
            #expect(failure.message.hasPrefix("substitute from 'Secret/gone' error: not found"), "\(failure)")
        }
    }

    @Test func withoutVariablesNothingIsSubstitutedUnlessAlways() async throws {
        let tree = try TemporaryTree()
        try tree.write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  region: ${region:=eu-west-1}\n")
        try tree.write("app/kustomization.yaml", "resources:\n  - cm.yaml\n")
        let plain = try await KustomizeRenderer(builder: Fixture.builder(), options: KustomizeOptions(postBuild: .init()))
            .render(tree.request("app"))
        #expect(plain.texts.map(\.yaml) == ["apiVersion: v1\ndata:\n  region: ${region:=eu-west-1}\nkind: ConfigMap\nmetadata:\n  name: cm\n"])
        let always = try await KustomizeRenderer(builder: Fixture.builder(), options: KustomizeOptions(postBuild: .init(always: true)))
            .render(tree.request("app"))
        #expect(always.texts.map(\.yaml) == ["apiVersion: v1\ndata:\n  region: eu-west-1\nkind: ConfigMap\nmetadata:\n  name: cm\n"])
    }
}

actor LookupLog {
    var names: [String] = []
    func add(_ name: String) { names.append(name) }
}
