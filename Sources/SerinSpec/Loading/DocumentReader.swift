import Yams

/// The top level every resource shares. `status` is accepted and ignored so
/// that exported resources (`kubectl get -o yaml`) read as written.
struct Document<Spec: Decodable>: Decodable {
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta?
    var spec: Spec?
    var status: JSONValue?
}

/// Turns one YAML document into a typed resource, by apiVersion and kind.
struct DocumentReader {
    let file: String

    func read(_ root: Node, into manifests: inout Manifests) {
        let start = SourcePosition(file: file, line: root.mark?.line, column: root.mark?.column)
        if root.isNull { return } // an empty document (`---` alone, or only comments)
        guard case .mapping(let mapping) = root else {
            manifests.diagnostics.append(.error(at: start, "a manifest must be a mapping with apiVersion, kind and metadata, got \(root.described)"))
            return
        }
        let apiVersion = Self.string(mapping["apiVersion"])
        let kind = Self.string(mapping["kind"])
        let report = DecodingReport(file: file)
        /// Where the typed resource's fields were written, once it was read.
        var source: SourceMap?

        switch (apiVersion, kind) {
        case (APIGroup.serinVersion, "Workload"):
            source = append(decode(WorkloadSpec.self, root, report, start), to: &manifests.workloads)
        case (APIGroup.serinVersion, "Canary"), (APIGroup.flaggerVersion, "Canary"):
            source = append(decode(CanarySpec.self, root, report, start), to: &manifests.canaries)
        case (APIGroup.serinVersion, "MetricTemplate"), (APIGroup.flaggerVersion, "MetricTemplate"):
            source = append(decode(MetricTemplateSpec.self, root, report, start), to: &manifests.metricTemplates)
        case (APIGroup.serinVersion, "AlertProvider"), (APIGroup.flaggerVersion, "AlertProvider"):
            source = append(decode(AlertProviderSpec.self, root, report, start), to: &manifests.alertProviders)
        case (APIGroup.serinVersion, "Strategy"):
            source = append(decode(StrategySpec.self, root, report, start), to: &manifests.strategies)
        default:
            if let problem = unsupported(apiVersion: apiVersion, kind: kind, mapping: mapping, report: report) {
                report.error(at: problem.mark, problem.message)
            } else if let manifest = plain(root, report, start) {
                manifests.plain.append(manifest)
                // A plain manifest is read whole: it is its own object.
                manifests.objects.append(ManifestObject(value: manifest.spec, source: manifest.source))
            }
        }
        manifests.diagnostics += report.diagnostics
        // A typed resource is also kept whole, as written: what Serin reads
        // of it is the typed form, what a cluster is given is this.
        if let source, let value = NodeDecoder.decode(JSONValue.self, from: root, report: DecodingReport(file: file)) {
            manifests.objects.append(ManifestObject(value: value, source: source))
        }
    }

    private func append<Spec>(_ resource: Resource<Spec>?, to list: inout [Resource<Spec>]) -> SourceMap? {
        guard let resource else { return nil }
        list.append(resource)
        return resource.source
    }

    private func decode<Spec: Decodable & Sendable>(_ type: Spec.Type, _ root: Node, _ report: DecodingReport,
                                                     _ start: SourcePosition) -> Resource<Spec>? {
        guard let document = NodeDecoder.decode(Document<Spec>.self, from: root, report: report, displayPath: NodeDecoder.display)
        else { return nil }
        let source = SourceMap(file: file, document: start, positions: report.positions)
        if document.status != nil {
            // An exported resource (`kubectl get -o yaml`) brings one; it is the operator's to write.
            report.warning(at: source.position("status"), "status is written by Serin (Flagger's fields, on the cluster); the one in Git is not used")
        }
        guard let metadata = document.metadata, let name = metadata.name else {
            report.error(at: root.mark, "metadata.name is required", kind: .missingField("name"))
            return nil
        }
        checkName(name, field: "metadata.name", source: source, report: report)
        if let namespace = metadata.namespace {
            checkName(namespace, field: "metadata.namespace", source: source, report: report)
        }
        guard let spec = document.spec else {
            if !source.contains("spec") { report.error(at: root.mark, "spec is required", kind: .missingField("spec")) }
            return nil
        }
        return Resource(apiVersion: document.apiVersion ?? "", kind: document.kind ?? "", metadata: metadata, spec: spec, source: source)
    }

