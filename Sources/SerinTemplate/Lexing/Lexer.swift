/// Go's template lexer: the text cut into items, with Go's states, trim
/// markers, comments and error words. Items are made all at once (Go's
/// lexer runs beside the parser; the sequence is the same).
public struct Lexer {
    let input: [UInt8]
    let leftDelim: [UInt8]
    let rightDelim: [UInt8]
    let emitComment: Bool
    let breakOK: Bool
    let continueOK: Bool
    var position = 0
    var start = 0
    var atEOF = false
    var parenDepth = 0
    var line = 1
    var startLine = 1
    var items: [Token] = []

    public init(_ text: String, leftDelim: String = "", rightDelim: String = "",
                emitComment: Bool = false, breakOK: Bool = true, continueOK: Bool = true) {
        input = Array(text.utf8)
        self.leftDelim = Array((leftDelim.isEmpty ? "{{" : leftDelim).utf8)
        self.rightDelim = Array((rightDelim.isEmpty ? "}}" : rightDelim).utf8)
        self.emitComment = emitComment
        self.breakOK = breakOK
        self.continueOK = continueOK
    }

    /// Every item up to and including EOF or the first error.
    public static func tokens(_ text: String, leftDelim: String = "", rightDelim: String = "",
                              emitComment: Bool = false, breakOK: Bool = true, continueOK: Bool = true) -> [Token] {
        var lexer = Lexer(text, leftDelim: leftDelim, rightDelim: rightDelim, emitComment: emitComment,
                          breakOK: breakOK, continueOK: continueOK)
        return lexer.run()
    }

    enum State { case text, leftDelim, comment, rightDelim, insideAction, space, identifier, field, variable, char, number, quote, rawQuote }

    public mutating func run() -> [Token] {
        var state: State? = .text
        while let current = state {
            switch current {
            case .text: state = lexText()
            case .leftDelim: state = lexLeftDelim()
            case .comment: state = lexComment()
            case .rightDelim: state = lexRightDelim()
            case .insideAction: state = lexInsideAction()
            case .space: state = lexSpace()
            case .identifier: state = lexIdentifier()
            case .field: state = lexFieldOrVariable(.field)
            case .variable: state = lexVariable()
            case .char: state = lexChar()
            case .number: state = lexNumber()
            case .quote: state = lexQuote()
            case .rawQuote: state = lexRawQuote()
            }
        }
        return items
    }

    static let eof: Int32 = -1

    // MARK: - Runes

    mutating func next() -> Int32 {
        guard position < input.count else {
            atEOF = true
            return Self.eof
        }
        let (rune, width) = UTF8Decoding.decode(input, at: position)
        position += width
        if rune == 0x0A { line += 1 }
        return rune
    }

    mutating func peek() -> Int32 {
        let rune = next()
        backup()
        return rune
    }

    mutating func backup() {
        guard !atEOF, position > 0 else { return }
        let (rune, width) = UTF8Decoding.decodeLast(input, before: position)
        position -= width
        if rune == 0x0A { line -= 1 }
    }

    mutating func emit(_ kind: Token.Kind) {
        items.append(Token(kind, text(start, position), position: start, line: startLine))
        start = position
        startLine = line
    }

    mutating func ignore() {
        line += newlines(start, position)
        start = position
        startLine = line
    }

    /// `valid` is ASCII: every set the lexer accepts from is.
    mutating func accept(_ valid: StaticString) -> Bool {
        let rune = next()
        if rune >= 0, rune < 0x80, Self.contains(valid, UInt8(rune)) { return true }
        backup()
        return false
    }

    mutating func acceptRun(_ valid: StaticString) {
        while true {
            let rune = next()
            if rune < 0 || rune >= 0x80 || !Self.contains(valid, UInt8(rune)) { break }
        }
        backup()
    }

    static func contains(_ set: StaticString, _ byte: UInt8) -> Bool {
        set.withUTF8Buffer { $0.contains(byte) }
    }

    mutating func errorf(_ message: String) -> State? {
        items.append(Token(.error, message, position: start, line: startLine))
        return nil
    }

    func text(_ from: Int, _ to: Int) -> String {
        String(decoding: input[from..<to], as: UTF8.self)
    }

    func newlines(_ from: Int, _ to: Int) -> Int {
        var count = 0
        for index in from..<to where input[index] == 0x0A { count += 1 }
        return count
    }

    func hasPrefix(_ prefix: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + prefix.count <= input.count else { return false }
        for index in prefix.indices where input[offset + index] != prefix[index] { return false }
        return true
    }

    static func isSpace(_ rune: Int32) -> Bool { rune == 0x20 || rune == 0x09 || rune == 0x0D || rune == 0x0A }

    static func isAlphaNumeric(_ rune: Int32) -> Bool {
        if rune == 0x5F { return true }
        guard rune >= 0, let scalar = Unicode.Scalar(UInt32(rune)) else { return false }
        if rune < 0x80 {
            return (rune >= 0x30 && rune <= 0x39) || (rune >= 0x41 && rune <= 0x5A) || (rune >= 0x61 && rune <= 0x7A)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            return true
        default:
            return false
        }
    }

