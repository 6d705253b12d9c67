/// What a missing map key gives (Go's `missingkey` option).
public enum MissingKey: Sendable {
    /// `<no value>` when printed (Go's default, `missingkey=invalid`).
    case invalid
    /// The zero value of the map's element type (`missingkey=zero`, Helm's default).
    case zero
    /// An error (`missingkey=error`, Helm's `--strict`).
    case error
}

public struct ExecutionOptions: Sendable {
    public var missingKey: MissingKey
    /// How deep `template` and `include` may nest before the execution stops.
    public var maximumDepth: Int
    /// How many nodes one execution may walk before it stops: a template
    /// from Git must not run for ever (`range 1000000000`).
    public var maximumSteps: Int
    /// How many bytes one execution may print.
    public var maximumOutput: Int

    public init(missingKey: MissingKey = .invalid, maximumDepth: Int = 1_000, maximumSteps: Int = 50_000_000,
                maximumOutput: Int = 64 << 20) {
        self.missingKey = missingKey
        self.maximumDepth = maximumDepth
        self.maximumSteps = maximumSteps
        self.maximumOutput = maximumOutput
    }
}

/// A set of named templates sharing functions and options: Go's
/// `*template.Template` and its associated templates.
public struct TemplateSet: Sendable {
    /// The set's own name (Go's root template; Helm's is `gotpl`), as
    /// "no template associated with template" errors name it.
    public var name: String = ""
    public private(set) var trees: [String: Tree] = [:]
    public var functions: [String: TemplateFunction]
    public var options: ExecutionOptions
    public var parseOptions: Parser.Options

    public init(functions: [String: TemplateFunction] = [:], options: ExecutionOptions = ExecutionOptions(),
                parseOptions: Parser.Options = Parser.Options()) {
        self.functions = functions
        self.options = options
        self.parseOptions = parseOptions
    }

    public func hasFunction(_ name: String) -> Bool {
        functions[name] != nil || Builtins.functions[name] != nil
    }

    /// Parses `text` as the template `name` and adds it and every template
    /// it defines to the set. A later definition replaces an earlier one,
    /// unless it is empty (Go's `AddParseTree`).
    public mutating func parse(name: String, text: String) throws {
        let functions = self.functions
        let parsed = try Parser.parse(name: name, text: text, options: parseOptions) {
            functions[$0] != nil || Builtins.functions[$0] != nil
        }
        for (treeName, tree) in parsed { add(tree, as: treeName) }
    }

    public mutating func add(_ tree: Tree, as name: String) {
        if let existing = trees[name], existing.root != nil, Tree.isEmpty(tree.root.map(Node.list)) { return }
        trees[name] = tree
    }

    public func tree(named name: String) -> Tree? { trees[name] }

    /// Runs the template `name` on `data` and returns what it printed.
    public func execute(_ name: String, data: Value) throws -> String {
        let executor = Executor(set: self)
        return try executor.execute(name: name, data: data)
    }
}
