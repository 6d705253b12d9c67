import Foundation
import SerinHelm
import SerinTemplate
import Testing

/// Sprig's functions against Sprig itself: 154 templates run by Go's
/// text/template with Sprig (Debian's packages, scripts/helm/sprig-cases.sh)
/// on data decoded as Helm decodes values (numbers are float64).
@Suite("Sprig's functions as Sprig computes them")
struct SprigCasesTests {
    struct Table: Decodable {
        var data: String
        var cases: [Case]
    }

    struct Case: Decodable {
        var template: String
        var output: String?
        var error: String?
    }

    /// Cases whose result Serin does not reproduce, and why.
    static let skipped: [String: String] = [:]

    @Test func sprigCases() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sprig-cases.json")
        let table = try JSONDecoder().decode(Table.self, from: Data(contentsOf: url))
        let data = try GoJSON.decode(table.data)
        var passed = 0
        var errorsWordForWord = 0
        var failures: [String] = []
        for test in table.cases where Self.skipped[test.template] == nil {
            var set = TemplateSet(functions: HelmFunctions.table(), options: ExecutionOptions(missingKey: .zero))
            do {
                try set.parse(name: "t", text: test.template)
                let output = try set.execute("t", data: data).replacingOccurrences(of: "<no value>", with: "")
                if let expected = test.output, output == expected { passed += 1 } else {
                    failures.append("\(test.template): got \(output.debugDescription) want \(test.output.map(\.debugDescription) ?? "error " + (test.error ?? ""))")
                }
            } catch {
                if let expected = test.error {
                    passed += 1
                    if "\(error)" == expected { errorsWordForWord += 1 }
                } else {
                    failures.append("\(test.template): error \(error), want \(test.output?.debugDescription ?? "")")
                }
            }
        }
        print("Sprig cases: \(passed) of \(table.cases.count) (\(Self.skipped.count) skipped; errors word for word: \(errorsWordForWord) of \(table.cases.filter { $0.error != nil }.count))")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
