import Foundation
import SerinHelm
import SerinTemplate
import Testing

/// `toYaml` and `toJson` against what Helm prints: 400 seeded random values
/// written by Go's `encoding/json` and go-yaml v2 as sigs.k8s.io/yaml
/// combines them (scripts/helm/yaml-cases.sh), and Helm's own examples.
@Suite("toYaml and toJson as Helm prints them")
struct YAMLEncodingTests {
    struct Case: Decodable {
        var input: String
        var yaml: String
        var json: String
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func goCases() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("yaml-cases.json")))
        var failures: [String] = []
        for test in cases {
            let value = try GoJSON.decode(test.input)
            var yaml = try GoYAMLEncoder.encode(value)
            if yaml.hasSuffix("\n") { yaml.removeLast() }
            if yaml != test.yaml { failures.append("toYaml \(test.input):\n--- got\n\(yaml)\n--- want\n\(test.yaml)") }
            let json = try GoJSON.encode(value)
            if json != test.json { failures.append("toJson \(test.input): got \(json)") }
        }
        print("toYaml/toJson Go cases: \(cases.count * 2 - failures.count) of \(cases.count * 2)")
        #expect(failures.isEmpty, "\(failures.prefix(10).joined(separator: "\n\n"))")
    }

    @Test func valuesReadAsHelmReadsThem() throws {
        let values = try GoYAML.decodeValues("""
        a: 1
        b: 1.0
        c: yes
        d: "yes"
        e: 010
        f: 0x1F
        g: 2024-01-02
        h: ~
        i: 1e3
        j: on
        k: [1, two]
        """)
        #expect(GoFormatter.string(.map(values)) == "map[a:1 b:1 c:true d:yes e:8 f:31 g:2024-01-02 h:<nil> i:1000 j:true k:[1 two]]")
        #expect(values["a"]?.typeName == "float64")
    }
}