    func hasLeftTrimMarker(at offset: Int) -> Bool {
        offset + 1 < input.count && input[offset] == UInt8(ascii: "-") && Self.isSpace(Int32(input[offset + 1]))
    }

    func hasRightTrimMarker(at offset: Int) -> Bool {
        offset + 1 < input.count && offset >= 0 && Self.isSpace(Int32(input[offset])) && input[offset + 1] == UInt8(ascii: "-")
    }

    /// Whether the lexer is at a right delimiter, and whether a trim marker precedes it.
    func atRightDelim() -> (delim: Bool, trimSpaces: Bool) {
        if hasRightTrimMarker(at: position) && hasPrefix(rightDelim, at: position + 2) { return (true, true) }
        if hasPrefix(rightDelim, at: position) { return (true, false) }
        return (false, false)
    }

    // MARK: - States

    mutating func lexText() -> State? {
        if let found = find(leftDelim, from: position) {
            let delimLength = leftDelim.count
            position = found
            var trimLength = 0
            if hasLeftTrimMarker(at: position + delimLength) {
                var index = position
                while index > start, Self.isSpace(Int32(input[index - 1])) { index -= 1 }
                trimLength = position - index
            }
            position -= trimLength
            if position > start {
                line += newlines(start, position)
                emit(.text)
            }
            position += trimLength
            ignore()
            return .leftDelim
        }
        position = input.count
        if position > start {
            line += newlines(start, position)
            emit(.text)
        }
        emit(.eof)
        return nil
    }

    func find(_ needle: [UInt8], from offset: Int) -> Int? {
        guard !needle.isEmpty, input.count >= needle.count else { return nil }
        var index = offset
        while index + needle.count <= input.count {
            if input[index] == needle[0] && hasPrefix(needle, at: index) { return index }
            index += 1
        }
        return nil
    }

    mutating func lexLeftDelim() -> State? {
        position += leftDelim.count
        let trimSpace = hasLeftTrimMarker(at: position)
        let afterMarker = trimSpace ? 2 : 0
        if hasPrefix(Array("/*".utf8), at: position + afterMarker) {
            position += afterMarker
            ignore()
            return .comment
        }
        emit(.leftDelim)
        position += afterMarker
        ignore()
        parenDepth = 0
        return .insideAction
    }

    mutating func lexComment() -> State? {
        position += 2
        guard let end = find(Array("*/".utf8), from: position) else { return errorf("unclosed comment") }
        position = end + 2
        let (delim, trimSpace) = atRightDelim()
        if !delim { return errorf("comment ends before closing delimiter") }
        if emitComment { emit(.comment) }
        if trimSpace { position += 2 }
        position += rightDelim.count
        if trimSpace { skipLeadingSpace() }
        ignore()
        return .text
    }

    mutating func skipLeadingSpace() {
        while position < input.count, Self.isSpace(Int32(input[position])) { position += 1 }
    }

    mutating func lexRightDelim() -> State? {
        let trimSpace = hasRightTrimMarker(at: position)
        if trimSpace {
            position += 2
            ignore()
        }
        position += rightDelim.count
        emit(.rightDelim)
        if trimSpace {
            skipLeadingSpace()
            ignore()
        }
        return .text
    }

    mutating func lexInsideAction() -> State? {
        let (delim, _) = atRightDelim()
        if delim {
            if parenDepth == 0 { return .rightDelim }
            return errorf("unclosed left paren")
        }
        let rune = next()
        switch rune {
        case Self.eof:
            return errorf("unclosed action")
        case _ where Self.isSpace(rune):
            backup()
            return .space
        case 0x3D: // =
            emit(.assign)
        case 0x3A: // :
            if next() != 0x3D { return errorf("expected :=") }
            emit(.declare)
        case 0x7C: emit(.pipe)
        case 0x22: return .quote
        case 0x60: return .rawQuote
        case 0x24: return .variable
        case 0x27: return .char
        case 0x2E: // .
            if position < input.count {
                let following = input[position]
                if following < UInt8(ascii: "0") || following > UInt8(ascii: "9") { return .field }
            }
            backup()
            return .number
        case 0x2B, 0x2D, 0x30...0x39:
            backup()
            return .number
        case _ where Self.isAlphaNumeric(rune):
            backup()
            return .identifier
        case 0x28:
            emit(.leftParen)
            parenDepth += 1
        case 0x29:
            emit(.rightParen)
            parenDepth -= 1
            if parenDepth < 0 { return errorf("unexpected right paren \(GoQuote.unicodeFormat(rune))") }
        case 0x20...0x7E:
            emit(.char)
        default:
            return errorf("unrecognized character in action: \(GoQuote.unicodeFormat(rune))")
        }
        return .insideAction
    }

    mutating func lexSpace() -> State? {
        var spaces = 0
        while Self.isSpace(peek()) {
            _ = next()
            spaces += 1
        }
        if hasRightTrimMarker(at: position - 1) && hasPrefix(rightDelim, at: position - 1 + 2) {
            backup()
            if spaces == 1 { return .rightDelim }
        }
        emit(.space)
        return .insideAction
    }

