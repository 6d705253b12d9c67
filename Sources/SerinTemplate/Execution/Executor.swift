/// Go's template executor (`text/template/exec.go`) over `Value`: walks a
/// tree, evaluates pipelines, calls functions with Go's argument checks,
/// and prints with Go's `fmt`. One per execution; not shared between threads.
public final class Executor {
    private(set) var set: TemplateSet
    let options: ExecutionOptions
    var variables: [(name: String, value: Value)] = []
    var depth = 0
    var steps = 0
    var output = ""
    var outputBytes = 0
    /// The template running now, for error locations.
    var tree: Tree
    var templateName: String
    /// The node being evaluated, for error locations.
    var node: Node?

    init(set: TemplateSet) {
        self.set = set
        self.options = set.options
        self.tree = Tree(name: "", parseName: "", root: nil, text: "")
        self.templateName = ""
    }

    /// Runs the template `name` on `data`.
    func execute(name: String, data: Value) throws -> String {
        guard let tree = set.trees[name] else {
            throw MissingTemplateError(name: name, set: set.name.isEmpty ? name : set.name)
        }
        guard let root = tree.root else {
            throw ExecError(template: name, message: "\(GoQuote.quote(name)) is an incomplete or empty template")
        }
        self.tree = tree
        self.templateName = name
        // Go's Execute reads a nil data as no value at all.
        let data: Value = { if case .null = data { return .missing } else { return data } }()
        variables = [("$", data)]
        try walk(data, .list(root))
        return output
    }

    /// A template run from a function (`include`): its own variables and output, this execution's limits.
    func executeNested(name: String, data: Value) throws -> String {
        guard depth < options.maximumDepth else {
            throw ExecError(template: templateName, message: "exceeded maximum template depth (\(options.maximumDepth))")
        }
        let saved = (variables, output, outputBytes, tree, templateName, node)
        defer { (variables, output, outputBytes, tree, templateName, node) = saved; depth -= 1 }
        depth += 1
        output = ""
        outputBytes = saved.2
        guard let nested = set.trees[name] else {
            throw MissingTemplateError(name: name, set: set.name.isEmpty ? saved.4 : set.name)
        }
        guard let root = nested.root else {
            throw ExecError(template: name, message: "\(GoQuote.quote(name)) is an incomplete or empty template")
        }
        tree = nested
        templateName = name
        node = nil
        variables = [("$", data)]
        try walk(data, .list(root))
        return output
    }

    /// Parses `text` into a copy of this execution's set under `name` and runs it (`tpl`).
    func parseAndExecuteNested(name: String, text: String, data: Value) throws -> String {
        let savedSet = set
        defer { set = savedSet }
        try set.parse(name: name, text: text)
        return try executeNested(name: name, data: data)
    }

    // MARK: - Errors

    func at(_ node: Node) { self.node = node }

    func error(_ message: String, underlying: (any Error)? = nil) -> ExecError {
        guard let node else { return ExecError(template: templateName, message: message, underlying: underlying) }
        let (line, column) = tree.location(of: node.position)
        return ExecError(template: templateName, file: tree.parseName, line: line, column: column,
                         context: node.description, message: message, underlying: underlying)
    }

    func step() throws {
        steps += 1
        if steps > options.maximumSteps {
            throw error("exceeded the limit of \(options.maximumSteps) steps; the template runs too long")
        }
    }

    // MARK: - Variables

    func push(_ name: String, _ value: Value) { variables.append((name, value)) }
    var mark: Int { variables.count }
    func pop(to mark: Int) { variables.removeLast(variables.count - mark) }

    func setVariable(_ name: String, _ value: Value) throws {
        for index in variables.indices.reversed() where variables[index].name == name {
            variables[index].value = value
            return
        }
        throw error("undefined variable: \(name)")
    }

    func setTopVariable(_ offset: Int, _ value: Value) {
        variables[variables.count - offset].value = value
    }

