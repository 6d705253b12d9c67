import Foundation
import Yams

/// An answer of the API as `-o json` or `-o yaml` prints it: the document
/// itself, pretty JSON with sorted keys, or the same document as YAML (keys
/// sorted, block style, a string quoted only where it would read as another
/// type: "true", "1.0", "null", ""), as kubectl and argo print theirs.
public enum APIDocument {
    public enum Format: Sendable {
        case json, yaml
    }

    public struct NotJSON: Error, CustomStringConvertible {
        public var description: String { "the API answered something that is not JSON" }
    }

    public static func render(_ data: Data, as format: Format) throws -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { throw NotJSON() }
        switch format {
        case .json:
            let pretty = try JSONSerialization.data(withJSONObject: object,
                                                    options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            return String(decoding: pretty, as: UTF8.self) + "\n"
        case .yaml:
            // JSON is YAML: composed as it is, then written in YAML's own style.
            guard let node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) else { return "null\n" }
            return try Yams.serialize(node: yamlStyle(node))
        }
    }

    private static func yamlStyle(_ node: Node) -> Node {
        switch node {
        case .scalar(let scalar):
            // Plain in JSON: a number, true, false or null, kept as written.
            guard scalar.style == .doubleQuoted || scalar.style == .singleQuoted else { return .scalar(.init(scalar.string)) }
            let plain = Node.scalar(.init(scalar.string))
            let ambiguous = scalar.string.isEmpty || plain.bool != nil || plain.int != nil || plain.float != nil || plain.null != nil
            return .scalar(.init(scalar.string, Tag(.str), ambiguous ? .doubleQuoted : .any))
        case .sequence(let sequence):
            return .sequence(.init(sequence.map(yamlStyle)))
        case .mapping(let mapping):
            let pairs = mapping.map { (key: $0.key.string ?? "", value: $0.value) }.sorted { $0.key < $1.key }
            return .mapping(.init(pairs.map { (Node.scalar(.init($0.key)), yamlStyle($0.value)) }))
        default:
            return node
        }
    }
}