    private func plain(_ root: Node, _ report: DecodingReport, _ start: SourcePosition) -> PlainManifest? {
        guard let document = NodeDecoder.decode(JSONValue.self, from: root, report: report),
              case .object(let object) = document else { return nil }
        let source = SourceMap(file: file, document: start, positions: report.positions)
        guard case .object(let metadata)? = object["metadata"], case .string(let name)? = metadata["name"] else {
            report.error(at: root.mark, "metadata.name is required", kind: .missingField("name"))
            return nil
        }
        var meta = ObjectMeta(name: name)
        meta.namespace = metadata["namespace"]?.stringValue
        return PlainManifest(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object["kind"]?.stringValue ?? "",
                             metadata: meta, spec: document, source: source)
    }

    /// What is wrong with an apiVersion/kind pair Serin does not read as a
    /// plain manifest either.
    private func unsupported(apiVersion: String?, kind: String?, mapping: Node.Mapping,
                             report: DecodingReport) -> (mark: Mark?, message: String)? {
        let apiMark = mapping["apiVersion"]?.mark ?? mapping.mark
        let kindMark = mapping["kind"]?.mark ?? mapping.mark
        guard let apiVersion, !apiVersion.isEmpty else {
            return (apiMark, mapping["apiVersion"] == nil ? "apiVersion is required" : "apiVersion must be a string")
        }
        guard let kind, !kind.isEmpty else {
            return (kindMark, mapping["kind"] == nil ? "kind is required" : "kind must be a string")
        }
        let group = apiVersion.split(separator: "/").first.map(String.init) ?? apiVersion
        switch group {
        case APIGroup.serin:
            guard apiVersion == APIGroup.serinVersion else {
                return (apiMark, "apiVersion \(apiVersion) is not served; use \(APIGroup.serinVersion)")
            }
            return (kindMark, "kind \(kind) is not a \(APIGroup.serinVersion) kind (\(APIGroup.serinKinds.joined(separator: ", ")))"
                + Suggestion.hint(for: kind, among: APIGroup.serinKinds))
        case APIGroup.flagger:
            guard apiVersion == APIGroup.flaggerVersion else {
                return (apiMark, "apiVersion \(apiVersion) is not read; use \(APIGroup.flaggerVersion)")
            }
            return (kindMark, "kind \(kind) is not a \(APIGroup.flaggerVersion) kind (\(APIGroup.flaggerKinds.joined(separator: ", ")))"
                + Suggestion.hint(for: kind, among: APIGroup.flaggerKinds))
        default:
            // A misspelt group would silently turn a Canary into a plain manifest.
            if APIGroup.serinKinds.contains(kind),
               let close = Suggestion.closest(to: group, among: [APIGroup.serin, APIGroup.flagger]) {
                let version = close == APIGroup.serin ? APIGroup.serinVersion : APIGroup.flaggerVersion
                return (apiMark, "apiVersion \(apiVersion) is unknown; did you mean \"\(version)\"?")
            }
            return nil
        }
    }

    /// Names follow Kubernetes' DNS-1123 subdomain rule; they become file
    /// names, metric labels and URL segments.
    private func checkName(_ name: String, field: String, source: SourceMap, report: DecodingReport) {
        if let problem = NameRule.problem(with: name) {
            report.error(at: source.position(field), "\(field) \(problem)")
        }
    }

    static func string(_ node: Node?) -> String? {
        guard case .scalar(let scalar)? = node, case .string(let value) = ScalarValue(scalar) else { return nil }
        return value
    }
}

enum NameRule {
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.utf8.count > 253 { return "must be at most 253 characters" }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        let edgesOK = name.first!.isLetter || name.first!.isNumber
        let endOK = name.last!.isLetter || name.last!.isNumber
        guard allowed, edgesOK, endOK else {
            return "\"\(name)\" must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
        }
        return nil
    }
}
