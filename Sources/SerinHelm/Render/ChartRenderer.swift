import SerinTemplate

/// One rendered document of a chart.
public struct HelmManifest: Sendable {
    /// Helm's template name (`podinfo/templates/deployment.yaml`).
    public var template: String
    /// The file in the repository it came from.
    public var sourcePath: String
    public var content: String
    public var apiVersion: String
    public var kind: String
    public var name: String
    /// `helm.sh/hook` events, empty for an ordinary manifest.
    public var hookEvents: [String]
    public var hookWeight: Int
    public var hookDeletePolicies: [String]
    /// The template's text, for tracing fields back to it.
    public var templateText: String = ""
}

/// A chart rendered as `helm template` / `helm install` would: CRDs,
/// manifests in Helm's install order, hooks.
public struct RenderedChart: Sendable {
    public var crds: [(template: String, sourcePath: String, content: String)]
    public var manifests: [HelmManifest]
    public var hooks: [HelmManifest]
    public var notes: String

    /// `helm template`'s output (byte for byte, for Helm's golden files).
    public func templateOutput(includeCRDs: Bool = false, skipTests: Bool = false) -> String {
        var body = ""
        if includeCRDs {
            for crd in crds { body += "---\n# Source: \(crd.template)\n\(crd.content)\n" }
        }
        for manifest in manifests { body += "---\n# Source: \(manifest.template)\n\(manifest.content)\n" }
        var out = body.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        for hook in hooks {
            if skipTests && hook.hookEvents.contains("test") { continue }
            out += "---\n# Source: \(hook.template)\n\(hook.content)\n"
        }
        return out
    }
}

/// A chart, its values and a release turned into manifests.
public struct ChartRenderer: Sendable {
    public var engine: HelmEngine

    public init(engine: HelmEngine = HelmEngine()) {
        self.engine = engine
    }

    public func render(_ chart: Chart, values: ValueMap, release: HelmReleaseInfo,
                       capabilities: HelmCapabilities = .helmDefault) throws -> RenderedChart {
        if chart.isLibrary {
            throw ChartValuesError(message: "library charts are not installable")
        }
        if !chart.kubeVersion.isEmpty {
            // Helm's IsCompatibleRange: a constraint or version that does not
            // parse is incompatible too, never a check skipped.
            guard let constraint = try? SemverConstraint(chart.kubeVersion),
                  let version = try? SemanticVersion(String(capabilities.kubeVersion.split(separator: "-").first ?? "")),
                  constraint.check(version) else {
                throw ChartValuesError(message: "chart requires kubeVersion: \(chart.kubeVersion) which is incompatible with Kubernetes \(capabilities.kubeVersion)")
            }
        }
        let (prepared, coalesced) = try ChartValues.prepare(chart, values: values)
        if let schema = prepared.schema {
            try ValuesSchema.validate(coalesced, schema: schema, chart: prepared.name)
        }
        try validateSubchartSchemas(prepared, coalesced)
        // Refused functions are tolerated on the first pass; a template that
        // called one is rendered again strictly when Serin would apply it.
        let refusals = RefusalLog()
        let files = try engine.render(prepared, values: coalesced, release: release, capabilities: capabilities, refusals: refusals)
        let tainted = refusals.calls
        var sources: [String: String] = [:]
        var texts: [String: String] = [:]
        collectSources(prepared, into: &sources, texts: &texts)
        var notes = ""
        var manifests: [HelmManifest] = []
        var hooks: [HelmManifest] = []
        for name in files.keys.sorted() {
            guard let content = files[name] else { continue }
            if name.hasSuffix("/NOTES.txt") {
                if name == prepared.fullPath + "/templates/NOTES.txt" { notes = content }
                continue
            }
            if (name.split(separator: "/").last ?? "").hasPrefix("_") { continue }
            if content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
            for document in Self.splitManifests(content) {
                let head: Value
                do {
                    head = try GoYAML.decode(document)
                } catch let error as GoYAML.DecodeError {
                    throw ManifestError(template: name, sourcePath: sources[name] ?? name, line: error.line,
                                        message: "YAML parse error on \(name): \(error.message)")
                }
                var manifest = HelmManifest(template: name, sourcePath: sources[name] ?? name, content: document,
                                            apiVersion: Self.string(head, ["apiVersion"]), kind: Self.string(head, ["kind"]),
                                            name: Self.string(head, ["metadata", "name"]), hookEvents: [], hookWeight: 0,
                                            hookDeletePolicies: [], templateText: texts[name] ?? "")
                guard let hook = Self.annotation(head, "helm.sh/hook") else {
                    manifests.append(manifest)
                    continue
                }
                let events = hook.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                let known: Set<String> = ["pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
                                          "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success"]
                if events.contains(where: { !known.contains($0) }) { continue }
                manifest.hookEvents = events.map { $0 == "test-success" ? "test" : $0 }
                manifest.hookWeight = Int(Self.annotation(head, "helm.sh/hook-weight") ?? "") ?? 0
                manifest.hookDeletePolicies = (Self.annotation(head, "helm.sh/hook-delete-policy") ?? "")
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                hooks.append(manifest)
            }
        }
        let applied = manifests + hooks.filter { !$0.hookEvents.contains("test") && $0.hookEvents.contains { $0.hasSuffix("install") || $0.hasSuffix("upgrade") } }
        let offending = Set(applied.map(\.template).filter { tainted[$0] != nil })
        if !offending.isEmpty {
            _ = try engine.render(prepared, values: coalesced, release: release, capabilities: capabilities,
                                  refusals: RefusalLog(strict: offending))
        }
        let crds = prepared.allCRDs.map { (template: $0.path, sourcePath: $0.file.sourcePath, content: $0.file.text) }
        return RenderedChart(crds: crds, manifests: Self.sortByKind(manifests), hooks: Self.sortByKind(hooks), notes: notes)
    }

