import Foundation
import Testing
@testable import SerinSpec

/// Every field of Flagger 1.44's CRD schema (Fixtures/flagger-crd/crd.yaml,
/// verbatim) is in `FlaggerFields`; `docs/flagger-fields.md` is the table
/// generated from both; and each refused or warned field is reported by
/// the validator at its own position, with the right severity.
@Suite struct FlaggerFieldTableTests {
    static let crdPath = Fixtures.root + "/flagger-crd/crd.yaml"
    static let docsPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/flagger-fields.md").path

    static let schema: [FlaggerFields.SchemaField] = {
        let manifests = ManifestLoader().load(paths: [crdPath])
        return FlaggerFields.schemaFields(of: manifests.plain.map(\.spec))
    }()

    @Test func theSchemaIsFlaggers() {
        let kinds = Set(Self.schema.map(\.kind))
        #expect(kinds == ["Canary", "MetricTemplate", "AlertProvider"])
        #expect(Self.schema.count > 250, "\(Self.schema.count) fields")
    }

    @Test func everyFieldOfTheSchemaIsAccountedFor() {
        let missing = Self.schema.filter { FlaggerFields.entry(for: $0) == nil }.map { "\($0.kind) \($0.path)" }
        #expect(missing.isEmpty, "fields of Flagger \(FlaggerFields.flaggerVersion)'s CRD that FlaggerFields does not account for:\n\(missing.joined(separator: "\n"))")
    }

    @Test func everyEntryIsAFieldOfTheSchema() {
        let known = Set(Self.schema.map { "\($0.kind) \($0.path)" })
        let stale = FlaggerFields.all.map { "\($0.kind) \($0.path)" }.filter { !known.contains($0) }
        #expect(stale.isEmpty, "entries for fields the CRD does not have: \(stale)")
    }

    @Test func theDocsTableIsTheGeneratedOne() throws {
        let generated = FlaggerFields.markdown(for: Self.schema)
        if ProcessInfo.processInfo.environment["SERIN_UPDATE_DOCS"] == "1" {
            try generated.write(toFile: Self.docsPath, atomically: true, encoding: .utf8)
        }
        let written = try String(contentsOfFile: Self.docsPath, encoding: .utf8)
        #expect(written == generated, "docs/flagger-fields.md is stale: run SERIN_UPDATE_DOCS=1 swift test --filter FlaggerFieldTableTests")
        print(generated.split(separator: "\n").first { $0.hasPrefix("| total") } ?? "")
    }

    /// One refused or warned use of one field, in the setting that makes it so.
    struct Case: CustomTestStringConvertible, Sendable {
        var field: FlaggerFields.SchemaField
        var use: FieldUse
        var setting: String?
        var testDescription: String { "\(field.kind) \(field.path)\(setting.map { " with \($0)" } ?? "")" }
    }

    static let cases: [Case] = {
        var cases: [Case] = []
        for field in schema {
            guard let entry = FlaggerFields.entry(for: field), entry.path == field.path else { continue }
            if case .honoured = entry.use {} else { cases.append(Case(field: field, use: entry.use, setting: nil)) }
            for variant in entry.variants {
                if case .honoured = variant.use { continue }
                cases.append(Case(field: field, use: variant.use, setting: variant.when[0]))
            }
        }
        return cases
    }()

    @Test(arguments: cases)
    func aRefusedOrWarnedFieldIsReportedAtItsPosition(_ test: Case) throws {
        var document = Self.base(test.field.kind, setting: test.setting)
        Self.set(&document, path: test.field.path.split(separator: ".").map(String.init), Self.sample(test.field.type))
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        let text = String(decoding: data, as: UTF8.self)
        let diagnostics = Validator(platform: .kubernetes).validate(ManifestLoader().load(text: text, file: "field.yaml"))
        // A subtree whose top is not used in this setting is reported at its top.
        let reported = Self.reportingPath(test.field, setting: test.setting)
        let display = reported.replacingOccurrences(of: "spec.", with: "", options: .anchored).replacingOccurrences(of: "[]", with: "[0]")
            .replacingOccurrences(of: ".*", with: ".key")
        let line = Self.line(of: reported, in: text)
        let found = diagnostics.filter { $0.message.hasPrefix(display + " ") && $0.position.line == line }
        switch test.use {
        case .refused(let why):
            #expect(found.contains { $0.severity == .error && $0.message.contains(why) }, "\(diagnostics)\n\(text)")
        case .warned(let why):
            #expect(found.contains { $0.severity == .warning && $0.message.contains(why) }, "\(diagnostics)\n\(text)")
        case .honoured:
            Issue.record("not a refused or warned case")
        }
    }

    /// The field itself, or its nearest ancestor whose use in this setting
    /// is not honoured (the validator reports a subtree once, at its top).
    static func reportingPath(_ field: FlaggerFields.SchemaField, setting: String?) -> String {
        var prefix = ""
        for component in field.path.split(separator: ".") {
            prefix += prefix.isEmpty ? String(component) : "." + component
            // A list is reported where it is written, not at its items.
            for candidate in prefix.hasSuffix("[]") ? [String(prefix.dropLast(2)), prefix] : [prefix] {
                let ancestor = schema.first { $0.kind == field.kind && $0.path == candidate }
                guard let ancestor, let entry = FlaggerFields.entry(for: ancestor), entry.path == candidate else { continue }
                if case .honoured = setting.map({ entry.use(for: $0) }) ?? entry.use {} else { return candidate }
            }
        }
        return field.path
    }

