import Foundation
import Testing
@testable import SerinTemplate

/// Go's own text/template test tables (lex_test.go, parse_test.go,
/// exec_test.go, multi_test.go of Go 1.19, the Go installed here), run
/// against SerinTemplate. Each table prints its pass count and every
/// skipped case with its reason; a case that neither passes nor is
/// skipped fails the test.
@Suite("Go's text/template tables")
struct GoTableTests {
    /// Cases of exec_test.go that Serin's value model cannot express, and why.
    static let skippedExec: [String: String] = [
        "range count": "Go channels: templates over Helm's values never see one",
        "range nil count": "Go channels",
        "Interface Call": "a *bytes.Buffer passed where a Go fmt.Stringer interface is declared",
        ".NilOKFunc not nil": "a *int argument: Serin reads Go pointers to basic values as the values",
        "len(s) < indexes < cap(s)": "slicing past a Go slice's length into its capacity: Serin's lists have no spare capacity",
    ]

    @Test func lexer() throws {
        let cases = try GoTables.load("lex.json", as: [GoTables.LexCase].self)
        var passed = 0
        var failures: [String] = []
        for test in cases {
            let tokens = Lexer.tokens(test.input, leftDelim: test.left, rightDelim: test.right, emitComment: true)
            let mine = tokens.map { GoTables.LexItem(kind: $0.kind.goName, value: $0.value, pos: $0.position, line: $0.line) }
            if mine == test.actual {
                passed += 1
            } else {
                failures.append("\(test.name): got \(mine) want \(test.actual)")
            }
        }
        print("Go lex_test.go: \(passed) of \(cases.count) passed")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func numbers() throws {
        let cases = try GoTables.load("numbers.json", as: [GoTables.NumberCase].self)
        var passed = 0
        var failures: [String] = []
        for test in cases {
            let kind: Token.Kind = test.text.hasPrefix("'") ? .charConstant : (test.isComplex && test.text.dropFirst().contains(where: { $0 == "+" || $0 == "-" }) && !test.text.contains("e") ? .complex : .number)
            let node = try? NumberNode.parse(test.text, kind: kind, position: 0)
            let ok = test.isInt || test.isUint || test.isFloat || test.isComplex
            guard let node else {
                if !ok { passed += 1 } else { failures.append("\(test.text): no number") }
                continue
            }
            var same = node.isInt == test.isInt && node.isUint == test.isUint && node.isFloat == test.isFloat && node.isComplex == test.isComplex
            if test.isInt { same = same && node.int64 == test.int64 }
            if test.isUint { same = same && node.uint64 == test.uint64 }
            if test.isFloat { same = same && node.float64 == test.float64 }
            if test.isComplex { same = same && node.complex.real == test.real && node.complex.imaginary == test.imaginary }
            if same && ok { passed += 1 } else { failures.append("\(test.text): \(node) want \(test)") }
        }
        print("Go parse_test.go numberTests: \(passed) of \(cases.count) passed")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    static let parseFunctions: Set<String> = ["printf", "contains"]

    @Test func parser() throws {
        let cases = try GoTables.load("parse.json", as: [GoTables.ParseCase].self)
        var passed = 0
        var failures: [String] = []
        for test in cases {
            let name = test.name
            do {
                let trees = try Parser.parse(name: name, text: test.input) { Self.parseFunctions.contains($0) }
                let printed = trees[name]?.root.map { Node.list($0).printed(quoteText: true) } ?? ""
                if test.error.isEmpty && printed == test.actual {
                    passed += 1
                } else {
                    failures.append("\(test.name): got \(printed.debugDescription) want \(test.error.isEmpty ? test.actual.debugDescription : "error " + test.error)")
                }
            } catch {
                if "\(error)" == test.error {
                    passed += 1
                } else {
                    failures.append("\(test.name): error \(String(describing: error).debugDescription) want \(test.error.isEmpty ? test.actual.debugDescription : test.error.debugDescription)")
                }
            }
        }
        print("Go parse_test.go parseTests+errorTests: \(passed) of \(cases.count) passed (errors word for word)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// One exec case: passes when Go printed the same, or when both failed.
    /// Returns nil on a pass, else why not; `exactError` says whether the error texts are the same.
    static func run(_ test: GoTables.ExecCase, set base: TemplateSet) -> (failure: String?, exactError: Bool) {
        guard let data = GoFixtures.data(test.data) else { return ("data not expressible", false) }
        var set = base
        do {
            try set.parse(name: test.name, text: test.input)
            let output = try set.execute(test.name, data: data)
            if !test.goError.isEmpty { return ("got \(output.debugDescription), Go failed: \(test.goError)", false) }
            if output != test.goOutput { return ("got \(output.debugDescription) want \(test.goOutput.debugDescription)", false) }
            return (nil, false)
        } catch {
            if test.goError.isEmpty { return ("error \(error), Go printed \(test.goOutput.debugDescription)", false) }
            return (nil, "\(error)" == test.goError)
        }
    }

    static func runTable(_ label: String, _ cases: [GoTables.ExecCase], set: TemplateSet, skipped: [String: String]) -> [String] {
        var passed = 0
        var exact = 0
        var errors = 0
        var failures: [String] = []
        var skippedHere: [String] = []
        var mismatchedErrors: [String] = []
        for test in cases {
            if let reason = skipped[test.name] {
                skippedHere.append("  \(test.name): \(reason)")
                continue
            }
            let (failure, exactError) = run(test, set: set)
            if let failure {
                failures.append("\(test.name) \(test.input.debugDescription): \(failure)")
                continue
            }
            passed += 1
            if !test.goError.isEmpty {
                errors += 1
                if exactError { exact += 1 } else {
                    var set = set
                    let mine = (try? set.parse(name: test.name, text: test.input)).flatMap { _ in
                        Result { try set.execute(test.name, data: GoFixtures.data(test.data) ?? .missing) }.failureDescription
                    } ?? "parse"
                    mismatchedErrors.append("  \(test.name)\n    go:   \(test.goError)\n    mine: \(mine)")
                }
            }
        }
        print("\(label): \(passed) passed, \(failures.count) failed, \(skippedHere.count) skipped of \(cases.count); of \(errors) error cases \(exact) word for word")
        if !skippedHere.isEmpty { print("skipped:\n" + skippedHere.joined(separator: "\n")) }
        if ProcessInfo.processInfo.environment["GO_TABLES_ERRORS"] != nil { print("errors not word for word:\n" + mismatchedErrors.joined(separator: "\n")) }
        return failures
    }

    static var baseSet: TemplateSet { TemplateSet(functions: GoFixtures.functions) }

    @Test func exec() throws {
        let cases = try GoTables.load("exec.json", as: [GoTables.ExecCase].self)
        let failures = Self.runTable("Go exec_test.go execTests", cases, set: Self.baseSet, skipped: Self.skippedExec)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func multiExec() throws {
        let table = try GoTables.load("multi-exec.json", as: GoTables.MultiExec.self)
        var set = Self.baseSet
        for (index, text) in table.set.enumerated() { try set.parse(name: index == 0 ? "root" : "root", text: text) }
        let failures = Self.runTable("Go multi_test.go multiExecTests", table.cases, set: set, skipped: [:])
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func multiParse() throws {
        let cases = try GoTables.load("multi-parse.json", as: [GoTables.MultiParseCase].self)
        var passed = 0
        var failures: [String] = []
        for test in cases {
            var set = TemplateSet()
            do {
                try set.parse(name: "root", text: test.input)
                let names = test.names ?? []
                let results = test.results ?? []
                let same = test.ok && set.trees.count == names.count + 1
                    && zip(names, results).allSatisfy { name, result in set.trees[name]?.root.map { Node.list($0).description } == result }
                if same { passed += 1 } else { failures.append("\(test.name): \(set.trees.keys.sorted())") }
            } catch {
                if !test.ok { passed += 1 } else { failures.append("\(test.name): \(error)") }
            }
        }
        print("Go multi_test.go multiParseTests: \(passed) of \(cases.count) passed")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func comparison() throws {
        let cases = try GoTables.load("comparison.json", as: [GoTables.ComparisonCase].self)
        let data = Value.object(StructObject(type: .pointer(.structure("struct {...}")), fields: [
            ("Uthree", true, .uint(3, .uint)), ("Ufour", true, .uint(4, .uint)),
            ("NegOne", true, .int(-1)), ("Three", true, .int(3)),
            ("Ptr", true, .object(StructObject(type: .pointer(.int), fields: []))), ("NilPtr", true, .typedNil(.pointer(.int))),
            ("NonNilMap", true, .map(ValueMap(keyed: [:], type: .map(.int, .int)))),
            ("Map", true, .typedNil(.map(.int, .int))),
            ("V1", true, .object(StructObject(type: GoFixtures.named("template.V"), fields: [("j", false, .int(0))], formatted: "<0>"))),
            ("V2", true, .object(StructObject(type: GoFixtures.named("template.V"), fields: [("j", false, .int(0))], formatted: "<0>"))),
            ("Iface1", true, .object(StructObject(type: .pointer(GoFixtures.named("bytes.Buffer")), fields: [], formatted: ""))),
            ("NilIface", true, .null),
        ]))
        var passed = 0
        var failures: [String] = []
        for test in cases {
            var set = TemplateSet()
            do {
                try set.parse(name: "empty", text: "{{if \(test.expr)}}true{{else}}false{{end}}")
                let output = try set.execute("empty", data: data)
                if test.goError.isEmpty && output == test.truth { passed += 1 } else { failures.append("\(test.expr): \(output) want \(test.truth) \(test.goError)") }
            } catch {
                if !test.goError.isEmpty { passed += 1 } else { failures.append("\(test.expr): \(error)") }
            }
        }
        print("Go exec_test.go cmpTests: \(passed) of \(cases.count) passed")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

extension Result where Failure == any Error {
    var failureDescription: String? {
        if case .failure(let error) = self { return "\(error)" }
        return nil
    }
}

extension Token.Kind {
    /// The names Go's lex_test.go prints (`itemName`); unnamed kinds as Go prints them (`item20`).
    var goName: String {
        switch self {
        case .error: return "error"
        case .bool: return "bool"
        case .char: return "char"
        case .charConstant: return "charconst"
        case .comment: return "comment"
        case .complex: return "complex"
        case .assign: return "item6"
        case .declare: return ":="
        case .eof: return "EOF"
        case .field: return "field"
        case .identifier: return "identifier"
        case .leftDelim: return "left delim"
        case .leftParen: return "("
        case .number: return "number"
        case .pipe: return "pipe"
        case .rawString: return "raw string"
        case .rightDelim: return "right delim"
        case .rightParen: return ")"
        case .space: return "space"
        case .string: return "string"
        case .text: return "item20"
        case .variable: return "variable"
        case .block: return "block"
        case .breakKeyword: return "break"
        case .continueKeyword: return "continue"
        case .dot: return "."
        case .define: return "define"
        case .elseKeyword: return "else"
        case .end: return "end"
        case .ifKeyword: return "if"
        case .nilKeyword: return "nil"
        case .range: return "range"
        case .template: return "template"
        case .with: return "with"
        }
    }
}
