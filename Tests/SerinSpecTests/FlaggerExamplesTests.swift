import Foundation
import Testing
@testable import SerinSpec

/// Every Canary, MetricTemplate and AlertProvider fluxcd/flagger 1.44 ships
/// (its end-to-end scripts under `test/` and `artifacts/examples/`, copied
/// verbatim by `scripts/flagger/examples.py`, one document per file) is
/// validated for the Kubernetes platform, and each field it writes is
/// honoured, or named by an error or a warning at its file:line:column.
/// Nothing is silently dropped.
///
/// Each script's documents are validated together (a Canary's templates
/// are in a sibling file), with the default router the script's Flagger was
/// installed with (`-mesh-provider`) when Serin runs it, else Serin's
/// default (`kubernetes`), which is what an operator moving from that
/// Flagger would have.
@Suite struct FlaggerExamplesTests {
    static let folder = "flagger-examples"
    static let schema = FlaggerFieldTableTests.schema

    /// `test/<dir>/install.sh` and `kustomize/<dir>/patch.yaml`'s `-mesh-provider`, where Serin runs it.
    static let installedProvider = ["gatewayapi": "gatewayapi:v1", "linkerd": "gatewayapi:v1beta1", "nginx": "nginx"]

    /// The script a fixture came from (`test-gatewayapi-test-ab-21.yaml` → `test-gatewayapi-test-ab`).
    static func group(_ path: String) -> String {
        Fixtures.name(path).split(separator: "-").dropLast().joined(separator: "-")
    }

    /// A script's Canaries' templates are in the script, or for Gateway API in its `test-utils.sh`.
    static func sameScript(_ a: String, _ b: String) -> Bool {
        group(a) == group(b) || (group(a).hasPrefix("test-gatewayapi-") && group(b) == "test-gatewayapi-test-utils")
    }

    static func validate(_ path: String) -> (Manifests, [Diagnostic], defaultProvider: String) {
        let siblings = Fixtures.files(folder).filter { sameScript(path, $0) }
        let directory = String(group(path).split(separator: "-")[1])
        let provider = installedProvider[directory] ?? "kubernetes"
        var manifests = ManifestLoader().load(paths: siblings)
        // The scripts apply their Canaries one after another on one target: one at a time here.
        manifests.canaries.removeAll { $0.source.file != path }
        return (manifests, Validator(platform: .kubernetes, defaultProvider: provider).validate(manifests), provider)
    }

    @Test func theExamplesAreAllThere() {
        let manifests = ManifestLoader().load(paths: [Fixtures.root + "/" + Self.folder])
        #expect(Fixtures.files(Self.folder).count == 52)
        #expect(manifests.canaries.count == 43)
        #expect(manifests.metricTemplates.count == 9)
        #expect(manifests.resourceCount == 52, "nothing but Flagger's kinds")
    }

    @Test(arguments: Fixtures.files(folder))
    func everyFieldIsHonouredOrNamed(_ path: String) throws {
        let (manifests, all, defaultProvider) = Self.validate(path)
        let diagnostics = all.filter { $0.position.file == path }
        for diagnostic in diagnostics {
            #expect(diagnostic.position.line != nil && diagnostic.position.column != nil, "\(diagnostic)")
        }
        // The only errors: a router or metric provider Serin does not run, or a field it cannot honour.
        let allowed = ["is not supported by Serin on Kubernetes", "which Serin cannot query", "cannot be honoured by Serin on Kubernetes",
                       "cannot be said in an HTTPRoute", "cannot be said with NGINX's canary annotations"]
        for error in diagnostics.errors where !allowed.contains(where: error.message.contains) {
            Issue.record("\(Fixtures.name(path)): an error for something else: \(error)")
        }
        var resources: [(kind: String, source: SourceMap, names: [String])] = []
        for canary in manifests.canaries where canary.source.file == path {
            let provider = canary.spec.provider ?? defaultProvider
            var names = [RouterFamily.of(provider) ?? provider]
            if let kind = canary.spec.autoscalerRef?.kind { names.append(kind) }
            resources.append(("Canary", canary.source, names))
        }
        for template in manifests.metricTemplates where template.source.file == path {
            resources.append(("MetricTemplate", template.source, [template.spec.provider?.type ?? "prometheus"]))
        }
        for provider in manifests.alertProviders where provider.source.file == path {
            resources.append(("AlertProvider", provider.source, [provider.spec.type ?? ""]))
        }
        #expect(resources.count == 1, "one document per fixture")
        for resource in resources {
            // A Canary refused, or warned, as a whole (its router) says so at spec.provider.
            let provider = resource.source.position("spec.provider")
            if resource.source.contains("spec.provider"), diagnostics.contains(where: { $0.position == provider && $0.message.hasPrefix("provider ") }) {
                continue
            }
            for path in resource.source.positions.keys.sorted() where path.hasPrefix("spec.") && !path.hasSuffix("]") {
                // A list's items are the list's field; a map's entries the map's.
                let normalized = path.hasPrefix("spec.canaryAnalysis") ? "spec.analysis" + path.dropFirst("spec.canaryAnalysis".count) : path
                let fields = Self.schema.filter { $0.kind == resource.kind }
                if !fields.contains(where: { FlaggerField(resource.kind, $0.path, .honoured("")).matches(normalized) }),
                   fields.contains(where: { $0.type.hasPrefix("map of") && FlaggerField(resource.kind, $0.path, .honoured(""), subtree: true).matches(normalized) }) {
                    continue
                }
                if let rule = FlaggerFields.rule(kind: resource.kind, path: normalized),
                   case .honoured = resource.names.lazy.map({ rule.use(for: $0) }).first(where: { $0 != rule.use }) ?? rule.use {
                    continue
                }
                // Not honoured: a diagnostic at the field or at one of its written ancestors names it.
                let positions = Self.ancestors(path).filter(resource.source.contains).map(resource.source.position)
                #expect(diagnostics.contains { positions.contains($0.position) },
                        "\(Fixtures.name(path)): \(path) (\(resource.names)) is not honoured and nothing says so")
            }
        }
    }

    /// The examples cover every router Serin runs; the figures: Canaries
    /// accepted (maybe with warnings) and refused.
    @Test func theExamplesUseEveryRouterSerinRuns() {
        var providers: Set<String> = [], accepted = 0, refused = 0, warnings = 0
        for path in Fixtures.files(Self.folder) {
            let (manifests, all, defaultProvider) = Self.validate(path)
            guard let canary = manifests.canaries.first(where: { $0.source.file == path }) else { continue }
            providers.insert(canary.spec.provider ?? defaultProvider)
            let own = all.filter { $0.position.file == path }
            if own.errors.isEmpty { accepted += 1 } else { refused += 1 }
            warnings += own.warnings.count
        }
        print("Flagger's example Canaries: \(accepted) accepted, \(refused) refused, \(warnings) warnings")
        #expect(providers.isSuperset(of: ["kubernetes", "nginx", "gatewayapi:v1", "gatewayapi:v1beta1"]), "\(providers)")
        #expect(accepted >= 28, "the examples of the routers Serin runs are accepted")
    }

    /// `a.b[0].c` → `a.b[0].c`, `a.b[0]`, `a.b`, `a`.
    static func ancestors(_ path: String) -> [String] {
        var result = [path]
        var rest = Substring(path)
        while let cut = rest.lastIndex(where: { $0 == "." || $0 == "[" }) {
            rest = rest[..<cut]
            result.append(String(rest))
        }
        return result
    }
}
