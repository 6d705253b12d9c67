/// One parsed template: its name, the file it came from, and its root list.
public struct Tree: Sendable {
    public var name: String
    /// The name of the top-level template this one was parsed in (the file,
    /// for Helm): what error locations name.
    public var parseName: String
    public var root: ListNode?
    /// The whole text of the file, for line and column of errors.
    public var text: String

    /// Go's `ErrorContext`: `name:line:col` (col a 0-based byte offset in
    /// its line) and the node as written.
    public func location(of position: Int) -> (line: Int, column: Int) {
        let bytes = text.utf8
        let end = min(position, bytes.count)
        var line = 1
        var lineStart = 0
        var index = 0
        for byte in bytes.prefix(end) {
            index += 1
            if byte == 0x0A {
                line += 1
                lineStart = index
            }
        }
        return (line, end - lineStart)
    }

    public func errorContext(_ node: Node) -> (location: String, context: String) {
        let (line, column) = location(of: node.position)
        return ("\(parseName):\(line):\(column)", node.description)
    }

    /// Go's `IsEmptyTree`: only spaces and comments.
    public static func isEmpty(_ node: Node?) -> Bool {
        guard let node else { return true }
        switch node {
        case .comment: return true
        case .list(let list): return list.nodes.allSatisfy { isEmpty($0) }
        case .text(let text): return text.text.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" || $0 == "\u{85}" || $0 == "\u{A0}" }
        default: return false
        }
    }
}

/// Go's parse error: `template: NAME:LINE: message`.
public struct ParseError: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var line: Int
    public var message: String
    public var description: String { "template: \(name):\(line): \(message)" }
}

/// Go's template parser: items into a tree of nodes, with Go's checks and
/// error words. Text, left and right delimiters as Go's `parse.Parse`.
public struct Parser {
    public struct Options: Sendable {
        /// Keep comments as nodes (Go's `ParseComments`).
        public var parseComments = false
        /// Accept identifiers that are not functions (Go's `SkipFuncCheck`).
        public var skipFunctionCheck = false
        public var leftDelim = ""
        public var rightDelim = ""
        public init(parseComments: Bool = false, skipFunctionCheck: Bool = false, leftDelim: String = "", rightDelim: String = "") {
            self.parseComments = parseComments
            self.skipFunctionCheck = skipFunctionCheck
            self.leftDelim = leftDelim
            self.rightDelim = rightDelim
        }
    }

    var tokens: [Token]
    var index = 0
    var furthest = 0
    let functions: (String) -> Bool
    let options: Options
    let text: String
    let parseName: String
    var vars: [String] = ["$"]
    var actionLine = 0
    var rangeDepth = 0
    var treeSet: [String: Tree] = [:]

    /// Every template the text defines, by name: the text itself under `name`, and each `define` and `block`.
    public static func parse(name: String, text: String, options: Options = Options(),
                             functions: @escaping (String) -> Bool) throws -> [String: Tree] {
        var parser = Parser(name: name, text: text, options: options, functions: functions)
        try parser.parseTop(name: name)
        return parser.treeSet
    }

    init(name: String, text: String, options: Options, functions: @escaping (String) -> Bool) {
        self.text = text
        self.parseName = name
        self.options = options
        self.functions = functions
        tokens = Lexer.tokens(text, leftDelim: options.leftDelim, rightDelim: options.rightDelim,
                              emitComment: options.parseComments,
                              breakOK: !functions("break"), continueOK: !functions("continue"))
    }

    // MARK: - Tokens

    mutating func next() -> Token {
        let token = index < tokens.count ? tokens[index] : tokens[tokens.count - 1]
        index += 1
        furthest = max(furthest, min(index - 1, tokens.count - 1))
        return token
    }

    mutating func backup(_ count: Int = 1) { index -= count }

    mutating func peek() -> Token {
        let token = next()
        backup()
        return token
    }

    mutating func nextNonSpace() -> Token {
        var token: Token
        repeat { token = next() } while token.kind == .space
        return token
    }

