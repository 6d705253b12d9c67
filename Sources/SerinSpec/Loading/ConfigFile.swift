import Foundation
import Yams

/// Reads a host configuration file (`serin.yaml`, a router's `routes.yaml`)
/// with the same care as manifests: every problem found at once, each with
/// file:line:column, unknown fields named with a suggestion.
public enum ConfigFile {
    public struct Decoded<Value: Sendable>: Sendable {
        public var value: Value?
        public var diagnostics: [Diagnostic]
        /// Where each field was written, for checks made after decoding.
        public var source: SourceMap

        public var errors: [Diagnostic] { diagnostics.errors }
    }

    public static func decode<Value: Decodable & Sendable>(_ type: Value.Type, contentsOf file: String) -> Decoded<Value> {
        guard let data = FileManager.default.contents(atPath: file) else {
            return failure(file, "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { return failure(file, "file is not UTF-8 text") }
        return decode(type, text: text, file: file)
    }

    public static func decode<Value: Decodable & Sendable>(_ type: Value.Type, text: String, file: String) -> Decoded<Value> {
        var text = text
        if let (line, column) = text.withUTF8({ NestingLimit.firstViolation(in: $0) }) {
            return failure(file, "YAML is nested more than \(NestingLimit.maximum) levels deep", line: line, column: column)
        }
        let root: Node?
        do {
            root = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8).singleRoot()
        } catch let error as YamlError {
            let diagnostic = YAMLErrorExplainer(text: text, file: file).diagnostic(for: error)
            return Decoded(value: nil, diagnostics: [diagnostic], source: SourceMap(file: file, document: diagnostic.position))
        } catch {
            return failure(file, "invalid YAML: \(error)")
        }
        let start = SourcePosition(file: file, line: root?.mark?.line ?? 1, column: root?.mark?.column ?? 1)
        guard let root, case .mapping = root else {
            return failure(file, "the file must be a mapping", line: start.line, column: start.column)
        }
        let report = DecodingReport(file: file)
        let value = NodeDecoder.decode(Value.self, from: root, report: report)
        return Decoded(value: value, diagnostics: report.diagnostics,
                       source: SourceMap(file: file, document: start, positions: report.positions))
    }

    private static func failure<Value>(_ file: String, _ message: String, line: Int? = nil, column: Int? = nil) -> Decoded<Value> {
        let position = SourcePosition(file: file, line: line, column: column)
        return Decoded(value: nil, diagnostics: [.error(at: position, message)], source: SourceMap(file: file, document: position))
    }
}
