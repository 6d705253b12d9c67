import Testing
@testable import SerinSpec

/// Manifests from Flagger's repository and documentation (see
/// Fixtures/flagger-valid/SOURCES.md) are accepted unchanged, but for the
/// mesh providers Serin does not drive (istio, gloo, appmesh, ...), which
/// are refused by name and for nothing else.
@Suite struct FlaggerFixtureTests {
    @Test(arguments: Fixtures.files("flagger-valid"))
    func acceptsFlaggerExample(_ path: String) {
        let manifests = ManifestLoader().load(paths: [path])
        let diagnostics = Validator(platform: .kubernetes).validate(manifests)
        // Refused: the mesh routers Serin does not drive, the metric
        // providers it cannot query, each once and for that reason only;
        // and a template without the address its provider needs (Flagger's
        // InfluxDB example, which Flagger's provider refuses when it runs).
        let refusedRouters = manifests.canaries.compactMap(\.spec.provider).filter { !Validator.kubernetesProviders.contains($0) && $0 != "knative" }
        let refusedMetrics = manifests.metricTemplates.compactMap(\.spec.provider?.type).filter { FlaggerFields.refusedProviders[$0] != nil }
        let noAddress = manifests.metricTemplates.filter { ["graphite", "influxdb"].contains($0.spec.provider?.type) && $0.spec.provider?.address == nil }
        let others = diagnostics.errors.filter {
            !$0.message.contains("is not supported by Serin on Kubernetes") && !$0.message.contains("which Serin cannot query")
                && !$0.message.hasSuffix("address is required for provider influxdb") && !$0.message.hasSuffix("address is required for provider graphite")
        }
        #expect(others.isEmpty, "\(Fixtures.name(path)):\n\(others.map(\.description).joined(separator: "\n"))")
        #expect(diagnostics.errors.count == refusedRouters.count + refusedMetrics.count + noAddress.count, "\(diagnostics.errors)")
        #expect(manifests.resourceCount > 0)
        #expect(manifests.plain.isEmpty, "only Flagger kinds are kept in these fixtures")
        let flagger = manifests.canaries.allSatisfy(\.isFlagger)
            && manifests.metricTemplates.allSatisfy { $0.apiVersion == APIGroup.flaggerVersion }
            && manifests.alertProviders.allSatisfy { $0.apiVersion == APIGroup.flaggerVersion }
        #expect(flagger)
    }

    @Test func theCorpusIsLargeAndCoversEveryKind() {
        let manifests = ManifestLoader().load(paths: [Fixtures.root + "/flagger-valid"])
        #expect(Fixtures.files("flagger-valid").count >= 35)
        #expect(manifests.canaries.count >= 30)
        #expect(manifests.metricTemplates.count >= 10)
        #expect(!manifests.alertProviders.isEmpty)
        let types = Set(manifests.canaries.flatMap { ($0.spec.writtenAnalysis?.analysis.webhooks ?? []).compactMap(\.type) })
        #expect(types.isSuperset(of: WebhookType.allCases.map(\.rawValue)), "every webhook type appears: \(types)")
    }

    /// Fragments from the docs lack required fields; they are refused for
    /// exactly that and nothing else.
    @Test(arguments: Fixtures.files("flagger-partial"))
    func refusesDocFragmentsOnlyForMissingFields(_ path: String) {
        let diagnostics = Validator(platform: .kubernetes).validate(ManifestLoader().load(paths: [path]))
        #expect(!diagnostics.errors.isEmpty)
        for error in diagnostics.errors {
            #expect(error.message.contains("is required"), "\(error)")
        }
    }

    /// On the local platform Kubernetes-only fields are kept and named in a warning.
    @Test func warnsAboutKubernetesOnlyFieldsOnTheLocalPlatform() throws {
        let path = try #require(Fixtures.files("flagger-valid").first { $0.contains("05-nginx-canary-ingressref") })
        let diagnostics = Validator(platform: .local).validate(ManifestLoader().load(paths: [path]))
        #expect(diagnostics.errors.isEmpty)
        #expect(diagnostics.warnings.contains { $0.message.hasPrefix("ingressRef is used on the kubernetes platform only") })
        #expect(diagnostics.warnings.contains { $0.message.contains("the local platform releases Workloads only") })
    }
}