    mutating func peekNonSpace() -> Token {
        let token = nextNonSpace()
        backup()
        return token
    }

    func error(_ message: String) -> ParseError {
        ParseError(name: parseName, line: tokens[furthest].line, message: message)
    }

    mutating func expect(_ kind: Token.Kind, _ context: String) throws -> Token {
        let token = nextNonSpace()
        if token.kind != kind { throw unexpected(token, context) }
        return token
    }

    mutating func expectOneOf(_ first: Token.Kind, _ second: Token.Kind, _ context: String) throws -> Token {
        let token = nextNonSpace()
        if token.kind != first && token.kind != second { throw unexpected(token, context) }
        return token
    }

    func unexpected(_ token: Token, _ context: String) -> ParseError {
        if token.kind == .error {
            var extra = ""
            if actionLine != 0 && actionLine != token.line {
                extra = " in action started at \(parseName):\(actionLine)"
                if token.value.hasSuffix(" action") { extra = String(extra.dropFirst(" in action".count)) }
            }
            return error("\(token)\(extra)")
        }
        return error("unexpected \(token) in \(context)")
    }

    // MARK: - Templates

    mutating func add(_ tree: Tree) throws {
        if let existing = treeSet[tree.name], !Tree.isEmpty(existing.root.map(Node.list)) {
            if !Tree.isEmpty(tree.root.map(Node.list)) {
                throw error("template: multiple definition of template \(GoQuote.quote(tree.name))")
            }
            return
        }
        treeSet[tree.name] = tree
    }

    mutating func parseTop(name: String) throws {
        var root = ListNode(position: peek().position, nodes: [])
        while peek().kind != .eof {
            if peek().kind == .leftDelim {
                let mark = index
                _ = next()
                if nextNonSpace().kind == .define {
                    try parseDefinition()
                    continue
                }
                index = mark
            }
            let node = try textOrAction()
            switch node {
            case .end, .elseNode: throw error("unexpected \(node)")
            default: root.nodes.append(node)
            }
        }
        try add(Tree(name: name, parseName: parseName, root: root, text: text))
    }

    mutating func parseDefinition() throws {
        let context = "define clause"
        let nameToken = try expectOneOf(.string, .rawString, context)
        let name: String
        do { name = try GoQuote.unquote(nameToken.value) } catch { throw self.error("\(error)") }
        _ = try expect(.rightDelim, context)
        let saved = vars
        vars = ["$"]
        defer { vars = saved }
        let (list, end) = try itemList()
        if case .end = end {} else { throw error("unexpected \(end) in \(context)") }
        try add(Tree(name: name, parseName: parseName, root: list, text: text))
    }

    mutating func itemList() throws -> (ListNode, Node) {
        var list = ListNode(position: peekNonSpace().position, nodes: [])
        while peekNonSpace().kind != .eof {
            let node = try textOrAction()
            switch node {
            case .end, .elseNode: return (list, node)
            default: list.nodes.append(node)
            }
        }
        throw error("unexpected EOF")
    }

    mutating func textOrAction() throws -> Node {
        let token = nextNonSpace()
        switch token.kind {
        case .text:
            return .text(TextNode(position: token.position, text: token.value))
        case .leftDelim:
            actionLine = token.line
            defer { actionLine = 0 }
            return try action()
        case .comment:
            return .comment(position: token.position, text: token.value)
        default:
            throw unexpected(token, "input")
        }
    }

    mutating func action() throws -> Node {
        let token = nextNonSpace()
        switch token.kind {
        case .block: return try blockControl()
        case .breakKeyword: return try breakControl(token)
        case .continueKeyword: return try continueControl(token)
        case .elseKeyword: return try elseControl()
        case .end: return try endControl()
        case .ifKeyword: return try branch("if")
        case .range: return try branch("range")
        case .template: return try templateControl()
        case .with: return try branch("with")
        default: break
        }
        backup()
        let start = peek()
        let pipe = try pipeline("command", end: .rightDelim)
        return .action(ActionNode(position: start.position, line: start.line, pipe: pipe))
    }

