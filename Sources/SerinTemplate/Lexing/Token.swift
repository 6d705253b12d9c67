/// One lexical item of a template, as Go's `text/template/parse` names them.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case error, bool, char, charConstant, comment, complex, assign, declare, eof
        case field, identifier, leftDelim, leftParen, number, pipe, rawString
        case rightDelim, rightParen, space, string, text, variable
        // Keywords.
        case block, breakKeyword, continueKeyword, dot, define, elseKeyword, end
        case ifKeyword, nilKeyword, range, template, with

        var isKeyword: Bool {
            switch self {
            case .block, .breakKeyword, .continueKeyword, .dot, .define, .elseKeyword, .end,
                 .ifKeyword, .nilKeyword, .range, .template, .with:
                return true
            default:
                return false
            }
        }

        static let keywords: [String: Kind] = [
            ".": .dot, "block": .block, "break": .breakKeyword, "continue": .continueKeyword,
            "define": .define, "else": .elseKeyword, "end": .end, "if": .ifKeyword,
            "range": .range, "nil": .nilKeyword, "template": .template, "with": .with,
        ]
    }

    public var kind: Kind
    /// Byte offset of the item's start in the template's text.
    public var position: Int
    public var value: String
    /// Line (1-based) where the item starts.
    public var line: Int

    public init(_ kind: Kind, _ value: String, position: Int = 0, line: Int = 0) {
        self.kind = kind
        self.value = value
        self.position = position
        self.line = line
    }
}

extension Token: CustomStringConvertible {
    /// As Go prints an item in parse errors: `"foo"`, `<if>`, `EOF`.
    public var description: String {
        switch kind {
        case .eof: return "EOF"
        case .error: return value
        case _ where kind.isKeyword: return "<\(value)>"
        default:
            if value.unicodeScalars.count > 10 {
                return GoQuote.quote(String(String.UnicodeScalarView(value.unicodeScalars.prefix(10)))) + "..."
            }
            return GoQuote.quote(value)
        }
    }
}
