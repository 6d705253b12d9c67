import Foundation
import Testing
@testable import SerinTemplate

/// A bounded, seeded fuzz run over the parser and the executor: templates
/// built from fragments of the language and random bytes never crash,
/// never run past their limits, and render the same twice.
@Suite("Template fuzzing")
struct TemplateFuzzTests {
    /// SplitMix64: the same seed gives the same run.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    static let fragments = [
        "{{", "}}", "{{-", "-}}", " ", "\n", ".", ".X", ".Values", ".a.b", "$", "$x", "$x :=", "$x =", ":=", "|", "(", ")",
        "if", "else", "else if", "end", "range", "with", "define \"t\"", "template \"t\"", "block \"b\" .", "break", "continue",
        "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "slice", "print", "printf \"%v %d %q %s\"",
        "println", "html", "js", "urlquery", "call", "nil", "true", "false", "1", "-2", "3.5", "0x1F", "1e3", "'a'", "1+2i",
        "\"str\"", "`raw`", "/* c */", "{{/* c */}}", "{{ range $i, $v := . }}", "{{ end }}", "{{ if . }}", "{{ . }}",
        "{{ range 5 }}{{ . }}{{ end }}", "{{ with .a }}{{ .b }}{{ end }}",
    ]

    static func template(_ random: inout Random) -> String {
        var text = ""
        for _ in 0..<(1 + random.below(24)) {
            switch random.below(10) {
            case 0: text += String(UnicodeScalar(UInt8(random.below(128))))
            case 1: text += "{{ " + random.pick(fragments) + " " + random.pick(fragments) + " }}"
            default: text += random.pick(fragments)
            }
        }
        return text
    }

    static let data: Value = .dictionary([
        "a": .dictionary(["b": .string("x"), "c": .array([.float64(1), .float64(2)])]),
        "Values": .dictionary(["n": .float64(3), "s": .string("y"), "none": .null]),
        "X": .int(7),
    ])

    @Test func parserAndExecutorSurviveRandomTemplates() throws {
        var random = Random(state: 0x5E21_4E17)
        let options = ExecutionOptions(missingKey: .zero, maximumDepth: 50, maximumSteps: 20_000, maximumOutput: 1 << 16)
        var parsed = 0
        var executed = 0
        let started = Date()
        for _ in 0..<3_000 {
            let text = Self.template(&random)
            var set = TemplateSet(options: options)
            do {
                try set.parse(name: "fuzz", text: text)
                parsed += 1
            } catch is ParseError {
                continue
            }
            let first = Result { try set.execute("fuzz", data: Self.data) }
            let second = Result { try set.execute("fuzz", data: Self.data) }
            switch (first, second) {
            case (.success(let a), .success(let b)):
                #expect(a == b, "\(text.debugDescription) rendered differently twice")
                #expect(a.utf8.count <= options.maximumOutput)
                executed += 1
            case (.failure(let a), .failure(let b)):
                #expect("\(a)" == "\(b)")
                #expect(a is ExecError, "\(text.debugDescription): \(a)")
            default:
                Issue.record("\(text.debugDescription) succeeded once and failed once")
            }
        }
        print("fuzz: 3000 templates, \(parsed) parsed, \(executed) rendered, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(parsed > 100)
    }
}
