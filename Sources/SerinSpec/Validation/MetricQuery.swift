/// The `{{ ... }}` placeholders of a MetricTemplate query, as Flagger renders
/// them: `name`, `namespace`, `target`, `service`, `ingress`, `route` (APISIX), `interval` and
/// `variables.X` from the Canary metric's templateVariables; and Serin's
/// `revision` (= `canary_revision`) and `primary_revision`, so a query can
/// select the answers of the revision being released and no other.
public enum MetricQuery {
    public static let builtinVariables = ["name", "namespace", "target", "service", "ingress", "route", "interval",
                                          "revision", "canary_revision", "primary_revision"]

    public enum Placeholder: Hashable, Sendable {
        case builtin(String)
        case variable(String)
        /// Anything else (a pipeline, a function call): left to the renderer.
        case expression(String)
        case unknown(String)
    }

    public struct Problem: Error, Hashable, Sendable {
        public var message: String
    }

    public static func placeholders(in query: String) -> Result<[Placeholder], Problem> {
        let bytes = Array(query.utf8)
        var found: [Placeholder] = []
        var index = 0
        while let open = bytes.indexOfPair(UInt8(ascii: "{"), from: index) {
            guard let close = bytes.indexOfPair(UInt8(ascii: "}"), from: open + 2) else {
                return .failure(Problem(message: "has a \"{{\" that is never closed with \"}}\""))
            }
            var start = open + 2
            var end = close
            // Go templates trim whitespace with {{- and -}}.
            if start < end, bytes[start] == UInt8(ascii: "-") { start += 1 }
            if start < end, bytes[end - 1] == UInt8(ascii: "-") { end -= 1 }
            while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
            while start < end, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
            found.append(classify(String(decoding: bytes[start..<end], as: UTF8.self)))
            index = close + 2
        }
        return .success(found)
    }

    static func classify(_ content: String) -> Placeholder {
        if builtinVariables.contains(content) { return .builtin(content) }
        if content.hasPrefix("variables.") {
            let name = String(content.dropFirst("variables.".count))
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                return .variable(name)
            }
        }
        if content.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { return .unknown(content) }
        return .expression(content)
    }
}

public extension Array where Element == UInt8 {
    // Public for SerinAnalysis, which renders the placeholders this finds.
    /// The index of the first `byte byte` pair at or after `start`.
    func indexOfPair(_ byte: UInt8, from start: Int) -> Int? {
        var index = start
        while index + 1 < count {
            if self[index] == byte && self[index + 1] == byte { return index }
            index += 1
        }
        return nil
    }
}
