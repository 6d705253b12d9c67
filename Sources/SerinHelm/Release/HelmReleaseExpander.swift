import Foundation
import SerinSpec
import SerinTemplate

/// A ConfigMap or Secret key a HelmRelease takes values from.
public struct ValuesReference: Sendable, Hashable {
    public var kind: String
    public var name: String
    public var namespace: String
    public var key: String

    public init(kind: String, name: String, namespace: String, key: String) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.key = key
    }
}

/// Flux's `HelmRelease` (`helm.toolkit.fluxcd.io/v2`, `v2beta2`, `v2beta1`)
/// as a stage after a renderer: every HelmRelease of the rendered source
/// whose chart comes from a GitRepository is replaced by its chart's
/// rendered documents, each traced back to its template file.
///
/// Values are merged in Flux's order: the chart's values.yaml (or its
/// `valuesFiles`, merged in order), then `valuesFrom` in order, then the
/// inline `values`. A `valuesFrom` ConfigMap or Secret declared in the same
/// source is read from Git; others through `valuesFrom`, which the
/// operator answers from the cluster.
///
/// Hooks: `test` hooks are not applied; `pre-`/`post-install` and
/// `-upgrade` hooks are applied as ordinary objects, `pre-` ones before
/// the chart's manifests and `post-` ones after, each group by
/// `helm.sh/hook-weight`; delete, rollback and uninstall hooks are not
/// applied (Serin prunes what leaves Git; a rollback is a Git revert).
/// Delete policies are not acted on: hook objects join the source's
/// inventory like any other (warned). CRDs from `crds/` come first unless
/// `install.crds` is `Skip`. Serin writes no Helm release Secrets.
public struct HelmReleaseExpander: Sendable {
    /// The name of the source being rendered (serin.yaml).
    public var source: String
    /// That source's commit.
    public var files: any SourceFiles
    /// Other Git sources' trees, by name (nil: unknown).
    public var otherSources: @Sendable (String) -> (any SourceFiles)?
    /// A ConfigMap's or Secret's key (Secrets decoded), nil when the object or key is absent.
    public var valuesFrom: @Sendable (ValuesReference) async throws -> String?
    public var capabilities: HelmCapabilities
    /// The namespace of HelmReleases that name none.
    public var defaultNamespace: String
    public var renderer: ChartRenderer

    public init(source: String, files: any SourceFiles,
                otherSources: @escaping @Sendable (String) -> (any SourceFiles)? = { _ in nil },
                valuesFrom: @escaping @Sendable (ValuesReference) async throws -> String? = { _ in nil },
                capabilities: HelmCapabilities = .helmDefault, defaultNamespace: String = "default",
                renderer: ChartRenderer = ChartRenderer()) {
        self.source = source
        self.files = files
        self.otherSources = otherSources
        self.valuesFrom = valuesFrom
        self.capabilities = capabilities
        self.defaultNamespace = defaultNamespace
        self.renderer = renderer
    }

    public static let apiVersions: Set<String> = [
        "helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2beta2", "helm.toolkit.fluxcd.io/v2beta1",
    ]

    struct Document {
        var text: String
        var firstLine: Int
        var value: Value
    }

    /// The source with its HelmReleases replaced by what their charts render.
    public func expand(_ rendered: RenderedSource) async throws -> RenderedSource {
        var output = RenderedSource(renderer: rendered.renderer, texts: [], diagnostics: rendered.diagnostics)
        var releases: [(Document, RenderedText)] = []
        var declared: [ValuesReference: ValueMap] = [:]
        for text in rendered.texts {
            let documents = Self.documents(text.yaml)
            var kept = text.yaml.components(separatedBy: "\n")
            var replaced = false
            for document in documents {
                guard case .map(let map) = document.value else { continue }
                let apiVersion = map["apiVersion"]?.stringValue ?? ""
                let kind = map["kind"]?.stringValue ?? ""
                if kind == "ConfigMap" || kind == "Secret", apiVersion == "v1" {
                    recordDeclared(map, kind: kind, into: &declared)
                }
                guard kind == "HelmRelease", Self.apiVersions.contains(apiVersion) else { continue }
                releases.append((document, text))
                // The HelmRelease's lines become comments, so the other documents keep their lines.
                let count = document.text.components(separatedBy: "\n").count
                for line in document.firstLine..<min(document.firstLine + count, kept.count + 1) where line - 1 < kept.count {
                    if !kept[line - 1].hasPrefix("---") { kept[line - 1] = "#" }
                }
                replaced = true
            }
            var copy = text
            if replaced { copy.yaml = kept.joined(separator: "\n") }
            output.texts.append(copy)
        }
        for (document, text) in releases {
            let expansion = try await expand(document, in: text, declared: declared)
            output.texts.append(contentsOf: expansion.texts)
            output.diagnostics.append(contentsOf: expansion.diagnostics)
        }
        return output
    }

