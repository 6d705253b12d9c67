import Yams

/// What decoding one YAML document learned: the problems it found and where
/// every field sits, so that later checks can point at the exact place.
///
/// Not `Sendable`: one report belongs to one decoding pass on one task.
final class DecodingReport {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Position of each value by field path (`spec.analysis.stepWeight`,
    /// `spec.analysis.metrics[0].name`).
    private(set) var positions: [String: SourcePosition] = [:]
    private var mappings: [MappingRecord] = []
    /// Nodes that may still be visited. Aliases make a small text expand into
    /// a huge tree ("billion laughs"); the budget turns that into an error.
    private var budget: Int

    init(file: String, nodeBudget: Int = 200_000) {
        self.file = file
        self.budget = nodeBudget
    }

    func position(of mark: Mark?) -> SourcePosition {
        SourcePosition(file: file, line: mark?.line, column: mark?.column)
    }

    func error(at mark: Mark?, _ message: String) {
        diagnostics.append(.error(at: position(of: mark), message))
    }

    func error(at position: SourcePosition, _ message: String, kind: Diagnostic.Kind = .other) {
        diagnostics.append(.error(at: position, message, kind: kind))
    }

    func error(at mark: Mark?, _ message: String, kind: Diagnostic.Kind) {
        diagnostics.append(.error(at: position(of: mark), message, kind: kind))
    }

    func warning(at position: SourcePosition, _ message: String) {
        diagnostics.append(.warning(at: position, message))
    }

    func record(path: String, mark: Mark?) {
        positions[path] = position(of: mark)
    }

    func register(_ mapping: MappingRecord) {
        mappings.append(mapping)
    }

    /// Spends one node of the budget; false once the document is too large.
    func spend(at mark: Mark?) -> Bool {
        budget -= 1
        if budget == -1 {
            error(at: mark, "document is too large or expands aliases too far (over 200000 nodes)")
        }
        return budget >= 0
    }

    /// Keys present in a mapping that no field asked for are unknown fields.
    /// Run once, after the document has been decoded.
    func reportUnknownFields(displayPath: (String) -> String) {
        for mapping in mappings {
            for index in mapping.names.indices where !mapping.used[index] {
                let name = mapping.names[index]
                let field = mapping.path.isEmpty ? name : "\(mapping.path).\(name)"
                let suggestion = Suggestion.closest(to: name, among: mapping.asked)
                let hint = suggestion.map { "; did you mean \"\($0)\"?" } ?? ""
                diagnostics.append(.error(at: position(of: mapping.keyMarks[index]), "\(displayPath(field)) is not a known field\(hint)",
                                          kind: .unknownField(suggestion: suggestion)))
            }
        }
        mappings.removeAll()
    }
}

/// One mapping's entries and which of them the decoded type asked for.
/// Mappings in manifests are small, so arrays searched in order beat hashing.
final class MappingRecord {
    let path: String
    private(set) var names: [String] = []
    private(set) var keyMarks: [Mark?] = []
    private(set) var values: [Node] = []
    /// Entries a field asked for.
    var used: [Bool] = []
    /// Every field name the decoded type asked for, present or not: the
    /// candidates for "did you mean".
    var asked: [String] = []

    init(path: String) {
        self.path = path
    }

    func append(name: String, mark: Mark?, value: Node) {
        names.append(name)
        keyMarks.append(mark)
        values.append(value)
        used.append(false)
    }

    func contains(_ name: String) -> Bool { names.contains(name) }

    /// Marks the field as asked for and returns its entry, if present.
    func take(_ name: String) -> Int? {
        asked.append(name)
        guard let index = names.firstIndex(of: name) else { return nil }
        used[index] = true
        return index
    }
}

/// Thrown after the problem has been written into the report, so that the
/// nearest optional field can drop its value and decoding can go on.
struct RecordedDecodingFailure: Error {}