    mutating func lexIdentifier() -> State? {
        while true {
            let rune = next()
            if Self.isAlphaNumeric(rune) { continue }
            backup()
            let word = text(start, position)
            if !atTerminator() { return errorf("bad character \(GoQuote.unicodeFormat(rune))") }
            if let keyword = Token.Kind.keywords[word], keyword != .dot {
                if keyword == .breakKeyword && !breakOK || keyword == .continueKeyword && !continueOK {
                    emit(.identifier)
                } else {
                    emit(keyword)
                }
            } else if word.hasPrefix(".") {
                emit(.field)
            } else if word == "true" || word == "false" {
                emit(.bool)
            } else {
                emit(.identifier)
            }
            return .insideAction
        }
    }

    mutating func lexVariable() -> State? {
        if atTerminator() {
            emit(.variable)
            return .insideAction
        }
        return lexFieldOrVariable(.variable)
    }

    mutating func lexFieldOrVariable(_ kind: Token.Kind) -> State? {
        if atTerminator() {
            emit(kind == .variable ? .variable : .dot)
            return .insideAction
        }
        var rune: Int32
        repeat {
            rune = next()
        } while Self.isAlphaNumeric(rune)
        backup()
        if !atTerminator() { return errorf("bad character \(GoQuote.unicodeFormat(rune))") }
        emit(kind)
        return .insideAction
    }

    mutating func atTerminator() -> Bool {
        let rune = peek()
        if Self.isSpace(rune) { return true }
        switch rune {
        case Self.eof, 0x2E, 0x2C, 0x7C, 0x3A, 0x29, 0x28: return true
        default: return hasPrefix(rightDelim, at: position)
        }
    }

    mutating func lexChar() -> State? {
        loop: while true {
            switch next() {
            case 0x5C:
                let rune = next()
                if rune != Self.eof && rune != 0x0A { continue loop }
                return errorf("unterminated character constant")
            case Self.eof, 0x0A:
                return errorf("unterminated character constant")
            case 0x27:
                break loop
            default:
                continue loop
            }
        }
        emit(.charConstant)
        return .insideAction
    }

    mutating func lexNumber() -> State? {
        if !scanNumber() { return errorf("bad number syntax: \(GoQuote.quote(text(start, position)))") }
        let sign = peek()
        if sign == 0x2B || sign == 0x2D {
            if !scanNumber() || input[position - 1] != UInt8(ascii: "i") {
                return errorf("bad number syntax: \(GoQuote.quote(text(start, position)))")
            }
            emit(.complex)
        } else {
            emit(.number)
        }
        return .insideAction
    }

    mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits: StaticString = "0123456789_"
        if accept("0") {
            if accept("xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept("oO") {
                digits = "01234567_"
            } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.utf8CodeUnitCount == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.utf8CodeUnitCount == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if Self.isAlphaNumeric(peek()) {
            _ = next()
            return false
        }
        return true
    }

    mutating func lexQuote() -> State? {
        loop: while true {
            switch next() {
            case 0x5C:
                let rune = next()
                if rune != Self.eof && rune != 0x0A { continue loop }
                return errorf("unterminated quoted string")
            case Self.eof, 0x0A:
                return errorf("unterminated quoted string")
            case 0x22:
                break loop
            default:
                continue loop
            }
        }
        emit(.string)
        return .insideAction
    }

    mutating func lexRawQuote() -> State? {
        loop: while true {
            switch next() {
            case Self.eof:
                return errorf("unterminated raw quoted string")
            case 0x60:
                break loop
            default:
                continue loop
            }
        }
        emit(.rawString)
        return .insideAction
    }
}

/// UTF-8 decoding as Go's `utf8.DecodeRune` does it: an invalid byte is one
/// rune, U+FFFD, of width 1.
enum UTF8Decoding {
    static func decode(_ bytes: [UInt8], at offset: Int) -> (Int32, Int) {
        let first = bytes[offset]
        if first < 0x80 { return (Int32(first), 1) }
        let width: Int
        var rune: UInt32
        switch first {
        case 0xC2...0xDF: width = 2; rune = UInt32(first & 0x1F)
        case 0xE0...0xEF: width = 3; rune = UInt32(first & 0x0F)
        case 0xF0...0xF4: width = 4; rune = UInt32(first & 0x07)
        default: return (0xFFFD, 1)
        }
        guard offset + width <= bytes.count else { return (0xFFFD, 1) }
        for index in 1..<width {
            let byte = bytes[offset + index]
            guard byte & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            rune = rune << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = width == 2 ? 0x80 : width == 3 ? 0x800 : 0x10000
        if rune < minimum || rune > 0x10FFFF || (0xD800...0xDFFF).contains(rune) { return (0xFFFD, 1) }
        return (Int32(rune), width)
    }

    static func decodeLast(_ bytes: [UInt8], before end: Int) -> (Int32, Int) {
        var start = end - 1
        while start > 0, end - start < 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        let (rune, width) = decode(bytes, at: start)
        if start + width != end { return (0xFFFD, 1) }
        return (rune, width)
    }
}