    func variable(_ name: String) throws -> Value {
        for index in variables.indices.reversed() where variables[index].name == name {
            return variables[index].value
        }
        throw error("undefined variable: \(name)")
    }

    // MARK: - Walking

    func write(_ text: String) throws {
        outputBytes += text.utf8.count
        if outputBytes > options.maximumOutput {
            throw error("the output is larger than \(options.maximumOutput) bytes")
        }
        output += text
    }

    func walk(_ dot: Value, _ node: Node) throws {
        at(node)
        try step()
        switch node {
        case .action(let action):
            let value = try evalPipeline(dot, action.pipe)
            if action.pipe.declarations.isEmpty { try printValue(node, value) }
        case .breakNode:
            throw ControlFlow.breakLoop
        case .continueNode:
            throw ControlFlow.continueLoop
        case .comment:
            break
        case .ifNode(let branch):
            try walkIfOrWith(isWith: false, dot, branch)
        case .with(let branch):
            try walkIfOrWith(isWith: true, dot, branch)
        case .list(let list):
            for child in list.nodes { try walk(dot, child) }
        case .range(let branch):
            try walkRange(dot, branch, node)
        case .template(let template):
            try walkTemplate(dot, template, node)
        case .text(let text):
            try write(text.text)
        default:
            throw error("unknown node: \(node)")
        }
    }

    func walkIfOrWith(isWith: Bool, _ dot: Value, _ branch: BranchNode) throws {
        let saved = mark
        defer { pop(to: saved) }
        let value = try evalPipeline(dot, branch.pipe)
        guard let truth = value.truth else {
            throw error("if/with can't use \(GoFormatter.string(value))")
        }
        if truth {
            try walk(isWith ? value : dot, .list(branch.list))
        } else if let elseList = branch.elseList {
            try walk(dot, .list(elseList))
        }
    }

    func walkRange(_ dot: Value, _ branch: BranchNode, _ rangeNode: Node) throws {
        at(rangeNode)
        let saved = mark
        defer { pop(to: saved) }
        let value = indirect(try evalPipeline(dot, branch.pipe))
        let bodyMark = mark
        let declarations = branch.pipe.declarations.count
        func iteration(_ index: Value, _ element: Value) throws -> Bool {
            if declarations > 0 { setTopVariable(1, element) }
            if declarations > 1 { setTopVariable(2, index) }
            defer { pop(to: bodyMark) }
            do {
                try walk(element, .list(branch.list))
            } catch ControlFlow.continueLoop {
            } catch ControlFlow.breakLoop {
                return false
            }
            return true
        }
        switch value {
        case .list(let list) where !list.items.isEmpty:
            for (index, element) in list.items.enumerated() {
                if try !iteration(.int(index), element) { break }
            }
            return
        case .map(let map) where !map.entries.isEmpty:
            for key in map.sortedKeys {
                let keyValue: Value
                switch (key, map.keyType.underlying) {
                case (.int(let number), let type) where type.isSignedInteger: keyValue = .int(number, map.keyType)
                case (.uint(let number), let type) where type.isUnsignedInteger: keyValue = .uint(number, map.keyType)
                default: keyValue = key.value
                }
                if try !iteration(keyValue, map.entries[key] ?? .null) { break }
            }
            return
        case .int(let count, let type):
            if declarations > 1 { throw error("can't use \(count) to iterate over more than one variable") }
            if count > 0 {
                var index: Int64 = 0
                while index < count {
                    if try !iteration(.missing, .int(index, type)) { break }
                    index += 1
                }
                return
            }
        case .uint(let count, let type):
            if declarations > 1 { throw error("can't use \(count) to iterate over more than one variable") }
            if count > 0 {
                var index: UInt64 = 0
                while index < count {
                    if try !iteration(.missing, .uint(index, type)) { break }
                    index += 1
                }
                return
            }
        case .list, .map, .missing, .null, .typedNil:
            break
        default:
            throw error("range can't iterate over \(GoFormatter.string(value))")
        }
        if let elseList = branch.elseList {
            try walk(dot, .list(elseList))
        }
    }

