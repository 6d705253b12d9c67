extension FlaggerFields {
    /// One field of a CRD's schema: its path (`[]` for list items, `*` for
    /// map values) and its schema type.
    public struct SchemaField: Sendable, Hashable {
        public var kind: String
        public var path: String
        public var type: String
    }

    /// Every field under `spec` of the CustomResourceDefinitions given
    /// (`apiextensions.k8s.io/v1` documents), in the schema's order, for
    /// the storage version.
    public static func schemaFields(of definitions: [JSONValue]) -> [SchemaField] {
        var fields: [SchemaField] = []
        for definition in definitions {
            guard let kind = definition["spec"]?["names"]?["kind"]?.stringValue,
                  let versions = definition["spec"]?["versions"]?.arrayValue,
                  let version = versions.first(where: { $0["storage"]?.boolValue == true }) ?? versions.first,
                  let spec = version["schema"]?["openAPIV3Schema"]?["properties"]?["spec"] else { continue }
            fields.append(SchemaField(kind: kind, path: "spec", type: spec["type"]?.stringValue ?? "object"))
            walk(spec, "spec", kind: kind, into: &fields)
        }
        return fields
    }

    private static func walk(_ node: JSONValue, _ path: String, kind: String, into fields: inout [SchemaField]) {
        if case .object(let properties)? = node["properties"] {
            // The schema's order is lost in a JSON object; the table is sorted by path instead.
            for name in properties.keys.sorted() {
                let child = properties[name]!
                let childPath = "\(path).\(name)"
                fields.append(SchemaField(kind: kind, path: childPath, type: typeName(child)))
                walk(child, childPath, kind: kind, into: &fields)
            }
        }
        if node["type"]?.stringValue == "array", let items = node["items"] {
            walk(items, path + "[]", kind: kind, into: &fields)
        }
        if case .object = node["additionalProperties"] {
            walk(node["additionalProperties"]!, path + ".*", kind: kind, into: &fields)
        }
    }

    private static func typeName(_ node: JSONValue) -> String {
        if node["x-kubernetes-int-or-string"]?.boolValue == true { return "int or string" }
        guard let type = node["type"]?.stringValue else { return "any" }
        if type == "array", let items = node["items"]?["type"]?.stringValue { return "[\(items)]" }
        if type == "object", let values = node["additionalProperties"]?["type"]?.stringValue { return "map of \(values)" }
        return type
    }

    /// The table entry that accounts for a schema field: its own, or a subtree's above it.
    public static func entry(for field: SchemaField) -> FlaggerField? {
        rule(kind: field.kind, path: field.path.replacingOccurrences(of: "[]", with: "[0]").replacingOccurrences(of: ".*", with: ".key"))
            .flatMap { $0.path == field.path || $0.subtree ? $0 : nil }
    }

    /// `docs/flagger-fields.md`: every field of the schemas, what Serin does
    /// with it, and the counts.
    public static func markdown(for fields: [SchemaField]) -> String {
        var counts: [String: Int] = [:]
        var rows: [String: [String]] = [:]
        for field in fields {
            guard let entry = entry(for: field) else { continue }
            counts[entry.use.word, default: 0] += 1
            let inherited = entry.path != field.path ? " (as `\(entry.path)`)" : ""
            var text = inherited.isEmpty ? entry.use.reason : "see `\(entry.path)`"
            if inherited.isEmpty {
                for variant in entry.variants {
                    text += "<br>**\(variant.use.word)** with \(variant.when.joined(separator: ", ")): \(variant.use.reason)"
                }
            }
            rows[field.kind, default: []].append("| `\(field.path)` | \(field.type) | \(entry.use.word)\(inherited) | \(escape(text)) |")
        }
        var lines = [
            "# Flagger \(flaggerVersion)'s fields in Serin",
            "",
            "Generated from Flagger \(flaggerVersion)'s CRD schema (`artifacts/flagger/crd.yaml`) and `FlaggerFields`",
            "(`Sources/SerinSpec/Validation/FlaggerFields.swift`) by `FlaggerFieldTableTests`, which fails when a field of the",
            "schema is not accounted for, or when this file is not what the table generates",
            "(`SERIN_UPDATE_DOCS=1 swift test --filter FlaggerFieldTableTests` writes it).",
            "",
            "What each word means, on the Kubernetes platform (`platform: kubernetes`):",
            "",
            "* **honoured**: Serin does what Flagger does with the field (or what the text says);",
            "* **refused**: `serin validate` and the source's status report an error at the field's file:line:column, with the reason, "
                + "and the revision is not applied;",
            "* **warned**: accepted, with a warning at the field's position saying it is not used, and why.",
            "",
            "A use that depends on the Canary's router (`gatewayapi`, `nginx`, `kubernetes`), its autoscaler's kind, a template's",
            "provider type or an alert provider's type is given after the main one. On the local platform the fields of",
            "Kubernetes objects are warned as unused (`serin validate` says which).",
            "",
            "| | honoured | refused | warned | fields |",
            "|---|---|---|---|---|",
            "| total | \(counts["honoured"] ?? 0) | \(counts["refused"] ?? 0) | \(counts["warned"] ?? 0) | \(fields.count) |",
        ]
        for kind in ["Canary", "MetricTemplate", "AlertProvider"] where rows[kind] != nil {
            lines += ["", "## \(kind)", "", "| field | type | use | how, or why not |", "|---|---|---|---|"] + rows[kind]!
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }
}
