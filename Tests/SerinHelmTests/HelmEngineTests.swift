import Foundation
import SerinHelm
import SerinSpec
import SerinTemplate
import Testing

/// Helm's pkg/engine tests (engine_test.go, funcs_test.go, files_test.go),
/// their tables written out here as data.
@Suite("Helm's engine tests")
struct HelmEngineTests {
    static func render(_ template: String, _ data: Value) throws -> String {
        var set = TemplateSet(functions: HelmFunctions.table(), options: ExecutionOptions(missingKey: .zero))
        try set.parse(name: "test", text: template)
        return try set.execute("test", data: data)
    }

    /// funcs_test.go TestFuncs (the TOML and toYamlPretty rows are not run: not supported).
    static let funcs: [(template: String, expect: String, data: Value)] = [
        ("{{ toYaml . }}", "foo: bar", .dictionary(["foo": .string("bar")])),
        ("{{ toJson . }}", #"{"foo":"bar"}"#, .dictionary(["foo": .string("bar")])),
        ("{{ fromYaml . }}", "map[hello:world]", .string("hello: world")),
        ("{{ fromYamlArray . }}", "[one 2 map[name:helm]]", .string("- one\n- 2\n- name: helm\n")),
        ("{{ fromYamlArray . }}", "[one 2 map[name:helm]]", .string(#"["one", 2, { "name": "helm" }]"#)),
        ("{{ fromYaml . }}", "map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]", .string("- one\n- two\n")),
        ("{{ fromJson .}}", "map[hello:world]", .string(#"{"hello":"world"}"#)),
        ("{{ fromJson . }}", "map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]", .string(#"["one", "two"]"#)),
        ("{{ fromJsonArray . }}", "[one 2 map[name:helm]]", .string(#"["one", 2, { "name": "helm" }]"#)),
        ("{{ fromJsonArray . }}", "[json: cannot unmarshal object into Go value of type []interface {}]", .string(#"{"hello": "world"}"#)),
        ("{{ merge .dict (fromYaml .yaml) }}", "map[a:map[b:c]]",
         .dictionary(["dict": .dictionary(["a": .dictionary(["b": .string("c")])]), "yaml": .string(#"{"a":{"b":"d"}}"#)])),
        ("{{ merge (fromYaml .yaml) .dict }}", "map[a:map[b:d]]",
         .dictionary(["dict": .dictionary(["a": .dictionary(["b": .string("c")])]), "yaml": .string(#"{"a":{"b":"d"}}"#)])),
        ("{{ fromYaml . }}", "map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]", .string(#"["one", "two"]"#)),
        ("{{ fromYamlArray . }}", "[error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}]", .string("hello: world")),
        (#"{{ lookup "v1" "Namespace" "" "unlikelynamespace99999999" }}"#, "map[]", .string(#"["one", "two"]"#)),
    ]

    @Test func funcsTable() throws {
        var failures: [String] = []
        for row in Self.funcs {
            let output = (try? Self.render(row.template, row.data)) ?? "<error>"
            if output != row.expect { failures.append("\(row.template): got \(output.debugDescription) want \(row.expect.debugDescription)") }
        }
        print("Helm funcs_test.go TestFuncs: \(Self.funcs.count - failures.count) of \(Self.funcs.count) (TOML rows and toYamlPretty not run)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func execErrors() throws {
        let cases: [(name: String, template: String, expected: String)] = [
            ("missing_required", #"{{required "foo is required" .Values.foo}}"#, "execution error at (missing_required:1:2): foo is required"),
            ("missing_required_with_colons", #"{{required ":this: message: has many: colons:" .Values.foo}}"#,
             "execution error at (missing_required_with_colons:1:2): :this: message: has many: colons:"),
            ("issue6044", "{{ $someEmptyValue := \"\" }}\n{{ $myvar := \"abc\" }}\n{{- required (printf \"%s: something is missing\" $myvar) $someEmptyValue | repeat 0 }}",
             "execution error at (issue6044:3:4): abc: something is missing"),
            ("issue9981", "{{required \"foo is required\\nmore info after the break\" .Values.foo}}",
             "execution error at (issue9981:1:2): foo is required\nmore info after the break"),
            ("failtpl", #"All your base are belong to us{{ fail "This is an error" }}"#, "execution error at (failtpl:1:33): This is an error"),
        ]
        for test in cases {
            #expect(throws: (any Error).self) { try HelmEngine().render(templates: [test.name: test.template], data: ValueMap(["Values": .dictionary([:])])) }
            do {
                _ = try HelmEngine().render(templates: [test.name: test.template], data: ValueMap(["Values": .dictionary([:])]))
            } catch {
                #expect("\(error)" == test.expected)
            }
        }
        do {
            _ = try HelmEngine().render(templates: ["undefined_function": "{{foo}}"], data: ValueMap(["Values": .dictionary([:])]))
            Issue.record("no parse error")
        } catch {
            #expect("\(error)" == #"parse error at (undefined_function:1): function "foo" not defined"#)
        }
    }

    /// engine_test.go TestRender.
    @Test func renderChart() throws {
        let files = InMemoryFiles([
            "moby/Chart.yaml": "apiVersion: v2\nname: moby\nversion: 1.2.3\n",
            "moby/values.yaml": "outer: DEFAULT\ninner: DEFAULT\n",
            "moby/templates/test1": "{{.Values.outer | title }} {{.Values.inner | title}}",
            "moby/templates/test2": "{{.Values.global.callme | lower }}",
            "moby/templates/test3": "{{.noValue}}",
            "moby/templates/test4": "{{toJson .Values}}",
        ])
        let chart = try ChartLoader(files: files).load("moby")
        let values = ValueMap(["outer": .string("spouter"), "inner": .string("inn"), "global": .dictionary(["callme": .string("Ishmael")])])
        let (prepared, coalesced) = try ChartValues.prepare(chart, values: values)
        let out = try HelmEngine().render(prepared, values: coalesced, release: HelmReleaseInfo(name: "r", namespace: "d"), capabilities: .helmDefault)
        #expect(out["moby/templates/test1"] == "Spouter Inn")
        #expect(out["moby/templates/test2"] == "ishmael")
        #expect(out["moby/templates/test3"] == "")
        #expect(out["moby/templates/test4"] == #"{"global":{"callme":"Ishmael"},"inner":"inn","outer":"spouter"}"#)
    }

    /// files_test.go.
    @Test func files() throws {
        let files = InMemoryFiles([
            "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
            "c/story/name1.txt": "The Secret Life of Walter Mitty",
            "c/story/name2.txt": "The Secret Lives of Dogs",
            "c/story/author.txt": "Joseph Campbell",
            "c/multiline/test.txt": "bar\nfoo\n",
            "c/multiline/test_with_blank_lines.txt": "bar\nfoo\n\n\n",
            "c/templates/config.yaml": "{{ (.Files.Glob \"story/**\").AsConfig }}",
            "c/templates/secret.yaml": "{{ (.Files.Glob \"story/**\").AsSecrets }}",
            "c/templates/lines.yaml": "{{ range .Files.Lines \"multiline/test.txt\" }}[{{ . }}]{{ end }}|{{ len (.Files.Lines \"multiline/test_with_blank_lines.txt\") }}|{{ len (.Files.Lines \"missing\") }}",
            "c/templates/get.yaml": "{{ .Files.Get \"story/author.txt\" }}",
        ])
        let chart = try ChartLoader(files: files).load("c")
        let (prepared, coalesced) = try ChartValues.prepare(chart, values: ValueMap())
        let out = try HelmEngine().render(prepared, values: coalesced, release: HelmReleaseInfo(name: "r", namespace: "d"), capabilities: .helmDefault)
        #expect(out["c/templates/config.yaml"] == "author.txt: Joseph Campbell\nname1.txt: The Secret Life of Walter Mitty\nname2.txt: The Secret Lives of Dogs")
        #expect(out["c/templates/secret.yaml"] == "author.txt: Sm9zZXBoIENhbXBiZWxs\nname1.txt: VGhlIFNlY3JldCBMaWZlIG9mIFdhbHRlciBNaXR0eQ==\nname2.txt: VGhlIFNlY3JldCBMaXZlcyBvZiBEb2dz")
        #expect(out["c/templates/lines.yaml"] == "[bar][foo]|4|0")
        #expect(out["c/templates/get.yaml"] == "Joseph Campbell")
    }
}

/// engine_test.go's tpl and error-trace tests.
@Suite("Helm's engine tests: tpl and traces")
struct HelmEngineTraceTests {
    static let data = ValueMap(["Values": .dictionary(["value": .string("myvalue")]), "Release": .dictionary(["Name": .string("TestRelease")])])

    @Test func tpl() throws {
        let engine = HelmEngine()
        #expect(try engine.render(templates: ["TplFunction/templates/base": #"Evaluate tpl {{tpl "Value: {{ .Values.value}}" .}}"#], data: Self.data)
            == ["TplFunction/templates/base": "Evaluate tpl Value: myvalue"])
        #expect(try engine.render(templates: ["TplFunction/templates/base": #"Evaluate tpl {{tpl "Value: {{ .Values.value | quote}}" .}}"#], data: Self.data)
            == ["TplFunction/templates/base": "Evaluate tpl Value: \"myvalue\""])
        #expect(try engine.render(templates: [
            "TplFunction/templates/base": "{{ tpl \"{{include `TplFunction/templates/_partial` .  | quote }}\" .}}",
            "TplFunction/templates/_partial": "{{.Template.Name}}",
        ], data: Self.data) == ["TplFunction/templates/base": "\"TplFunction/templates/base\""])
        #expect(try engine.render(templates: ["TplMissingKey/templates/manifest": #"missingValue: {{tpl "{{.Values.noSuchKey}}" .}}"#],
                                  data: ValueMap(["Values": .dictionary([:])])) == ["TplMissingKey/templates/manifest": "missingValue: "])
        #expect(throws: HelmRenderError.self) {
            try HelmEngine(strict: true).render(templates: ["TplMissingKeyStrict/templates/manifest": #"missingValue: {{tpl "{{.Values.noSuchKey}}" .}}"#],
                                                data: ValueMap(["Values": .dictionary([:])]))
        }
    }

    @Test func nestedHelpersProduceAMultilineStacktrace() throws {
        do {
            _ = try HelmEngine().render(templates: [
                "NestedHelperFunctions/templates/svc.yaml": #"name: {{ include "nested_helper.name" . }}"#,
                "NestedHelperFunctions/templates/_helpers_1.tpl": #"{{- define "nested_helper.name" -}}{{- include "common.names.get_name" . -}}{{- end -}}"#,
                "NestedHelperFunctions/charts/common/templates/_helpers_2.tpl": #"{{- define "common.names.get_name" -}}{{- .Values.nonexistant.key | trunc 63 | trimSuffix "-" -}}{{- end -}}"#,
            ], data: ValueMap(["Values": .dictionary([:])]))
            Issue.record("no error")
        } catch {
            #expect("\(error)" == """
            NestedHelperFunctions/templates/svc.yaml:1:9
              executing "NestedHelperFunctions/templates/svc.yaml" at <include "nested_helper.name" .>:
                error calling include:
            NestedHelperFunctions/templates/_helpers_1.tpl:1:39
              executing "nested_helper.name" at <include "common.names.get_name" .>:
                error calling include:
            NestedHelperFunctions/charts/common/templates/_helpers_2.tpl:1:49
              executing "common.names.get_name" at <.Values.nonexistant.key>:
                nil pointer evaluating interface {}.key
            """)
        }
    }

    @Test func multilineNoTemplateAssociatedError() throws {
        do {
            _ = try HelmEngine().render(templates: [
                "multiline/templates/svc.yaml": #"name: {{ include "nested_helper.name" . }}"#,
                "multiline/templates/test.yaml": "{{ toYaml .Values }}",
                "multiline/charts/common/templates/_helpers_2.tpl": "{{ toYaml .Values }}",
            ], data: ValueMap(["Values": .dictionary([:])]))
            Issue.record("no error")
        } catch {
            #expect("\(error)" == """
            multiline/templates/svc.yaml:1:9
              executing "multiline/templates/svc.yaml" at <include "nested_helper.name" .>:
                error calling include:
            template: no template "nested_helper.name" associated with template "gotpl"
            """)
        }
    }
}
