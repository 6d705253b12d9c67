/// An error while running a template, worded as Go's executor words it:
/// `template: NAME:LINE:COL: executing "NAME" at <NODE>: message`.
public struct ExecError: Error, Sendable, CustomStringConvertible {
    /// The template that was running.
    public var template: String
    /// The file (Go's parse name) and place of the node, when known.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// The node as written (`.Values.foo`).
    public var context: String?
    public var message: String
    /// The error a function returned, when that is what stopped the execution.
    public var underlying: (any Error)?

    public var description: String {
        guard let file, let line, let column, let context else {
            return "template: \(template): \(message)"
        }
        return "template: \(file):\(line):\(column): executing \(GoQuote.quote(template)) at <\(context)>: \(message)"
    }
}

/// Go's `ExecuteTemplate` of a name the set does not have (not an
/// execution error: nothing ran).
public struct MissingTemplateError: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var set: String
    public var description: String { "template: no template \(GoQuote.quote(name)) associated with template \(GoQuote.quote(set))" }
}

/// A template's execution stopped for a reason of the template's own.
enum ControlFlow: Error {
    case breakLoop
    case continueLoop
}