    func walkTemplate(_ dot: Value, _ template: TemplateNode, _ node: Node) throws {
        at(node)
        guard let nested = set.trees[template.name] else {
            throw error("template \(GoQuote.quote(template.name)) not defined")
        }
        if depth >= options.maximumDepth {
            throw error("exceeded maximum template depth (\(options.maximumDepth))")
        }
        let newDot = try template.pipe.map { try evalPipeline(dot, $0) } ?? .missing
        let saved = (variables, tree, templateName)
        defer {
            (variables, tree, templateName) = saved
            depth -= 1
        }
        depth += 1
        tree = nested
        templateName = template.name
        variables = [("$", newDot)]
        if let root = nested.root { try walk(newDot, .list(root)) }
    }

    // MARK: - Pipelines and commands

    func evalPipeline(_ dot: Value, _ pipe: PipeNode) throws -> Value {
        at(.pipe(pipe))
        var value: Value? = nil
        for command in pipe.commands {
            var result = try evalCommand(dot, command, final: value)
            // A nil interface is no value once the command is done (Go digs into interface {}).
            if case .null = result { result = .missing }
            value = result
        }
        let result = value ?? .missing
        for declaration in pipe.declarations {
            if pipe.isAssign {
                try setVariable(declaration.name, result)
            } else {
                push(declaration.name, result)
            }
        }
        return result
    }

    func notAFunction(_ arguments: [Node], _ final: Value?) throws {
        if arguments.count > 1 || final != nil {
            throw error("can't give argument to non-function \(arguments[0])")
        }
    }

    func evalCommand(_ dot: Value, _ command: CommandNode, final: Value?) throws -> Value {
        let first = command.arguments[0]
        switch first {
        case .field(_, let identifiers):
            at(first)
            return try evalFieldChain(dot, dot, first, identifiers, command.arguments, final)
        case .chain(let chain):
            return try evalChain(dot, chain, first, command.arguments, final)
        case .identifier(_, let name):
            // Errors of the call name the whole command, as Go's do.
            return try evalFunction(dot, name, first, command.arguments, final, callNode: .command(command))
        case .pipe(let pipe):
            try notAFunction(command.arguments, final)
            return try evalPipeline(dot, pipe)
        case .variable(_, let identifiers):
            return try evalVariable(dot, identifiers, first, command.arguments, final)
        default:
            break
        }
        at(first)
        try notAFunction(command.arguments, final)
        switch first {
        case .bool(_, let value): return .bool(value)
        case .dot: return dot
        case .nilNode: throw error("nil is not a command")
        case .number(let number): return try idealConstant(number, first)
        case .string(_, _, let text): return .string(text)
        default: throw error("can't evaluate command \(GoQuote.quote(first.description))")
        }
    }

    func idealConstant(_ number: NumberNode, _ node: Node) throws -> Value {
        at(node)
        if number.isComplex { return .complex(number.complex.real, number.complex.imaginary, .complex128) }
        let text = number.text
        let isHexInt = text.count > 2 && text.hasPrefix("0") && (text.dropFirst().hasPrefix("x") || text.dropFirst().hasPrefix("X"))
            && !text.contains(where: { $0 == "p" || $0 == "P" })
        let isRuneInt = text.hasPrefix("'")
        if number.isFloat && !isHexInt && !isRuneInt && text.contains(where: { ".eEpP".contains($0) }) {
            return .float(number.float64, .float64)
        }
        if number.isInt { return .int(number.int64, .int) }
        if number.isUint { throw error("\(text) overflows int") }
        return .missing
    }

