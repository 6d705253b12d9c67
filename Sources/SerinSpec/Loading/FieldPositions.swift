import Yams

/// Where every field of a YAML document sits, by the validate stage's paths
/// (`spec.analysis.metrics[0].name`) and marks (a scalar's value; the key of
/// a mapping or a list), found by walking the YAML alone. A document that
/// the typed reader refuses still has positions this way, so findings on a
/// rendered copy of it can be traced back to the field in the original.
enum FieldPositions {
    static let budget = 200_000

    /// Each field's position; with `keys`, the position of its key too.
    static func walk(_ root: Node, file: String, keys: Bool) -> [(String, SourcePosition)] {
        var found: [(String, SourcePosition)] = []
        var pending: [(node: Node, path: String)] = [(root, "")]
        var visited = 0
        func position(_ mark: Mark?) -> SourcePosition { SourcePosition(file: file, line: mark?.line, column: mark?.column) }
        while let (node, path) = pending.popLast(), visited < budget {
            visited += 1
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard let name = key.string else { continue }
                    let child = path.isEmpty ? name : "\(path).\(name)"
                    if case .scalar = value {
                        found.append((child, position(value.mark)))
                        if keys { found.append((child, position(key.mark))) }
                    } else {
                        found.append((child, position(key.mark)))
                    }
                    pending.append((value, child))
                }
            case .sequence(let sequence):
                for (index, item) in sequence.enumerated() {
                    let child = "\(path)[\(index)]"
                    found.append((child, position(item.mark)))
                    pending.append((item, child))
                }
            case .scalar, .alias:
                continue
            }
        }
        return found
    }

    static func documents(in text: String, file: String, keys: Bool) -> [(start: SourcePosition, fields: [(String, SourcePosition)])] {
        guard let roots = try? Yams.compose_all(yaml: text) else { return [] }
        return roots.map { root in
            (SourcePosition(file: file, line: root.mark?.line, column: root.mark?.column), walk(root, file: file, keys: keys))
        }
    }
}

extension SourceMap {
    /// One map per document of `text`, every field's position found from
    /// the YAML alone (for documents the typed reader refuses).
    public static func documents(in text: String, file: String) -> [SourceMap] {
        FieldPositions.documents(in: text, file: file, keys: false).map { document in
            var positions: [String: SourcePosition] = [:]
            for (path, position) in document.fields where positions[path] == nil { positions[path] = position }
            return SourceMap(file: file, document: document.start, positions: positions)
        }
    }
}

extension SourceMap {
    /// This map, with the fields it lacks taken from `other` (the typed
    /// reader records only the fields it decoded; an unknown one is found
    /// by the YAML walk).
    public func filling(from other: SourceMap) -> SourceMap {
        SourceMap(file: file, document: document, positions: positions.merging(other.positions) { mine, _ in mine })
    }
}
