/// One problem found in the manifests, printed on one line as
/// `file:line:column: message` (warnings say so after the position).
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    /// What sort of problem, as far as ordering findings by cause needs to
    /// know: a file that could not be read hides every resource it held, and
    /// a misspelt field makes the field it meant "required".
    public enum Kind: Hashable, Sendable {
        /// A file or document that could not be read at all (invalid YAML, not UTF-8, nested too deep).
        case unreadable
        /// A field nobody asked for, with the known field it is closest to.
        case unknownField(suggestion: String?)
        /// A required field that is absent (its last path component).
        case missingField(String)
        /// A reference to a resource that is not in the manifests.
        case unresolvedReference
        case other
    }

    public var severity: Severity
    public var position: SourcePosition
    public var message: String
    public var kind: Kind
    /// The finding this one follows from, when it is a consequence (a
    /// reference to a resource in a file that could not be read, a required
    /// field that a typo hid): listed after the causes, and says so.
    public var consequence: SourcePosition?

    public init(_ severity: Severity, at position: SourcePosition, _ message: String, kind: Kind = .other) {
        self.severity = severity
        self.position = position
        self.message = message
        self.kind = kind
    }

    public static func error(at position: SourcePosition, _ message: String, kind: Kind = .other) -> Diagnostic {
        Diagnostic(.error, at: position, message, kind: kind)
    }

    public static func warning(at position: SourcePosition, _ message: String) -> Diagnostic {
        Diagnostic(.warning, at: position, message)
    }

    public var isError: Bool { severity == .error }
    public var isConsequence: Bool { consequence != nil }

    public var description: String {
        // A message is one line whatever the input held: newlines from YAML
        // values or library errors would break `file:line:col` parsing by tools.
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        let follows = consequence.map { " (may follow from \($0))" } ?? ""
        switch severity {
        case .error: return "\(position): \(oneLine)\(follows)"
        case .warning: return "\(position): warning: \(oneLine)\(follows)"
        }
    }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter(\.isError) }
    public var warnings: [Diagnostic] { filter { !$0.isError } }
    public var hasErrors: Bool { contains(where: \.isError) }

    /// Sorted by place, then message, so output is stable across runs.
    public func sortedByPosition() -> [Diagnostic] {
        sorted { lhs, rhs in
            if lhs.position != rhs.position { return lhs.position < rhs.position }
            return lhs.message < rhs.message
        }
    }
}