    func evalChain(_ dot: Value, _ chain: ChainNode, _ node: Node, _ arguments: [Node], _ final: Value?) throws -> Value {
        at(node)
        if chain.fields.isEmpty { throw error("internal error: no fields in evalChainNode") }
        if case .nilNode = chain.node { throw error("indirection through explicit nil in \(node)") }
        let receiver = try evalArg(dot, nil, chain.node)
        return try evalFieldChain(dot, receiver, node, chain.fields, arguments, final)
    }

    func evalVariable(_ dot: Value, _ identifiers: [String], _ node: Node, _ arguments: [Node], _ final: Value?) throws -> Value {
        at(node)
        let value = try variable(identifiers[0])
        if identifiers.count == 1 {
            try notAFunction(arguments, final)
            return value
        }
        return try evalFieldChain(dot, value, node, Array(identifiers.dropFirst()), arguments, final)
    }

    func evalFieldChain(_ dot: Value, _ receiver: Value, _ node: Node, _ identifiers: [String], _ arguments: [Node], _ final: Value?) throws -> Value {
        var receiver = receiver
        for identifier in identifiers.dropLast() {
            receiver = try evalField(dot, identifier, node, [], nil, receiver)
        }
        return try evalField(dot, identifiers[identifiers.count - 1], node, arguments, final, receiver)
    }

    func evalFunction(_ dot: Value, _ name: String, _ node: Node, _ arguments: [Node], _ final: Value?, callNode: Node? = nil) throws -> Value {
        at(node)
        guard let function = set.functions[name] ?? Builtins.functions[name] else {
            throw error("\(GoQuote.quote(name)) is not a defined function")
        }
        let isBuiltin = set.functions[name] == nil
        return try evalCall(dot, function, isBuiltin: isBuiltin, callNode ?? node, name, arguments, final)
    }

    /// `.Field` or `.Method args` of `receiver`.
    func evalField(_ dot: Value, _ name: String, _ node: Node, _ arguments: [Node], _ final: Value?, _ receiver: Value) throws -> Value {
        let typeName: String
        switch receiver {
        case .missing:
            if options.missingKey == .error { throw error("nil data; no entry for key \(GoQuote.quote(name))") }
            return .missing
        case .null:
            throw error("nil pointer evaluating interface {}.\(name)")
        default:
            typeName = receiver.typeName
        }
        if case .object(let object) = receiver, let method = object.method(name) {
            return try evalCall(dot, method, isBuiltin: false, node, name, arguments, final)
        }
        if case .map(let map) = receiver, let method = map.methods?(name, map) {
            return try evalCall(dot, method, isBuiltin: false, node, name, arguments, final)
        }
        let hasArguments = arguments.count > 1 || final != nil
        switch receiver {
        case .object(let object):
            if let field = object.field(name) {
                if object.isNilPointer { throw error("nil pointer evaluating \(typeName).\(name)") }
                switch field {
                case .unexported:
                    throw error("\(name) is an unexported field of struct type \(typeName)")
                case .value(let value):
                    if hasArguments { throw error("\(name) has arguments but cannot be invoked as function") }
                    return value
                }
            }
        case .map(let map):
            switch map.keyType.underlying {
            case .string, .interface:
                if hasArguments { throw error("\(name) is not a method but has arguments") }
                if let value = map.entries[.string(name)] { return value }
                switch options.missingKey {
                case .invalid: return .missing
                case .zero: return Value.zero(of: map.elementType)
                case .error: throw error("map has no entry for key \(GoQuote.quote(name))")
                }
            default:
                break
            }
        case .typedNil(let type):
            if case .map(let key, let element) = type.underlying, key.underlying == .string || key == .interface {
                if hasArguments { throw error("\(name) is not a method but has arguments") }
                switch options.missingKey {
                case .invalid: return .missing
                case .zero: return Value.zero(of: element)
                case .error: throw error("map has no entry for key \(GoQuote.quote(name))")
                }
            }
            if case .pointer = type.underlying { throw error("nil pointer evaluating \(typeName).\(name)") }
        default:
            break
        }
        throw error("can't evaluate field \(name) in type \(typeName)")
    }

