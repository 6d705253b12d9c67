import SerinSpec
import Yams

/// Where the fields of a rendered document were written in its template:
/// each key of the rendered YAML is looked for in the template's lines, in
/// order, as `key:` (a template writes most keys as they come out); a key
/// made by a function (`toYaml`, `include`) is not found and takes its
/// nearest written ancestor's place, or the template's first line.
enum TemplateOrigin {
    static func map(rendered: String, template: String, file: String) -> SourceMap {
        let document = SourcePosition(file: file, line: 1, column: 1)
        guard let root = try? Yams.compose(yaml: rendered, Resolver.basic) else {
            return SourceMap(file: file, document: document)
        }
        let lines = template.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        var positions: [String: SourcePosition] = [:]
        var cursor = 0

        /// The first line from the cursor on that writes `key:` at its start
        /// (after spaces, `- ` or a closing action).
        func find(_ key: String) -> SourcePosition? {
            let needle = Array(key.utf8) + [UInt8(ascii: ":")]
            var index = cursor
            while index < lines.count {
                let line = lines[index]
                var start = 0
                while start + needle.count <= line.count {
                    if line[start] == needle[0] && Array(line[start..<(start + needle.count)]) == needle {
                        let before = line[..<start]
                        let plain = before.allSatisfy { $0 == 0x20 || $0 == UInt8(ascii: "-") }
                        let afterAction = before.count >= 2 && before[before.count - 1] == UInt8(ascii: "}") && before[before.count - 2] == UInt8(ascii: "}")
                        if plain || afterAction {
                            cursor = index
                            return SourcePosition(file: file, line: index + 1, column: start + 1)
                        }
                    }
                    start += 1
                }
                index += 1
            }
            return nil
        }

        func walk(_ node: Yams.Node, _ path: String, depth: Int) {
            guard depth < 64 else { return }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard let name = key.scalar?.string else { continue }
                    let child = path.isEmpty ? name : path + "." + name
                    if let position = find(name) { positions[child] = position }
                    walk(value, child, depth: depth + 1)
                }
            case .sequence(let sequence):
                for (index, item) in sequence.enumerated() { walk(item, "\(path)[\(index)]", depth: depth + 1) }
            default:
                break
            }
        }

        walk(root, "", depth: 0)
        return SourceMap(file: file, document: document, positions: positions)
    }
}
