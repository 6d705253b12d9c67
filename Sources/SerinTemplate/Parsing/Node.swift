/// A node of a parsed template, as Go's `text/template/parse` has them.
/// Positions are byte offsets in the text of the file the node was parsed from.
public indirect enum Node: Sendable {
    case list(ListNode)
    case text(TextNode)
    case comment(position: Int, text: String)
    case action(ActionNode)
    case breakNode(position: Int, line: Int)
    case continueNode(position: Int, line: Int)
    case bool(position: Int, value: Bool)
    case chain(ChainNode)
    case command(CommandNode)
    case dot(position: Int)
    case field(position: Int, identifiers: [String])
    case identifier(position: Int, name: String)
    case ifNode(BranchNode)
    case nilNode(position: Int)
    case number(NumberNode)
    case pipe(PipeNode)
    case range(BranchNode)
    case string(position: Int, quoted: String, text: String)
    case template(TemplateNode)
    case variable(position: Int, identifiers: [String])
    case with(BranchNode)
    // Parser-internal: the end of a list.
    case end(position: Int)
    case elseNode(position: Int, line: Int)

    public var position: Int {
        switch self {
        case .list(let node): return node.position
        case .text(let node): return node.position
        case .comment(let position, _), .breakNode(let position, _), .continueNode(let position, _),
             .bool(let position, _), .dot(let position), .field(let position, _), .identifier(let position, _),
             .nilNode(let position), .string(let position, _, _), .variable(let position, _),
             .end(let position), .elseNode(let position, _):
            return position
        case .action(let node): return node.position
        case .chain(let node): return node.position
        case .command(let node): return node.position
        case .ifNode(let node), .range(let node), .with(let node): return node.position
        case .number(let node): return node.position
        case .pipe(let node): return node.position
        case .template(let node): return node.position
        }
    }
}

public struct ListNode: Sendable {
    public var position: Int
    public var nodes: [Node]
}

public struct TextNode: Sendable {
    public var position: Int
    public var text: String
}

public struct ActionNode: Sendable {
    public var position: Int
    public var line: Int
    public var pipe: PipeNode
}

public struct PipeNode: Sendable {
    public var position: Int
    public var line: Int
    /// `$x = ...` rather than `$x := ...`.
    public var isAssign: Bool
    /// Variables declared, in lexical order; each is `.variable`.
    public var declarations: [(position: Int, name: String)]
    public var commands: [CommandNode]
}

public struct CommandNode: Sendable {
    public var position: Int
    public var arguments: [Node]
}

public struct ChainNode: Sendable {
    public var position: Int
    public var node: Node
    public var fields: [String]
}

public struct BranchNode: Sendable {
    public var position: Int
    public var line: Int
    public var pipe: PipeNode
    public var list: ListNode
    public var elseList: ListNode?
}

public struct TemplateNode: Sendable {
    public var position: Int
    public var line: Int
    public var name: String
    public var pipe: PipeNode?
}

/// A numeric constant and every type it can be, as Go's parser decides.
public struct NumberNode: Sendable {
    public var position: Int
    public var text: String
    public var isInt = false
    public var isUint = false
    public var isFloat = false
    public var isComplex = false
    public var int64: Int64 = 0
    public var uint64: UInt64 = 0
    public var float64: Double = 0
    public var complex: (real: Double, imaginary: Double) = (0, 0)
}

// MARK: - Printing, as Go's String methods do

extension Node: CustomStringConvertible {
    public var description: String { printed(quoteText: false) }

    /// Go's `String()`; `quoteText` prints text nodes with `%q` as Go's parser tests do.
    public func printed(quoteText: Bool) -> String {
        var out = ""
        write(to: &out, quoteText: quoteText)
        return out
    }

    func write(to out: inout String, quoteText: Bool) {
        switch self {
        case .list(let list):
            for node in list.nodes { node.write(to: &out, quoteText: quoteText) }
        case .text(let text):
            out += quoteText ? GoQuote.quote(text.text) : text.text
        case .comment(_, let text):
            out += "{{" + text + "}}"
        case .action(let action):
            out += "{{"
            action.pipe.write(to: &out)
            out += "}}"
        case .breakNode: out += "{{break}}"
        case .continueNode: out += "{{continue}}"
        case .bool(_, let value): out += value ? "true" : "false"
        case .chain(let chain):
            if case .pipe(let pipe) = chain.node {
                out += "("
                pipe.write(to: &out)
                out += ")"
            } else {
                chain.node.write(to: &out, quoteText: quoteText)
            }
            for field in chain.fields { out += "." + field }
        case .command(let command):
            command.write(to: &out)
        case .dot: out += "."
        case .field(_, let identifiers):
            for identifier in identifiers { out += "." + identifier }
        case .identifier(_, let name): out += name
        case .ifNode(let branch): branch.write(to: &out, name: "if", quoteText: quoteText)
        case .range(let branch): branch.write(to: &out, name: "range", quoteText: quoteText)
        case .with(let branch): branch.write(to: &out, name: "with", quoteText: quoteText)
        case .nilNode: out += "nil"
        case .number(let number): out += number.text
        case .pipe(let pipe): pipe.write(to: &out)
        case .string(_, let quoted, _): out += quoted
        case .template(let template):
            out += "{{template " + GoQuote.quote(template.name)
            if let pipe = template.pipe {
                out += " "
                pipe.write(to: &out)
            }
            out += "}}"
        case .variable(_, let identifiers): out += identifiers.joined(separator: ".")
        case .end: out += "{{end}}"
        case .elseNode: out += "{{else}}"
        }
    }
}

extension PipeNode: CustomStringConvertible {
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        if !declarations.isEmpty {
            out += declarations.map(\.name).joined(separator: ", ")
            out += " := "
        }
        for (index, command) in commands.enumerated() {
            if index > 0 { out += " | " }
            command.write(to: &out)
        }
    }
}

extension CommandNode: CustomStringConvertible {
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        for (index, argument) in arguments.enumerated() {
            if index > 0 { out += " " }
            if case .pipe(let pipe) = argument {
                out += "("
                pipe.write(to: &out)
                out += ")"
            } else {
                argument.write(to: &out, quoteText: false)
            }
        }
    }
}

extension BranchNode {
    func write(to out: inout String, name: String, quoteText: Bool) {
        out += "{{" + name + " "
        pipe.write(to: &out)
        out += "}}"
        Node.list(list).write(to: &out, quoteText: quoteText)
        if let elseList {
            out += "{{else}}"
            Node.list(elseList).write(to: &out, quoteText: quoteText)
        }
        out += "{{end}}"
    }
}