    func recordDeclared(_ map: ValueMap, kind: String, into declared: inout [ValuesReference: ValueMap]) {
        guard case .map(let metadata)? = map["metadata"], let name = metadata["name"]?.stringValue else { return }
        let namespace = metadata["namespace"]?.stringValue ?? defaultNamespace
        let data = ValueMap()
        if case .map(let values)? = map["data"] {
            for key in values.sortedStringKeys {
                let text = values[key]?.stringValue ?? ""
                if kind == "Secret" {
                    data[key] = .string(Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } ?? "")
                } else {
                    data[key] = .string(text)
                }
            }
        }
        if kind == "Secret", case .map(let values)? = map["stringData"] {
            for key in values.sortedStringKeys { data[key] = values[key] }
        }
        for key in data.sortedStringKeys {
            declared[ValuesReference(kind: kind, name: name, namespace: namespace, key: key)] = data
        }
        declared[ValuesReference(kind: kind, name: name, namespace: namespace, key: "")] = data
    }

    /// The documents of a YAML text, with the line each starts on.
    static func documents(_ yaml: String) -> [Document] {
        var documents: [Document] = []
        var current: [String] = []
        var start = 1
        let lines = yaml.components(separatedBy: "\n")
        func flush() {
            let text = current.joined(separator: "\n")
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, let value = try? GoYAML.decode(text) {
                documents.append(Document(text: text, firstLine: start, value: value))
            }
        }
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("---") {
                flush()
                current = []
                start = index + 2
            } else {
                current.append(line)
            }
        }
        flush()
        return documents
    }

    // MARK: - One release

    func expand(_ document: Document, in text: RenderedText, declared: [ValuesReference: ValueMap]) async throws -> RenderedSource {
        guard case .map(let release) = document.value else { return RenderedSource(renderer: "helm", texts: []) }
        let file = text.file
        let at = SourcePosition(file: file, line: document.firstLine, column: 1)
        func fail(_ message: String, reason: String = "HelmReleaseInvalid") -> RenderFailure {
            RenderFailure(reason: reason, at: at, message)
        }
        guard case .map(let metadata)? = release["metadata"], let name = metadata["name"]?.stringValue, !name.isEmpty else {
            throw fail("HelmRelease has no metadata.name")
        }
        let namespace = metadata["namespace"]?.stringValue ?? defaultNamespace
        guard case .map(let spec)? = release["spec"] else { throw fail("HelmRelease \(name) has no spec") }
        var diagnostics: [Diagnostic] = []
        if spec["chartRef"] != nil {
            throw fail("HelmRelease \(name): spec.chartRef (an OCIRepository or HelmChart) is not supported; Serin renders charts from Git: set spec.chart.spec.sourceRef to a GitRepository", reason: "ChartSourceUnsupported")
        }
        guard case .map(let chartTemplate)? = spec["chart"], case .map(let chartSpec)? = chartTemplate["spec"] else {
            throw fail("HelmRelease \(name) has no spec.chart.spec")
        }
        guard case .map(let sourceRef)? = chartSpec["sourceRef"] else { throw fail("HelmRelease \(name) has no spec.chart.spec.sourceRef") }
        let sourceKind = sourceRef["kind"]?.stringValue ?? ""
        let sourceName = sourceRef["name"]?.stringValue ?? ""
        guard sourceKind == "GitRepository" else {
            throw fail("HelmRelease \(name): chart source \(sourceKind) \(sourceName) is not supported; Serin has no network for Helm or OCI repositories: vendor the chart into Git and set sourceRef to {kind: GitRepository, name: \(source)}", reason: "ChartSourceUnsupported")
        }
        let tree: any SourceFiles
        if sourceName == source {
            tree = files
        } else if let other = otherSources(sourceName) {
            tree = other
        } else {
            throw fail("HelmRelease \(name): sourceRef GitRepository \(sourceName) is not a source of serin.yaml", reason: "ChartSourceNotFound")
        }
        let chartPath = (chartSpec["chart"]?.stringValue ?? "").split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        guard !chartPath.isEmpty else { throw fail("HelmRelease \(name): spec.chart.spec.chart is empty; set it to the chart's path in the repository") }
        if let version = chartSpec["version"]?.stringValue, !version.isEmpty, version != "*" {
            diagnostics.append(.warning(at: at, "HelmRelease \(name): spec.chart.spec.version is not used for a chart from Git (the commit decides the chart)"))
        }
        for field in ["interval", "reconcileStrategy", "verify", "ignoreMissingValuesFiles"] where chartSpec[field] != nil {
            diagnostics.append(.warning(at: at, "HelmRelease \(name): spec.chart.spec.\(field) is not used by Serin"))
        }
        for field in spec.sortedStringKeys where !Self.usedFields.contains(field) {
            diagnostics.append(.warning(at: at, "HelmRelease \(name): spec.\(field) is not used by Serin"))
        }
        var installCRDs = "Create"
        if case .map(let install)? = spec["install"] {
            installCRDs = install["crds"]?.stringValue ?? (install["skipCRDs"]?.truth == true ? "Skip" : "Create")
            for field in install.sortedStringKeys where field != "crds" && field != "skipCRDs" {
                diagnostics.append(.warning(at: at, "HelmRelease \(name): spec.install.\(field) is not used by Serin"))
            }
        }
        let targetNamespace = spec["targetNamespace"]?.stringValue ?? ""
        let releaseNamespace = targetNamespace.isEmpty ? namespace : targetNamespace
        var releaseName = spec["releaseName"]?.stringValue ?? ""
        if releaseName.isEmpty { releaseName = targetNamespace.isEmpty ? name : targetNamespace + "-" + name }
        if releaseName.count > 53 { throw fail("HelmRelease \(name): release name \(releaseName) is longer than 53 characters") }

        let loader = ChartLoader(files: tree)
        var chart = try loader.load(chartPath)
        // valuesFiles replace values.yaml, merged in order (paths in the source).
        var valuesFiles = (chartSpec["valuesFiles"].flatMap(Cast.list) ?? []).compactMap(\.stringValue)
        if let single = chartSpec["valuesFile"]?.stringValue, !single.isEmpty { valuesFiles.insert(single, at: 0) }
        if !valuesFiles.isEmpty {
            let merged = ValueMap()
            for path in valuesFiles {
                let full = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
                guard case .file? = try tree.entry(at: full) else {
                    throw fail("HelmRelease \(name): values file \(full) (spec.chart.spec.valuesFiles) does not exist in GitRepository \(sourceName)")
                }
                do {
                    let data = try tree.read(full, limit: loader.maximumFileSize)
                    HelmValues.merge(merged, try GoYAML.decodeValues(String(decoding: data, as: UTF8.self)))
                } catch let error as GoYAML.DecodeError {
                    throw RenderFailure(reason: "ValuesInvalid", at: SourcePosition(file: full, line: error.line), "values file \(full): \(error.message)")
                }
            }
            chart.values = merged
        }
        // valuesFrom, then inline values.
        let values = ValueMap()
        for (index, entry) in (spec["valuesFrom"].flatMap(Cast.list) ?? []).enumerated() {
            guard case .map(let reference) = entry else { continue }
            let kind = reference["kind"]?.stringValue ?? ""
            let objectName = reference["name"]?.stringValue ?? ""
            guard kind == "ConfigMap" || kind == "Secret" else {
                throw fail("HelmRelease \(name): spec.valuesFrom[\(index)].kind must be ConfigMap or Secret, not \(kind)")
            }
            let key = reference["valuesKey"]?.stringValue ?? "values.yaml"
            let optional = reference["optional"]?.truth == true
            let targetPath = reference["targetPath"]?.stringValue ?? ""
            let lookup = ValuesReference(kind: kind, name: objectName, namespace: namespace, key: key)
            var content: String?
            if let data = declared[lookup] {
                content = data[key]?.stringValue
            } else {
                content = try await valuesFrom(lookup)
            }
            guard let content else {
                if optional { continue }
                throw fail("HelmRelease \(name): could not find key \(key) in \(kind) \(namespace)/\(objectName) (spec.valuesFrom[\(index)]); create it or mark the reference optional", reason: "ValuesMissing")
            }
            if !targetPath.isEmpty {
                HelmValues.set(values, path: targetPath, .string(content))
                continue
            }
            do {
                HelmValues.merge(values, try GoYAML.decodeValues(content))
            } catch {
                throw fail("HelmRelease \(name): values in \(kind) \(namespace)/\(objectName) key \(key) are not YAML: \(error)", reason: "ValuesInvalid")
            }
        }
        if case .map(let inline)? = spec["values"] { HelmValues.merge(values, inline.deepCopy()) }

        let rendered: RenderedChart
        do {
            rendered = try renderer.render(chart, values: values,
                                           release: HelmReleaseInfo(name: releaseName, namespace: releaseNamespace),
                                           capabilities: capabilities)
        } catch let error as HelmRenderError {
            let position = error.position
            throw RenderFailure(reason: "TemplateFailed", at: SourcePosition(file: position.file, line: position.line, column: position.column),
                                "HelmRelease \(name): \(error)")
        } catch let error as ManifestError {
            throw RenderFailure(reason: "TemplateFailed", at: SourcePosition(file: error.sourcePath, line: error.line),
                                "HelmRelease \(name): \(error.message)")
        } catch let error as ChartValuesError {
            throw RenderFailure(reason: "ValuesInvalid", at: at, "HelmRelease \(name): \(error.message)")
        }

        var texts: [RenderedText] = []
        if installCRDs != "Skip" {
            for crd in rendered.crds {
                texts.append(RenderedText(yaml: crd.content, file: crd.sourcePath))
            }
        }
        let pre = rendered.hooks.filter { $0.hookEvents.contains { $0 == "pre-install" || $0 == "pre-upgrade" } }
        let post = rendered.hooks.filter { hook in
            !pre.contains { $0.template == hook.template && $0.content == hook.content }
                && hook.hookEvents.contains { $0 == "post-install" || $0 == "post-upgrade" }
        }
        for hook in rendered.hooks where !hook.hookEvents.contains(where: { ["pre-install", "pre-upgrade", "post-install", "post-upgrade"].contains($0) }) {
            diagnostics.append(.warning(at: SourcePosition(file: hook.sourcePath), "HelmRelease \(name): \(hook.kind) \(hook.name) is a \(hook.hookEvents.joined(separator: ",")) hook; Serin does not apply it"))
        }
        for hook in pre + post where !hook.hookDeletePolicies.isEmpty {
            diagnostics.append(.warning(at: SourcePosition(file: hook.sourcePath), "HelmRelease \(name): helm.sh/hook-delete-policy of \(hook.kind) \(hook.name) is not used: Serin keeps hook objects like the chart's others and prunes them when they leave Git"))
        }
        let ordered = pre.sorted { $0.hookWeight < $1.hookWeight } + rendered.manifests + post.sorted { $0.hookWeight < $1.hookWeight }
        for manifest in ordered {
            let content = Self.namespaced(manifest.content, releaseNamespace)
            texts.append(RenderedText(yaml: content, file: manifest.sourcePath,
                                      origin: TemplateOrigin.map(rendered: content, template: manifest.templateText, file: manifest.sourcePath)))
        }
        return RenderedSource(renderer: "helm", texts: texts, diagnostics: diagnostics)
    }

    static let usedFields: Set<String> = ["chart", "values", "valuesFrom", "releaseName", "targetNamespace", "install"]

    static let clusterScoped: Set<String> = [
        "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "StorageClass",
        "PersistentVolume", "IngressClass", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "PodSecurityPolicy", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "Node", "ClusterIssuer",
    ]

    /// Helm installs namespaced objects that name no namespace into the
    /// release's namespace: the same is written into the document (after
    /// its top-level `metadata:` line), so the apply stage needs no default.
    static func namespaced(_ content: String, _ namespace: String) -> String {
        guard case .map(let head)? = try? GoYAML.decode(content), let kind = head["kind"]?.stringValue,
              !clusterScoped.contains(kind), case .map(let metadata)? = head["metadata"], metadata["namespace"] == nil else {
            return content
        }
        var lines = content.components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix("metadata:") && $0.trimmingCharacters(in: .whitespaces) == "metadata:" }) else {
            return content
        }
        var indent = "  "
        if index + 1 < lines.count {
            let next = lines[index + 1]
            let spaces = next.prefix { $0 == " " }
            if !spaces.isEmpty { indent = String(spaces) }
        }
        lines.insert(indent + "namespace: " + namespace, at: index + 1)
        return lines.joined(separator: "\n")
    }

}


/// Values as Helm's command line and Flux combine them.
public enum HelmValues {
    /// Flux's and Helm's `MergeMaps`: maps merged key by key, everything else replaced.
    public static func merge(_ destination: ValueMap, _ source: ValueMap) {
        for (key, value) in source.entries {
            if case .map(let from) = value, case .map(let target)? = destination.entries[key] {
                merge(target, from)
            } else {
                destination.entries[key] = value
            }
        }
    }

    /// A value at a `--set` style path (`a.b`, `a\.b` for a dot in a key).
    public static func set(_ values: ValueMap, path: String, _ value: Value) {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in path {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "." {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        ChartValues.ensureTable(values, parts.dropLast())[parts[parts.count - 1]] = value
    }
}

/// Go's `filepath.Match` with `/` as the separator (`--show-only`, `Files.Glob`).
public enum HelmGlob {
    public static func match(_ pattern: String, _ name: String) -> Bool {
        Glob.matches(pattern, name, separator: "/")
    }
}
