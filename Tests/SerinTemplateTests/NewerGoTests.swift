import Testing
@testable import SerinTemplate

/// What Go's text/template gained after Go 1.19 (the tables above are
/// 1.19's) and Helm's Go has: range over an integer (1.22), `{{else with}}`
/// (1.23), and the stages tested alone.
@Suite("Go text/template after 1.19")
struct NewerGoTests {
    static func run(_ text: String, _ data: Value = .missing) throws -> String {
        var set = TemplateSet()
        try set.parse(name: "t", text: text)
        return try set.execute("t", data: data)
    }

    @Test func rangeOverInteger() throws {
        #expect(try Self.run("{{range 5}}{{.}}{{end}}") == "01234")
        #expect(try Self.run("{{range $i := 3}}<{{$i}}>{{end}}") == "<0><1><2>")
        #expect(try Self.run("{{range 0}}x{{else}}none{{end}}") == "none")
        #expect(try Self.run("{{range 10}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}") == "012")
        #expect(throws: ExecError.self) { try Self.run("{{range $i, $j := 3}}{{end}}") }
    }

    @Test func elseWith() throws {
        #expect(try Self.run("{{with false}}a{{else with 7}}{{.}}{{end}}") == "7")
        #expect(try Self.run("{{with false}}a{{else with 0}}b{{else}}c{{end}}") == "c")
    }

    @Test func lexerAlone() {
        let kinds = Lexer.tokens("a{{- .X | printf \"%d\" -}} b").map(\.kind)
        #expect(kinds == [.text, .leftDelim, .field, .space, .pipe, .space, .identifier, .space, .string, .rightDelim, .text, .eof])
    }

    @Test func parserAlone() throws {
        let trees = try Parser.parse(name: "t", text: "{{define \"x\"}}{{.}}{{end}}{{if .A}}{{template \"x\" .B}}{{else if .C}}c{{end}}") { _ in false }
        #expect(trees["x"]?.root.map { Node.list($0).description } == "{{.}}")
        #expect(trees["t"]?.root.map { Node.list($0).description } == "{{if .A}}{{template \"x\" .B}}{{else}}{{if .C}}c{{end}}{{end}}")
    }

    @Test func executorAlone() throws {
        var set = TemplateSet()
        try set.parse(name: "t", text: "{{ .a.b }}|{{ .missing }}|{{ index .list 1 }}|{{ printf \"%05.1f|%-4s|%x|%q\" 3.14159 \"ab\" 255 \"q\" }}")
        let data = Value.dictionary(["a": .dictionary(["b": .float64(1e6)]), "list": .array([.string("x"), .string("y")])])
        #expect(try set.execute("t", data: data) == "1e+06|<no value>|y|003.1|ab  |ff|\"q\"")
        set.options.missingKey = .zero
        #expect(throws: ExecError.self) { try set.execute("t", data: .dictionary(["a": .null])) }
    }
}
