/// A function a template can call: Go's signature (so arguments are
/// checked and converted as Go's executor does) and a body.
public struct TemplateFunction: Sendable {
    public typealias Body = @Sendable (_ arguments: [Value], _ call: FunctionCall) throws -> Value

    public var name: String
    /// Types of the fixed parameters.
    public var parameters: [GoType]
    /// The element type of a final `...` parameter.
    public var variadic: GoType?
    /// How Go prints the function's type (`func(string, string) string`).
    public var signature: String
    /// `and` and `or` evaluate their arguments one by one, as Go's builtins do.
    var shortCircuit: ShortCircuit?
    public var body: Body

    enum ShortCircuit: Sendable { case and, or }

    public init(_ name: String, _ parameters: [GoType], variadic: GoType? = nil, signature: String? = nil, body: @escaping Body) {
        self.name = name
        self.parameters = parameters
        self.variadic = variadic
        var fixed = parameters.map(\.description)
        if let variadic { fixed.append("..." + variadic.description) }
        self.signature = signature ?? "func(" + fixed.joined(separator: ", ") + ")"
        self.body = body
    }

    /// The same function with a new name.
    public func named(_ name: String) -> TemplateFunction {
        var copy = self
        copy.name = name
        return copy
    }
}

/// What a function is given besides its arguments: the template set and
/// the execution it runs in (for `include`, `tpl`, `template`-like calls).
public struct FunctionCall {
    let executor: Executor

    /// Runs the named template of this execution's set on `data` and returns what it printed.
    public func execute(template name: String, data: Value) throws -> String {
        try executor.executeNested(name: name, data: data)
    }

    /// Parses `text` as a template named `name` into this execution's set
    /// (Helm's `tpl`), runs it on `data` and returns what it printed.
    public func parseAndExecute(name: String, text: String, data: Value) throws -> String {
        try executor.parseAndExecuteNested(name: name, text: text, data: data)
    }

    /// The options of this execution.
    public var options: ExecutionOptions { executor.options }
}

/// An error a function returns: Go's executor prints it after "error calling NAME: ".
public struct FunctionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
