/// The lexer of Flux's `envsubst` (fluxcd/pkg `envsubst/parse/scan.go`,
/// itself forked from drone/envsubst), ported rule for rule so that
/// `${var}`, `${var:=default}` and the `$${var}` escape behave exactly as
/// kustomize-controller's post-build substitution does. It works on bytes,
/// as Go strings do; the parser switches its mode and accept rule between
/// tokens, which is why they are plain stored properties.
struct EnvSubstScanner {
    enum Token {
        case illegal
        case eof
        case ident
        case leftBrace
        case rightBrace
    }

    struct Mode: OptionSet {
        let rawValue: UInt8
        static let ident = Mode(rawValue: 1 << 0)
        static let leftBrace = Mode(rawValue: 1 << 1)
        static let rightBrace = Mode(rawValue: 1 << 2)
        static let escape = Mode(rawValue: 1 << 3)
    }

    struct Escapes: OptionSet {
        let rawValue: UInt8
        static let dollar = Escapes(rawValue: 1 << 0)
        static let backslash = Escapes(rawValue: 1 << 1)
        static let all: Escapes = [.dollar, .backslash]
    }

    /// Whether a rune, at a byte offset from the token's start, belongs to the token.
    typealias Accept = @Sendable (UInt32, Int) -> Bool

    static let endOfInput: UInt32 = 0

    private(set) var buffer: [UInt8]
    private(set) var position = 0
    private var start = 0
    private var width = 0
    var mode: Mode = []
    var escapes: Escapes = []
    var accept: Accept = { _, _ in true }

    init(_ text: [UInt8]) {
        buffer = text
    }

    mutating func read() -> UInt32 {
        guard position < buffer.count else {
            width = 0
            return Self.endOfInput
        }
        let (rune, size) = Self.decode(buffer, at: position)
        width = size
        position += size
        return rune
    }

    mutating func unread() {
        position -= width
    }

    /// Drops the escape character just read from the buffer itself, so the
    /// character it escapes becomes part of the token.
    mutating func skip() {
        buffer.remove(at: position - 1)
    }

    mutating func peek() -> UInt32 {
        let rune = read()
        unread()
        return rune
    }

    var text: String { String(decoding: buffer[start..<position], as: UTF8.self) }

    mutating func scan() -> Token {
        start = position
        let rune = read()
        if rune == Self.endOfInput { return .eof }
        if scanLeftBrace(rune) { return .leftBrace }
        if scanRightBrace(rune) { return .rightBrace }
        if scanIdent(rune) { return .ident }
        return .illegal
    }

    private mutating func scanIdent(_ first: UInt32) -> Bool {
        guard mode.contains(.ident) else { return false }
        if scanEscaped(first) {
            skip()
        } else if !accept(first, position - start) {
            return false
        }
        while true {
            let rune = read()
            if rune == Self.endOfInput {
                unread()
                break
            }
            if scanLeftBrace(rune) {
                unread()
                unread()
                break
            }
            if scanEscaped(rune) {
                skip()
                continue
            }
            if !accept(rune, position - start) {
                unread()
                break
            }
        }
        return true
    }

    private mutating func scanLeftBrace(_ rune: UInt32) -> Bool {
        guard mode.contains(.leftBrace) else { return false }
        if rune == Self.dollar {
            if read() == Self.openBrace { return true }
            unread()
        }
        return false
    }

    private func scanRightBrace(_ rune: UInt32) -> Bool {
        mode.contains(.rightBrace) && rune == Self.closeBrace
    }

    private mutating func scanEscaped(_ rune: UInt32) -> Bool {
        guard mode.contains(.escape) else { return false }
        if rune == Self.dollar && escapes.contains(.dollar) && peek() == Self.dollar { return true }
        if rune == Self.backslash && escapes.contains(.backslash) {
            let next = peek()
            return next == Self.slash || next == Self.backslash
        }
        return false
    }

    /// One UTF-8 sequence; an invalid byte reads as U+FFFD of width 1, as in Go.
    static func decode(_ bytes: [UInt8], at index: Int) -> (UInt32, Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard length > 0, index + length <= bytes.count else { return (0xFFFD, 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return (value, length)
    }

    static let dollar = UInt32(UInt8(ascii: "$"))
    static let openBrace = UInt32(UInt8(ascii: "{"))
    static let closeBrace = UInt32(UInt8(ascii: "}"))
    static let backslash = UInt32(UInt8(ascii: "\\"))
    static let slash = UInt32(UInt8(ascii: "/"))
}

/// The accept rules of scan.go, by the same names.
enum EnvSubstAccept {
    static func character(_ rune: UInt32) -> Character? {
        Unicode.Scalar(rune).map(Character.init)
    }

    static let any: EnvSubstScanner.Accept = { _, _ in true }
    static let ident: EnvSubstScanner.Accept = { rune, _ in
        guard let scalar = Unicode.Scalar(rune) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber: return true
        default: return rune == UInt32(UInt8(ascii: "_"))
        }
    }
    static let colon: EnvSubstScanner.Accept = { rune, _ in rune == ascii(":") }
    static let oneHash: EnvSubstScanner.Accept = { rune, index in rune == ascii("#") && index == 1 }
    static let notClosing: EnvSubstScanner.Accept = { rune, _ in rune != ascii("}") }
    static let hashFunction: EnvSubstScanner.Accept = { rune, index in rune == ascii("#") && index < 3 }
    static let percentFunction: EnvSubstScanner.Accept = { rune, index in rune == ascii("%") && index < 3 }
    static let defaultFunction: EnvSubstScanner.Accept = { rune, index in
        if index == 1 && rune == ascii(":") { return true }
        return index == 2 && [ascii("="), ascii("-"), ascii("?"), ascii("+")].contains(rune)
    }
    static let replaceFunction: EnvSubstScanner.Accept = { rune, index in
        if index == 1 && rune == ascii("/") { return true }
        return index == 2 && [ascii("/"), ascii("#"), ascii("%")].contains(rune)
    }
    static let oneEqual: EnvSubstScanner.Accept = { rune, index in index == 1 && rune == ascii("=") }
    static let oneColon: EnvSubstScanner.Accept = { rune, index in index == 1 && rune == ascii(":") }
    static let rejectColonClose: EnvSubstScanner.Accept = { rune, _ in rune != ascii(":") && rune != ascii("}") }
    static let slash: EnvSubstScanner.Accept = { rune, _ in rune == ascii("/") }
    static let notSlash: EnvSubstScanner.Accept = { rune, _ in rune != ascii("/") }
    static let casingFunction: EnvSubstScanner.Accept = { rune, index in (rune == ascii(",") || rune == ascii("^")) && index < 3 }

    static func ascii(_ character: Unicode.Scalar) -> UInt32 { character.value }
}