    func validateSubchartSchemas(_ chart: Chart, _ values: ValueMap) throws {
        for subchart in chart.subcharts {
            guard case .map(let subValues)? = values[subchart.name] else { continue }
            if let schema = subchart.schema { try ValuesSchema.validate(subValues, schema: schema, chart: subchart.name) }
            try validateSubchartSchemas(subchart, subValues)
        }
    }

    func collectSources(_ chart: Chart, into sources: inout [String: String], texts: inout [String: String]) {
        for template in chart.templates {
            sources[chart.fullPath + "/" + template.name] = template.sourcePath
            texts[chart.fullPath + "/" + template.name] = template.text
        }
        for subchart in chart.subcharts { collectSources(subchart, into: &sources, texts: &texts) }
    }

    static func string(_ value: Value, _ path: [String]) -> String {
        var current = value
        for key in path {
            guard case .map(let map) = current, let next = map[key] else { return "" }
            current = next
        }
        return current.stringValue ?? ""
    }

    static func annotation(_ head: Value, _ name: String) -> String? {
        guard case .map(let root) = head, case .map(let metadata)? = root["metadata"],
              case .map(let annotations)? = metadata["annotations"], let value = annotations[name] else { return nil }
        return value.stringValue ?? Cast.string(value)
    }

    /// Helm's `SplitManifests`: documents cut at lines starting `---`, leading space trimmed, empty ones dropped.
    static func splitManifests(_ text: String) -> [String] {
        let trimmed = String(text.drop { $0.isWhitespace })
        var documents: [String] = []
        var current = ""
        var atLineStart = true
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            if atLineStart && trimmed[index...].hasPrefix("---") {
                documents.append(current)
                current = ""
                index = trimmed.index(index, offsetBy: 3)
                while index < trimmed.endIndex, trimmed[index] == " " || trimmed[index] == "\t" { index = trimmed.index(after: index) }
                atLineStart = false
                continue
            }
            let character = trimmed[index]
            current.append(character)
            atLineStart = character == "\n"
            index = trimmed.index(after: index)
        }
        documents.append(current)
        return documents.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.map { String($0.drop { $0.isWhitespace }) }
    }

    static let installOrder = [
        "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
        "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
        "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
        "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
        "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
        "IngressClass", "Ingress", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    ]

    /// Helm's stable sort by `InstallOrder`; unknown kinds last, by name.
    static func sortByKind(_ manifests: [HelmManifest]) -> [HelmManifest] {
        let rank = Dictionary(uniqueKeysWithValues: installOrder.enumerated().map { ($1, $0) })
        return manifests.enumerated().sorted { lhs, rhs in
            let a = rank[lhs.element.kind], b = rank[rhs.element.kind]
            switch (a, b) {
            case (nil, nil):
                if lhs.element.kind != rhs.element.kind { return lhs.element.kind < rhs.element.kind }
                return lhs.offset < rhs.offset
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?): return x != y ? x < y : lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}

/// A rendered template that is not valid YAML.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var template: String
    public var sourcePath: String
    public var line: Int?
    public var message: String
    public var description: String { message }
}
