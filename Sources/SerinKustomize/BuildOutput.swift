import Foundation
import SerinSpec
import Yams

/// kustomize's printed stream turned into the render stage's texts: one per
/// object, each traced back to the document it came from through the
/// `config.kubernetes.io/origin` annotation that `buildMetadata:
/// [originAnnotations]` makes kustomize write (a resource's file, or for a
/// generated object the kustomization whose generator made it). The
/// annotation is then removed, unless the user's own kustomization asked
/// for it, so what is applied is what kustomize prints without it.
struct BuildOutput {
    static let originAnnotation = "config.kubernetes.io/origin"

    /// The source's folder: origin paths are relative to it.
    let top: String
    /// Every file the build read, by repository path.
    let files: [String: Data]
    /// The kustomization findings fall back on (the user's, or the folder).
    let fallback: String
    let keepOrigins: Bool
    private var documentsByFile: [String: [OriginalDocument]] = [:]

    init(top: String, files: [String: Data], fallback: String, keepOrigins: Bool) {
        self.top = top
        self.files = files
        self.fallback = fallback
        self.keepOrigins = keepOrigins
    }

    /// One document of an original file, as the validate stage reads it.
    struct OriginalDocument {
        var kind: String
        var name: String
        var source: SourceMap
    }

    /// Kustomize separates objects with `---` lines.
    static func documents(_ text: String) -> [String] {
        var documents: [String] = []
        var current: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "---" {
                if !current.isEmpty { documents.append(current.joined(separator: "\n") + "\n") }
                current = []
            } else {
                current.append(line)
            }
        }
        while current.last?.isEmpty == true { current.removeLast() }
        if !current.isEmpty { documents.append(current.joined(separator: "\n") + "\n") }
        return documents
    }

    mutating func texts(from output: String) throws -> [RenderedText] {
        var texts: [RenderedText] = []
        for document in Self.documents(output) {
            guard let root = try? Yams.compose(yaml: document), case .mapping(let mapping) = root else {
                throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: fallback),
                                    "kustomize printed a document that is not a mapping")
            }
            let kind = mapping["kind"]?.string ?? ""
            let name = mapping["metadata"]?["name"]?.string ?? ""
            let originText = mapping["metadata"]?["annotations"]?[Self.originAnnotation]?.string
            let origin = origin(of: originText, kind: kind, name: name)
            let yaml = keepOrigins || originText == nil ? document : try Self.strippingOrigin(document, root: root)
            texts.append(RenderedText(yaml: yaml, file: origin.file, origin: origin))
        }
        return texts
    }

    /// Where an object was written: the document of its resource file, or
    /// the generator entry of its kustomization.
    private mutating func origin(of annotation: String?, kind: String, name: String) -> SourceMap {
        let fallbackMap = SourceMap(file: fallback, document: SourcePosition(file: fallback))
        guard let annotation, let node = try? Yams.compose(yaml: annotation), case .mapping(let origin) = node else { return fallbackMap }
        if let path = origin["path"]?.string, origin["repo"] == nil, let file = RepositoryPath.join(top, path) {
            return document(in: file, kind: kind, name: name) ?? SourceMap(file: file, document: SourcePosition(file: file, line: 1, column: 1))
        }
        if let configuredIn = origin["configuredIn"]?.string, let file = RepositoryPath.join(top, configuredIn) {
            let generator = origin["configuredBy"]?["kind"]?.string
            return SourceMap(file: file, document: generatorEntry(in: file, generator: generator, name: name) ?? SourcePosition(file: file, line: 1, column: 1))
        }
        return fallbackMap
    }

    private mutating func document(in file: String, kind: String, name: String) -> SourceMap? {
        if documentsByFile[file] == nil { documentsByFile[file] = Self.originalDocuments(file: file, data: files[file]) }
        let candidates = documentsByFile[file, default: []].filter { $0.kind == kind }
        if let exact = candidates.first(where: { $0.name == name }) { return exact.source }
        // namePrefix, nameSuffix and a generator's hash change the name around the written one.
        let containing = candidates.filter { !$0.name.isEmpty && name.contains($0.name) }.max { $0.name.count < $1.name.count }
        return containing?.source ?? (candidates.count == 1 ? candidates[0].source : nil)
    }

    /// The documents of a file, read by the validate stage's own reader
    /// (`ManifestLoader`), so positions agree with what `serin validate`
    /// reports for the file; documents it refuses keep their start.
    static func originalDocuments(file: String, data: Data?) -> [OriginalDocument] {
        guard let data, let text = String(data: data, encoding: .utf8) else { return [] }
        let manifests = ManifestLoader().load(text: text, file: file)
        // The YAML walk of each document, by where it starts: it fills the
        // fields the reader did not decode, and stands in for documents it refused.
        let maps = SourceMap.documents(in: text, file: file)
        let walked = Dictionary(maps.map { ($0.document, $0) }) { first, _ in first }
        var documents: [OriginalDocument] = []
        func add<Spec>(_ resources: [Resource<Spec>]) {
            documents += resources.map { resource in
                OriginalDocument(kind: resource.kind, name: resource.name,
                                 source: walked[resource.source.document].map(resource.source.filling) ?? resource.source)
            }
        }
        add(manifests.workloads)
        add(manifests.canaries)
        add(manifests.metricTemplates)
        add(manifests.alertProviders)
        add(manifests.strategies)
        add(manifests.plain)
        let known = Set(documents.map { "\($0.kind)/\($0.name)" })
        let roots: [Node] = (try? Yams.compose_all(yaml: text)).map(Array.init) ?? []
        for (root, source) in zip(roots, maps) {
            guard let kind = root["kind"]?.string, let name = root["metadata"]?["name"]?.string, !known.contains("\(kind)/\(name)") else { continue }
            documents.append(OriginalDocument(kind: kind, name: name, source: source))
        }
        return documents
    }

    /// The `configMapGenerator` or `secretGenerator` entry whose name the
    /// generated object carries (with its hash, prefix or suffix around it).
    private func generatorEntry(in file: String, generator: String?, name: String) -> SourcePosition? {
        guard let data = files[file], let text = String(data: data, encoding: .utf8),
              let root = try? Yams.compose(yaml: text) else { return nil }
        let field = generator == "SecretGenerator" ? "secretGenerator" : "configMapGenerator"
        guard case .sequence(let entries)? = root[field] else { return nil }
        let match = entries.compactMap { entry -> (String, Node)? in
            guard let written = entry["name"]?.string, name.contains(written) else { return nil }
            return (written, entry["name"]!)
        }.max { $0.0.count < $1.0.count }
        return match.map { SourcePosition(file: file, line: $0.1.mark?.line, column: $0.1.mark?.column) }
    }

    /// The document without the origin annotation, and without an
    /// `annotations` mapping that only held it: kustomize prints block
    /// mappings with two-space indents, so the lines are cut out and the
    /// rest stays byte for byte as kustomize printed it. Any other layout
    /// is edited as YAML and printed again.
    static func strippingOrigin(_ document: String, root: Node) throws -> String {
        var lines = document.split(separator: "\n", omittingEmptySubsequences: false)
        if let metadata = lines.firstIndex(of: "metadata:"),
           let annotations = lines[(metadata + 1)...].prefix(while: { $0.hasPrefix(" ") }).firstIndex(of: "  annotations:") {
            let block = lines[(annotations + 1)...].prefix(while: { $0.hasPrefix("    ") })
            if let origin = block.firstIndex(where: { $0.hasPrefix("    \(originAnnotation): |") }) {
                var end = origin + 1
                while end < lines.endIndex && lines[end].hasPrefix("      ") { end += 1 }
                lines.removeSubrange(origin..<end)
                if !(lines.indices.contains(annotations + 1) && lines[annotations + 1].hasPrefix("    ")) {
                    lines.remove(at: annotations)
                }
                return lines.joined(separator: "\n")
            }
        }
        guard case .mapping(var mapping) = root, var metadata = mapping["metadata"]?.mapping,
              var annotations = metadata["annotations"]?.mapping else { return document }
        annotations[originAnnotation] = nil
        metadata["annotations"] = annotations.isEmpty ? nil : .mapping(annotations)
        mapping["metadata"] = .mapping(metadata)
        return try Yams.serialize(node: .mapping(mapping))
    }
}

