@testable import SerinKustomize
import Testing

/// Flux's post-build substitution, case for case from fluxcd/pkg
/// `envsubst/eval_test.go` (TestExpand, TestExpandStrict).
@Suite struct EnvSubstTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var variables: [String: String]
        var input: String
        var output: String
        var testDescription: String { input }
    }

    static let expand: [Case] = [
        Case(variables: [:], input: "abcdEFGH28ij", output: "abcdEFGH28ij"),
        Case(variables: ["var01": "abcdEFGH28ij"], input: "${#var01}", output: "12"),
        Case(variables: ["var01": "abcdEFGH28ij"], input: "${var01^}", output: "AbcdEFGH28ij"),
        Case(variables: ["var01": "abcdEFGH28ij"], input: "${var01^^}", output: "ABCDEFGH28IJ"),
        Case(variables: ["var01": "ABCDEFGH28IJ"], input: "${var01,}", output: "aBCDEFGH28IJ"),
        Case(variables: ["var01": "ABCDEFGH28IJ"], input: "${var01,,}", output: "abcdefgh28ij"),
        Case(variables: ["path_name": "/home/bozo/ideas/thoughts.for.today"], input: "${path_name:11}", output: "ideas/thoughts.for.today"),
        Case(variables: ["path_name": "/home/bozo/ideas/thoughts.for.today"], input: "${path_name:11:5}", output: "ideas"),
        Case(variables: ["var": "abc"], input: "${var=xyz}", output: "abc"),
        Case(variables: [:], input: "${var=xyz}", output: "xyz"),
        Case(variables: ["default_var": "foo"], input: "something ${var=${default_var}}", output: "something foo"),
        Case(variables: ["default_var": "foo1"], input: "foo: ${var=${default_var}-suffix}", output: "foo: foo1-suffix"),
        Case(variables: ["default_var": "foo1"], input: "foo: ${var=prefix${default_var}-suffix}", output: "foo: prefixfoo1-suffix"),
        Case(variables: [:], input: "${var:=xyz}", output: "xyz"),
        Case(variables: ["stringZ": "abcABC123ABCabc"], input: "${stringZ/%abc/XYZ}", output: "abcABC123ABCXYZ"),
        Case(variables: ["stringZ": "abcABC123ABCabc"], input: "${stringZ/#abc/XYZ}", output: "XYZABC123ABCabc"),
        Case(variables: ["stringZ": "abcABC123ABCabc"], input: "${stringZ//abc/xyz}", output: "xyzABC123ABCxyz"),
        Case(variables: ["stringZ": "abcABC123ABCabc"], input: "${stringZ/abc/xyz}", output: "xyzABC123ABCabc"),
        Case(variables: ["filename": "bash.string.txt"], input: "${filename#*.}", output: "string.txt"),
        Case(variables: ["filename": "path/to/file"], input: "${filename#*/}", output: "to/file"),
        Case(variables: ["filename": "/path/to/file"], input: "${filename#*/}", output: "path/to/file"),
        Case(variables: ["filename": "bash.string.txt"], input: "${filename##*.}", output: "txt"),
        Case(variables: ["filename": "path/to/file"], input: "${filename##*/}", output: "file"),
        Case(variables: ["filename": "/path/to/file"], input: "${filename##*/}", output: "file"),
        Case(variables: ["filename": "bash.string.txt"], input: "${filename%.*}", output: "bash.string"),
        Case(variables: ["filename": "bash.string.txt"], input: "${filename%%.*}", output: "bash"),
        Case(variables: ["var01": "abcdEFGH28ij"], input: "${var=${var01^^}}", output: "ABCDEFGH28IJ"),
        Case(variables: ["var01": "abcdEFGH28ij"], input: "$${var01}", output: "${var01}"),
        Case(variables: ["var01": "abcdEFGH28ij"], input: "some text ${var01}$${var$${var01}$var01${var01}",
             output: "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"),
        Case(variables: ["default_var": "foo"], input: "something $${var=${default_var}}", output: "something ${var=foo}"),
        Case(variables: ["stringZ": "foo/bar"], input: #"${stringZ/\//-}"#, output: "foo-bar"),
        Case(variables: ["stringZ": "foo/bar/baz"], input: #"${stringZ//\//-}"#, output: "foo-bar-baz"),
        Case(variables: ["default_var": "foo"], input: #"\\something ${var=${default_var}}"#, output: #"\\something foo"#),
        Case(variables: ["stringZ": "foo.bar"], input: "${stringZ/./}", output: "foobar"),
    ]

    @Test(arguments: expand)
    func expandsAsFluxDoes(_ example: Case) throws {
        let output = try EnvSubst.evaluate(example.input) { (example.variables[$0] ?? "", true) }
        #expect(output == example.output)
    }

    static let strictAnswers: [Case] = [
        Case(variables: [:], input: "abcdEFGH28ij", output: "abcdEFGH28ij"),
        Case(variables: ["foo": "bar"], input: "${foo}", output: "bar"),
        Case(variables: ["foo": ""], input: "${foo}", output: ""),
        Case(variables: ["foo": "bar"], input: "${missing:=default}", output: "default"),
        Case(variables: [:], input: "${missing:-fallback}", output: "fallback"),
        Case(variables: [:], input: "${missing:=assigned}", output: "assigned"),
        Case(variables: [:], input: "${missing=assigned}", output: "assigned"),
    ]

    @Test(arguments: strictAnswers)
    func strictModeKeepsDefaults(_ example: Case) throws {
        let output = try EnvSubst.evaluate(example.input) { name in
            example.variables[name].map { ($0, true) } ?? ("", false)
        }
        #expect(output == example.output)
    }

    @Test(arguments: ["${missing}", "${#missing}", "${missing^}", "${missing^^}", "${missing,}", "${missing,,}", "${missing:0}",
                      "${missing:0:10}", "${missing/pattern/replacement}", "${missing//pattern/replacement}",
                      "${missing/#pattern/replacement}", "${missing/%pattern/replacement}", "${missing#pattern}",
                      "${missing##pattern}", "${missing%pattern}", "${missing%%pattern}"])
    func strictModeRefusesAnUnsetVariable(_ input: String) {
        #expect(throws: EnvSubst.Failure(description: "variable not set (strict mode): \"missing\"")) {
            try EnvSubst.evaluate(input) { _ in ("", false) }
        }
    }

    @Test func nonStrictModeEmptiesAnUnsetVariable() throws {
        #expect(try EnvSubst.evaluate("image: web:${tag}") { _ in ("", true) } == "image: web:")
    }

    @Test func aBrokenExpressionIsASyntaxError() {
        #expect(throws: EnvSubst.Failure(description: "missing closing brace")) {
            try EnvSubst.evaluate("value: ${name") { _ in ("x", true) }
        }
    }
}