    /// An honoured field draws no "not used" warning.
    @Test func anHonouredFieldDrawsNoWarning() throws {
        var document = Self.base("Canary", setting: nil)
        Self.set(&document, path: ["spec", "service", "hosts"], ["app.example.com"])
        Self.set(&document, path: ["spec", "service", "timeout"], "5s")
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted])
        let diagnostics = Validator(platform: .kubernetes).validate(ManifestLoader().load(text: String(decoding: data, as: UTF8.self), file: "f.yaml"))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    static func base(_ kind: String, setting: String?) -> [String: Any] {
        let metadata: [String: Any] = ["name": "web", "namespace": "test"]
        switch kind {
        case "MetricTemplate":
            return ["apiVersion": "flagger.app/v1beta1", "kind": kind, "metadata": metadata,
                    "spec": ["provider": ["type": setting ?? "prometheus", "address": "http://prometheus:9090"], "query": "up"]]
        case "AlertProvider":
            return ["apiVersion": "flagger.app/v1beta1", "kind": kind, "metadata": metadata,
                    "spec": ["type": setting ?? "slack", "address": "https://hooks.example.com/x"]]
        default:
            var spec: [String: Any] = [
                "provider": "gatewayapi:v1",
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                "service": ["port": 80, "gatewayRefs": [["name": "gw", "namespace": "gateways"]]],
                "analysis": ["interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10],
            ]
            switch setting {
            case "nginx", "kubernetes": spec["provider"] = setting
            case "HorizontalPodAutoscaler": spec["autoscalerRef"] = ["apiVersion": "autoscaling/v2", "kind": setting!, "name": "web"]
            default: break
            }
            return ["apiVersion": "flagger.app/v1beta1", "kind": kind, "metadata": metadata, "spec": spec]
        }
    }

    static func sample(_ type: String) -> Any {
        switch type {
        case "string", "int or string": return "x"
        case "integer", "number": return 1
        case "boolean": return true
        case "[string]": return ["x"]
        case "[object]": return [[String: Any]()]
        case "map of string": return ["key": "x"]
        default: return [String: Any]()
        }
    }

    /// Sets a schema path in a JSON object: `[]` is a list of one item, `*` the key `key`.
    static func set(_ object: inout [String: Any], path: [String], _ value: Any) {
        guard let head = path.first else { return }
        let rest = Array(path.dropFirst())
        if head.hasSuffix("[]") {
            let name = String(head.dropLast(2))
            var item = ((object[name] as? [Any])?.first as? [String: Any]) ?? [:]
            if rest.isEmpty { object[name] = [value]; return }
            set(&item, path: rest, value)
            object[name] = [item]
        } else if head == "*" {
            var child = object["key"] as? [String: Any] ?? [:]
            if rest.isEmpty { object["key"] = value; return }
            set(&child, path: rest, value)
            object["key"] = child
        } else if rest.isEmpty {
            object[head] = value
        } else {
            var child = object[head] as? [String: Any] ?? [:]
            set(&child, path: rest, value)
            object[head] = child
        }
    }

    /// The line of the field's key in the pretty-printed JSON: the first
    /// line holding the last component after the lines of its ancestors.
    static func line(of path: String, in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        for component in path.replacingOccurrences(of: "[]", with: "").split(separator: ".") {
            let key = component == "*" ? "key" : String(component)
            guard let found = lines[index...].firstIndex(where: { $0.contains("\"\(key)\" :") }) else { return nil }
            index = found
        }
        return index + 1
    }

    /// The validator's answers are remembered by path without list
    /// indices: each is the answer of matching the path as written against
    /// the whole table, for indices, map keys with dots and brackets, and
    /// subtree entries alike.
    @Test func aRememberedAnswerIsTheTablesAnswerForThePathAsWritten() {
        #expect(FlaggerFields.withoutIndices("spec.analysis.metrics[12].thresholdRange.min") == "spec.analysis.metrics[].thresholdRange.min")
        #expect(FlaggerFields.withoutIndices("spec.service.headers.request.add.x[y]") == "spec.service.headers.request.add.x[y]")
        #expect(FlaggerFields.withoutIndices("spec.a[1") == "spec.a[1")
        let paths: [(String, String)] = Self.schema.map { field in
            (field.kind, field.path.replacingOccurrences(of: "[]", with: "[3]").replacingOccurrences(of: "*", with: "some.key[7]"))
        } + [
            ("Canary", "spec.analysis.match[0].headers.x-canary.exact"), ("Canary", "spec.analysis.match[10].headers.x.y.z.regex"),
            ("Canary", "spec.service.apex.labels.app.kubernetes.io/name"), ("Canary", "spec.analysis.webhooks[2].metadata.cmd"),
            ("Canary", "spec.notAField"), ("MetricTemplate", "spec.provider.secretRef.name"), ("AlertProvider", "spec.nothing[0]"),
        ]
        for (kind, path) in paths {
            let direct = FlaggerFields.all.filter { $0.kind == kind && $0.matches(path) }.max { $0.path.count < $1.path.count }
            for _ in 0..<2 {  // computed, then remembered
                let found = FlaggerFields.lookUp(kind: kind, path: path)
                #expect(found?.field == direct, "\(kind) \(path)")
                #expect(found?.isItsField == direct.map { FlaggerField(kind, $0.path, $0.use).matches(path) }, "\(kind) \(path)")
            }
        }
    }
}
