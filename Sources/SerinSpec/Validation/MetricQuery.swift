/// The `{{ ... }}` placeholders of a MetricTemplate query, as Flagger renders
/// them: `name`, `namespace`, `target`, `service`, `ingress`, `route` (APISIX), `interval` and
/// `variables.X` from the Canary metric's templateVariables.
public enum MetricQuery {
    public static let builtinVariables = ["name", "namespace", "target", "service", "ingress", "route", "interval"]

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
        var found: [Placeholder] = []
        var rest = Substring(query)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return .failure(Problem(message: "has a \"{{\" that is never closed with \"}}\""))
            }
            var body = rest[open.upperBound..<close.lowerBound]
            // Go templates trim whitespace with {{- and -}}.
            if body.hasPrefix("-") { body = body.dropFirst() }
            if body.hasSuffix("-") { body = body.dropLast() }
            let content = body.trimmingCharacters(in: .whitespaces)
            found.append(classify(content))
            rest = rest[close.upperBound...]
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

import Foundation