    // MARK: - Calls

    func evalCall(_ dot: Value, _ function: TemplateFunction, isBuiltin: Bool, _ node: Node, _ name: String,
                  _ arguments: [Node], _ final: Value?) throws -> Value {
        let arguments = arguments.isEmpty ? [] : Array(arguments.dropFirst())
        var count = arguments.count
        if final != nil { count += 1 }
        let parameters = function.parameters
        var fixed = arguments.count
        if function.variadic != nil {
            fixed = parameters.count
            if count < fixed {
                throw error("wrong number of args for \(name): want at least \(parameters.count) got \(arguments.count)")
            }
        } else if count != parameters.count {
            throw error("wrong number of args for \(name): want \(parameters.count) got \(count)")
        }
        if isBuiltin, let shortCircuit = function.shortCircuit {
            var value: Value = .missing
            for argument in arguments {
                value = try evalArg(dot, .reflectValue, argument)
                if Builtins.truth(value) == (shortCircuit == .or) { return value }
            }
            if let final { value = try validateType(final, .reflectValue) }
            return value
        }
        var values: [Value] = []
        values.reserveCapacity(count)
        var index = 0
        while index < fixed && index < arguments.count {
            values.append(try evalArg(dot, parameters[index], arguments[index]))
            index += 1
        }
        if let variadic = function.variadic {
            while index < arguments.count {
                values.append(try evalArg(dot, variadic, arguments[index]))
                index += 1
            }
        }
        if let final {
            let type: GoType
            if let variadic = function.variadic {
                type = count - 1 < fixed ? parameters[count - 1] : variadic
            } else {
                type = parameters[parameters.count - 1]
            }
            values.append(try validateType(final, type))
        }
        do {
            return try function.body(values, FunctionCall(executor: self))
        } catch {
            at(node)
            throw self.error("error calling \(name): \(error)", underlying: error)
        }
    }

    /// Whether a value may be passed where `type` is expected, after Go's one dereference.
    func validateType(_ value: Value, _ type: GoType?) throws -> Value {
        guard let type else { return value }
        switch value {
        case .missing:
            if type == .reflectValue { return .missing }
            if type.canBeNil { return Value.zero(of: type) }
            throw error("invalid value; expected \(type)")
        case .null:
            switch type {
            case .interface, .reflectValue: return .null
            default: throw error("wrong type for value; expected \(type); got interface {}")
            }
        default:
            break
        }
        if type == .reflectValue || type == .interface { return value }
        if Self.assignable(value, to: type) { return value }
        if case .typedNil(.pointer(let element)) = value, type.accepts(element) {
            throw error("dereference of nil pointer of type \(type)")
        }
        // One address-of or one dereference, as Go tries (`*V` given `V`, `V` given `*V`).
        if case .object(let object) = value {
            if case .pointer(let element) = type, element == object.type { return value }
            if case .pointer(let element) = object.type, element == type { return value }
        }
        throw error("wrong type for value; expected \(type); got \(value.typeName)")
    }

    static func assignable(_ value: Value, to type: GoType) -> Bool {
        switch type {
        case .interface, .reflectValue: return true
        case .error:
            if case .object(let object) = value { return object.isError }
            return false
        default:
            break
        }
        guard let valueType = value.type else { return type.canBeNil }
        if case .function = type, case .function = valueType { return type == valueType }
        return type.accepts(valueType)
    }