    mutating func breakControl(_ token: Token) throws -> Node {
        let next = nextNonSpace()
        if next.kind != .rightDelim { throw unexpected(next, "{{break}}") }
        if rangeDepth == 0 { throw error("{{break}} outside {{range}}") }
        return .breakNode(position: token.position, line: token.line)
    }

    mutating func continueControl(_ token: Token) throws -> Node {
        let next = nextNonSpace()
        if next.kind != .rightDelim { throw unexpected(next, "{{continue}}") }
        if rangeDepth == 0 { throw error("{{continue}} outside {{range}}") }
        return .continueNode(position: token.position, line: token.line)
    }

    mutating func pipeline(_ context: String, end: Token.Kind) throws -> PipeNode {
        let start = peekNonSpace()
        var pipe = PipeNode(position: start.position, line: start.line, isAssign: false, declarations: [], commands: [])
        declarations: while peekNonSpace().kind == .variable {
            let mark = index
            let variable = nextNonSpace()
            let afterVariable = peek()
            let following = peekNonSpace()
            if following.kind == .assign || following.kind == .declare {
                pipe.isAssign = following.kind == .assign
                _ = nextNonSpace()
                pipe.declarations.append((variable.position, variable.value))
                vars.append(variable.value)
            } else if following.kind == .char && following.value == "," {
                _ = nextNonSpace()
                pipe.declarations.append((variable.position, variable.value))
                vars.append(variable.value)
                if context == "range" && pipe.declarations.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen:
                        continue declarations
                    default:
                        throw error("range can only initialize variables")
                    }
                }
                throw error("too many declarations in \(context)")
            } else if afterVariable.kind == .space {
                index = mark
            } else {
                index = mark
            }
            break
        }
        while true {
            let token = nextNonSpace()
            if token.kind == end {
                try checkPipeline(pipe, context)
                return pipe
            }
            switch token.kind {
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .nilKeyword,
                 .rawString, .string, .variable, .leftParen:
                backup()
                pipe.commands.append(try command())
            default:
                throw unexpected(token, context)
            }
        }
    }

    func checkPipeline(_ pipe: PipeNode, _ context: String) throws {
        if pipe.commands.isEmpty { throw error("missing value for \(context)") }
        for (offset, command) in pipe.commands.dropFirst().enumerated() {
            switch command.arguments[0] {
            case .bool, .dot, .nilNode, .number, .string:
                throw error("non executable command in pipeline stage \(offset + 2)")
            default:
                continue
            }
        }
    }

    mutating func parseControl(_ context: String) throws -> BranchNode {
        let savedVars = vars.count
        defer { vars.removeLast(vars.count - savedVars) }
        let pipe = try pipeline(context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, first) = try itemList()
        var next = first
        if context == "range" { rangeDepth -= 1 }
        var elseList: ListNode?
        if case .elseNode = next {
            // `{{else if}}` and `{{else with}}` chain into a nested branch.
            if (context == "if" && peek().kind == .ifKeyword) || (context == "with" && peek().kind == .with) {
                _ = self.next()
                let nested = try parseControl(context)
                elseList = ListNode(position: next.position, nodes: [context == "if" ? .ifNode(nested) : .with(nested)])
            } else {
                let (otherwise, end) = try itemList()
                elseList = otherwise
                next = end
                if case .end = next {} else { throw error("expected end; found \(next)") }
            }
        }
        return BranchNode(position: pipe.position, line: pipe.line, pipe: pipe, list: list, elseList: elseList)
    }

    mutating func branch(_ context: String) throws -> Node {
        let node = try parseControl(context)
        switch context {
        case "if": return .ifNode(node)
        case "range": return .range(node)
        default: return .with(node)
        }
    }

    mutating func endControl() throws -> Node {
        .end(position: try expect(.rightDelim, "end").position)
    }

    mutating func elseControl() throws -> Node {
        let peeked = peekNonSpace()
        if peeked.kind == .ifKeyword || peeked.kind == .with {
            return .elseNode(position: peeked.position, line: peeked.line)
        }
        let token = try expect(.rightDelim, "else")
        return .elseNode(position: token.position, line: token.line)
    }

    mutating func blockControl() throws -> Node {
        let context = "block clause"
        let token = nextNonSpace()
        let name = try templateName(token, context)
        let pipe = try pipeline(context, end: .rightDelim)
        let saved = (vars, rangeDepth)
        vars = ["$"]
        rangeDepth = 0
        let (list, end) = try itemList()
        (vars, rangeDepth) = saved
        if case .end = end {} else { throw error("unexpected \(end) in \(context)") }
        try add(Tree(name: name, parseName: parseName, root: list, text: text))
        return .template(TemplateNode(position: token.position, line: token.line, name: name, pipe: pipe))
    }

    mutating func templateControl() throws -> Node {
        let context = "template clause"
        let token = nextNonSpace()
        let name = try templateName(token, context)
        var pipe: PipeNode?
        if nextNonSpace().kind != .rightDelim {
            backup()
            pipe = try pipeline(context, end: .rightDelim)
        }
        return .template(TemplateNode(position: token.position, line: token.line, name: name, pipe: pipe))
    }

    func templateName(_ token: Token, _ context: String) throws -> String {
        switch token.kind {
        case .string, .rawString:
            do { return try GoQuote.unquote(token.value) } catch { throw self.error("\(error)") }
        default:
            throw unexpected(token, context)
        }
    }

    mutating func command() throws -> CommandNode {
        var command = CommandNode(position: peekNonSpace().position, arguments: [])
        while true {
            _ = peekNonSpace()
            if let operand = try operand() { command.arguments.append(operand) }
            let token = next()
            switch token.kind {
            case .space: continue
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(token, "operand")
            }
            break
        }
        if command.arguments.isEmpty { throw error("empty command") }
        return command
    }

    mutating func operand() throws -> Node? {
        guard var node = try term() else { return nil }
        if peek().kind == .field {
            var chain = ChainNode(position: peek().position, node: node, fields: [])
            while peek().kind == .field {
                chain.fields.append(String(next().value.dropFirst()))
            }
            switch node {
            case .field(_, let identifiers):
                node = .field(position: chain.position, identifiers: identifiers + chain.fields)
            case .variable(_, let identifiers):
                node = .variable(position: chain.position, identifiers: identifiers + chain.fields)
            case .bool, .string, .number, .nilNode, .dot:
                throw error("unexpected . after term \(GoQuote.quote(node.description))")
            default:
                node = .chain(chain)
            }
        }
        return node
    }

    mutating func term() throws -> Node? {
        let token = nextNonSpace()
        switch token.kind {
        case .identifier:
            if !options.skipFunctionCheck && !functions(token.value) {
                throw error("function \(GoQuote.quote(token.value)) not defined")
            }
            return .identifier(position: token.position, name: token.value)
        case .dot:
            return .dot(position: token.position)
        case .nilKeyword:
            return .nilNode(position: token.position)
        case .variable:
            return try useVariable(token)
        case .field:
            return .field(position: token.position, identifiers: [String(token.value.dropFirst())])
        case .bool:
            return .bool(position: token.position, value: token.value == "true")
        case .charConstant, .complex, .number:
            do {
                return .number(try NumberNode.parse(token.value, kind: token.kind, position: token.position))
            } catch let failure as NumberNode.Failure {
                throw error(failure.message)
            }
        case .leftParen:
            return .pipe(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString:
            do {
                return .string(position: token.position, quoted: token.value, text: try GoQuote.unquote(token.value))
            } catch {
                throw self.error("\(error)")
            }
        default:
            backup()
            return nil
        }
    }

    func useVariable(_ token: Token) throws -> Node {
        let identifiers = token.value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard vars.contains(identifiers[0]) else { throw error("undefined variable \(GoQuote.quote(identifiers[0]))") }
        return .variable(position: token.position, identifiers: identifiers)
    }
}
