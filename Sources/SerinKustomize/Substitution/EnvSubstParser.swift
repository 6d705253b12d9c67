/// The tree of a text with `${...}` expressions (envsubst `parse/node.go`).
indirect enum EnvSubstNode: Equatable {
    case text(String)
    /// `${param}` (name empty) or `${param<name>args}` such as `${var:=default}`.
    case function(parameter: String, name: String, arguments: [EnvSubstNode])
    case list([EnvSubstNode])
}

/// Why a text cannot be parsed (envsubst `parse/parse.go`'s errors, same words).
struct EnvSubstSyntaxError: Error, Equatable, CustomStringConvertible {
    var description: String

    static let badSubstitution = EnvSubstSyntaxError(description: "bad substitution")
    static let missingClosingBrace = EnvSubstSyntaxError(description: "missing closing brace")
    static let variableName = EnvSubstSyntaxError(description: "unable to parse variable name")
    static let functionSubstitution = EnvSubstSyntaxError(description: "unable to parse substitution within function")
    static let defaultFunction = EnvSubstSyntaxError(description: "unable to parse default function")
}

/// envsubst's recursive-descent parser, function for function.
struct EnvSubstParser {
    private var scanner: EnvSubstScanner

    static func parse(_ text: String) throws -> EnvSubstNode {
        var parser = EnvSubstParser(scanner: EnvSubstScanner(Array(text.utf8)))
        return try parser.parseAny() ?? .text("")
    }

    /// Nil for the end of the input (Go's `empty` node).
    private mutating func parseAny() throws -> EnvSubstNode? {
        scanner.accept = EnvSubstAccept.any
        scanner.mode = [.ident, .leftBrace, .escape]
        scanner.escapes = .dollar
        let left: EnvSubstNode
        switch scanner.scan() {
        case .ident: left = .text(scanner.text)
        case .eof: return nil
        case .leftBrace: left = try parseFunction()
        default: throw EnvSubstSyntaxError.badSubstitution
        }
        guard let right = try parseAny() else { return left }
        return .list([left, right])
    }

    private mutating func parseFunction() throws -> EnvSubstNode {
        scanner.escapes = .all
        if scanner.peek() == ascii("#") { return try parseLength() }
        scanner.accept = EnvSubstAccept.ident
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.variableName }
        let name = scanner.text
        switch scanner.peek() {
        case ascii(":"): return try parseDefaultOrSubstring(name)
        case ascii("="): return try parseDefault(name)
        case ascii(","), ascii("^"): return try parseCasing(name)
        case ascii("/"): return try parseReplace(name)
        case ascii("#"): return try parseRemove(name, EnvSubstAccept.hashFunction)
        case ascii("%"): return try parseRemove(name, EnvSubstAccept.percentFunction)
        default: break
        }
        scanner.accept = EnvSubstAccept.ident
        scanner.mode = .rightBrace
        guard scanner.scan() == .rightBrace else { throw EnvSubstSyntaxError.missingClosingBrace }
        return .function(parameter: name, name: "", arguments: [])
    }

    private mutating func parseParameter(_ accept: @escaping EnvSubstScanner.Accept, _ mode: EnvSubstScanner.Mode) throws -> EnvSubstNode {
        scanner.accept = accept
        scanner.mode = mode.union(.leftBrace)
        switch scanner.scan() {
        case .leftBrace: return try parseFunction()
        case .ident, .rightBrace: return .text(scanner.text)
        default: throw EnvSubstSyntaxError.functionSubstitution
        }
    }

    private mutating func parseDefaultOrSubstring(_ name: String) throws -> EnvSubstNode {
        _ = scanner.read()
        let next = scanner.peek()
        scanner.unread()
        if [ascii("="), ascii("-"), ascii("?"), ascii("+")].contains(next) { return try parseDefault(name) }
        return try parseSubstring(name)
    }

    private mutating func parseSubstring(_ parameter: String) throws -> EnvSubstNode {
        scanner.accept = EnvSubstAccept.oneColon
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        let name = scanner.text
        var arguments = [try parseParameter(EnvSubstAccept.rejectColonClose, .ident)]
        scanner.accept = EnvSubstAccept.colon
        scanner.mode = [.ident, .rightBrace]
        switch scanner.scan() {
        case .rightBrace: return .function(parameter: parameter, name: name, arguments: arguments)
        case .ident: break
        default: throw EnvSubstSyntaxError.badSubstitution
        }
        arguments.append(try parseParameter(EnvSubstAccept.notClosing, .ident))
        try consumeRightBrace()
        return .function(parameter: parameter, name: name, arguments: arguments)
    }

    private mutating func parseRemove(_ parameter: String, _ accept: @escaping EnvSubstScanner.Accept) throws -> EnvSubstNode {
        scanner.accept = accept
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        let name = scanner.text
        let argument = try parseParameter(EnvSubstAccept.notClosing, .ident)
        try consumeRightBrace()
        return .function(parameter: parameter, name: name, arguments: [argument])
    }

    private mutating func parseReplace(_ parameter: String) throws -> EnvSubstNode {
        scanner.accept = EnvSubstAccept.replaceFunction
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        let name = scanner.text
        var arguments = [try parseParameter(EnvSubstAccept.notSlash, [.ident, .escape])]
        scanner.accept = EnvSubstAccept.slash
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        if scanner.peek() == ascii("}") {
            try consumeRightBrace()
            return .function(parameter: parameter, name: name, arguments: arguments)
        }
        arguments.append(try parseParameter(EnvSubstAccept.notClosing, [.ident, .escape]))
        try consumeRightBrace()
        return .function(parameter: parameter, name: name, arguments: arguments)
    }

    private mutating func parseDefault(_ parameter: String) throws -> EnvSubstNode {
        scanner.accept = scanner.peek() == ascii("=") ? EnvSubstAccept.oneEqual : EnvSubstAccept.defaultFunction
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.defaultFunction }
        let name = scanner.text
        var arguments: [EnvSubstNode] = []
        while true {
            if scanner.peek() == ascii("}") {
                try consumeRightBrace()
                return .function(parameter: parameter, name: name, arguments: arguments)
            }
            arguments.append(try parseParameter(EnvSubstAccept.notClosing, .ident))
        }
    }

    private mutating func parseCasing(_ parameter: String) throws -> EnvSubstNode {
        scanner.accept = EnvSubstAccept.casingFunction
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        let name = scanner.text
        try consumeRightBrace()
        return .function(parameter: parameter, name: name, arguments: [])
    }

    private mutating func parseLength() throws -> EnvSubstNode {
        scanner.accept = EnvSubstAccept.oneHash
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        let name = scanner.text
        scanner.accept = EnvSubstAccept.ident
        scanner.mode = .ident
        guard scanner.scan() == .ident else { throw EnvSubstSyntaxError.badSubstitution }
        let parameter = scanner.text
        try consumeRightBrace()
        return .function(parameter: parameter, name: name, arguments: [])
    }

    private mutating func consumeRightBrace() throws {
        scanner.mode = .rightBrace
        guard scanner.scan() == .rightBrace else { throw EnvSubstSyntaxError.badSubstitution }
    }

    private func ascii(_ character: Unicode.Scalar) -> UInt32 { character.value }
}