    func evalArg(_ dot: Value, _ type: GoType?, _ node: Node) throws -> Value {
        at(node)
        switch node {
        case .dot:
            return try validateType(dot, type)
        case .nilNode:
            if let type, type.canBeNil { return type == .reflectValue ? .missing : Value.zero(of: type) }
            throw error("cannot assign nil to \(type?.description ?? "<nil>")")
        case .field(_, let identifiers):
            return try validateType(try evalFieldChain(dot, dot, node, identifiers, [node], nil), type)
        case .variable(_, let identifiers):
            return try validateType(try evalVariable(dot, identifiers, node, [], nil), type)
        case .pipe(let pipe):
            return try validateType(try evalPipeline(dot, pipe), type)
        case .identifier(_, let name):
            return try validateType(try evalFunction(dot, name, node, [], nil), type)
        case .chain(let chain):
            return try validateType(try evalChain(dot, chain, node, [], nil), type)
        default:
            break
        }
        guard let type else { throw error("can't handle \(node) for arg of type <nil>") }
        let underlying = type.underlying
        switch underlying {
        case .bool:
            if case .bool(_, let value) = node { return .bool(value) }
            throw error("expected bool; found \(node)")
        case .complex64, .complex128:
            if case .number(let number) = node, number.isComplex {
                return .complex(number.complex.real, number.complex.imaginary, type)
            }
            throw error("expected complex; found \(node)")
        case .float32, .float64:
            if case .number(let number) = node, number.isFloat { return .float(number.float64, type) }
            throw error("expected float; found \(node)")
        case .int, .int8, .int16, .int32, .int64:
            if case .number(let number) = node, number.isInt { return .int(number.int64, type) }
            throw error("expected integer; found \(node)")
        case .interface:
            return try evalEmptyInterface(dot, node)
        case .reflectValue:
            return try evalEmptyInterface(dot, node)
        case .string:
            if case .string(_, _, let text) = node { return .string(text) }
            throw error("expected string; found \(node)")
        case .uint, .uint8, .uint16, .uint32, .uint64, .uintptr:
            if case .number(let number) = node, number.isUint { return .uint(number.uint64, type) }
            throw error("expected unsigned integer; found \(node)")
        default:
            throw error("can't handle \(node) for arg of type \(type)")
        }
    }

    func evalEmptyInterface(_ dot: Value, _ node: Node) throws -> Value {
        at(node)
        switch node {
        case .bool(_, let value): return .bool(value)
        case .dot: return dot
        case .field(_, let identifiers): return try evalFieldChain(dot, dot, node, identifiers, [], nil)
        case .identifier(_, let name): return try evalFunction(dot, name, node, [], nil)
        case .nilNode: throw error("evalEmptyInterface: nil (can't happen)")
        case .number(let number): return try idealConstant(number, node)
        case .string(_, _, let text): return .string(text)
        case .variable(_, let identifiers): return try evalVariable(dot, identifiers, node, [], nil)
        case .pipe(let pipe): return try evalPipeline(dot, pipe)
        default: throw error("can't handle assignment of \(node) to empty interface argument")
        }
    }

    /// Pointers followed to what they point at (Go's `indirect`), for `range`.
    func indirect(_ value: Value) -> Value {
        value
    }

    func printValue(_ node: Node, _ value: Value) throws {
        at(node)
        switch value {
        case .missing:
            try write("<no value>")
        case .function:
            throw error("can't print \(node) of type \(value.typeName)")
        default:
            // Go prints what a pointer points at.
            try write(GoFormatter.sprintDereferenced(value))
        }
    }
}

extension Value {
    /// The zero value of a type (`missingkey=zero`, nil arguments).
    public static func zero(of type: GoType) -> Value {
        switch type.underlying {
        case .interface, .error, .reflectValue: return .null
        case .bool: return .bool(false)
        case .string: return .string("")
        case .int, .int8, .int16, .int32, .int64: return .int(0, type)
        case .uint, .uint8, .uint16, .uint32, .uint64, .uintptr: return .uint(0, type)
        case .float32, .float64: return .float(0, type)
        case .complex64, .complex128: return .complex(0, 0, type)
        case .slice, .map, .pointer, .function: return .typedNil(type)
        default: return .missing
        }
    }
}
