/// One problem found in the manifests, printed on one line as
/// `file:line:column: message` (warnings say so after the position).
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    public var position: SourcePosition
    public var message: String

    public init(_ severity: Severity, at position: SourcePosition, _ message: String) {
        self.severity = severity
        self.position = position
        self.message = message
    }

    public static func error(at position: SourcePosition, _ message: String) -> Diagnostic {
        Diagnostic(.error, at: position, message)
    }

    public static func warning(at position: SourcePosition, _ message: String) -> Diagnostic {
        Diagnostic(.warning, at: position, message)
    }

    public var isError: Bool { severity == .error }

    public var description: String {
        // A message is one line whatever the input held: newlines from YAML
        // values or library errors would break `file:line:col` parsing by tools.
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        switch severity {
        case .error: return "\(position): \(oneLine)"
        case .warning: return "\(position): warning: \(oneLine)"
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
