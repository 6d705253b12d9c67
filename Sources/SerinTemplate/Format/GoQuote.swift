/// Go's `strconv` quoting and unquoting, byte for byte.
public enum GoQuote {
    /// `strconv.Quote`.
    public static func quote(_ text: String) -> String { quote(Array(text.utf8), asciiOnly: false, graphicOnly: false) }

    /// `strconv.QuoteToASCII` (`%+q`).
    public static func quoteASCII(_ text: String) -> String { quote(Array(text.utf8), asciiOnly: true, graphicOnly: false) }

    static func quote(_ bytes: [UInt8], asciiOnly: Bool, graphicOnly: Bool, quoteMark: UInt8 = 0x22) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + 2)
        out.append(quoteMark)
        var offset = 0
        while offset < bytes.count {
            let (rune, width) = UTF8Decoding.decode(bytes, at: offset)
            if width == 1 && rune == 0xFFFD {
                out.append(contentsOf: Array("\\x".utf8))
                out.append(contentsOf: hex2(bytes[offset]))
                offset += 1
                continue
            }
            appendEscaped(rune, to: &out, quoteMark: quoteMark, asciiOnly: asciiOnly)
            offset += width
        }
        out.append(quoteMark)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendEscaped(_ rune: Int32, to out: inout [UInt8], quoteMark: UInt8, asciiOnly: Bool) {
        if rune == Int32(quoteMark) || rune == 0x5C {
            out.append(0x5C)
            out.append(UInt8(rune))
            return
        }
        if asciiOnly {
            if rune < 0x80 && isPrint(rune) {
                out.append(UInt8(rune))
                return
            }
        } else if isPrint(rune) {
            out.append(contentsOf: Array(String(Character(Unicode.Scalar(UInt32(rune))!)).utf8))
            return
        }
        switch rune {
        case 0x07: out.append(contentsOf: Array("\\a".utf8))
        case 0x08: out.append(contentsOf: Array("\\b".utf8))
        case 0x0C: out.append(contentsOf: Array("\\f".utf8))
        case 0x0A: out.append(contentsOf: Array("\\n".utf8))
        case 0x0D: out.append(contentsOf: Array("\\r".utf8))
        case 0x09: out.append(contentsOf: Array("\\t".utf8))
        case 0x0B: out.append(contentsOf: Array("\\v".utf8))
        default:
            if rune < 0x20 || rune == 0x7F {
                out.append(contentsOf: Array("\\x".utf8))
                out.append(contentsOf: hex2(UInt8(rune)))
            } else if rune > 0x10FFFF || (0xD800...0xDFFF).contains(rune) {
                out.append(contentsOf: Array("\\ufffd".utf8))
            } else if rune < 0x10000 {
                out.append(contentsOf: Array("\\u".utf8))
                out.append(contentsOf: Array(hex(UInt64(rune), width: 4).utf8))
            } else {
                out.append(contentsOf: Array("\\U".utf8))
                out.append(contentsOf: Array(hex(UInt64(rune), width: 8).utf8))
            }
        }
    }

    /// `strconv.QuoteRune` (`%q` of a rune).
    public static func quoteRune(_ rune: Int32, asciiOnly: Bool = false) -> String {
        var out: [UInt8] = [0x27]
        let valid = rune >= 0 && rune <= 0x10FFFF && !(0xD800...0xDFFF).contains(rune)
        appendEscaped(valid ? rune : 0xFFFD, to: &out, quoteMark: 0x27, asciiOnly: asciiOnly)
        out.append(0x27)
        return String(decoding: out, as: UTF8.self)
    }

    /// `strconv.CanBackquote`.
    public static func canBackquote(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let (rune, width) = UTF8Decoding.decode(bytes, at: offset)
            offset += width
            if width > 1 {
                if rune == 0xFEFF { return false }
                continue
            }
            if rune == 0xFFFD { return false }
            if (rune < 0x20 && rune != 0x09) || rune == 0x60 || rune == 0x7F { return false }
        }
        return true
    }

    /// `%#U`: `U+0029 ')'`.
    public static func unicodeFormat(_ rune: Int32) -> String {
        let code = "U+" + hex(UInt64(max(rune, 0)), width: 4)
        if isPrint(rune) { return code + " '" + String(Character(Unicode.Scalar(UInt32(rune))!)) + "'" }
        return code
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    public static func isPrint(_ rune: Int32) -> Bool {
        if rune < 0x20 { return false }
        if rune < 0x7F { return true }
        guard rune <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(rune)) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    static func hex2(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }

    static func hex(_ value: UInt64, width: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var description: String { "invalid syntax" }
    }

    /// `strconv.Unquote` for double-quoted, back-quoted and single-quoted literals.
    public static func unquote(_ literal: String) throws -> String {
        let bytes = Array(literal.utf8)
        guard bytes.count >= 2, let first = bytes.first, first == bytes.last else { throw SyntaxError() }
        let body = Array(bytes[1..<(bytes.count - 1)])
        switch first {
        case 0x60:
            if body.contains(0x60) { throw SyntaxError() }
            return String(decoding: body.filter { $0 != 0x0D }, as: UTF8.self)
        case 0x22, 0x27:
            if body.contains(0x0A) { throw SyntaxError() }
            var out = [UInt8]()
            var offset = 0
            var runes = 0
            while offset < body.count {
                let (rune, multibyte, next) = try unquoteChar(body, at: offset, quote: first)
                offset = next
                runes += 1
                if multibyte {
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(UInt32(rune))!)).utf8))
                } else {
                    out.append(UInt8(truncatingIfNeeded: rune))
                }
                if first == 0x27 && offset != body.count { throw SyntaxError() }
            }
            if first == 0x27 && runes != 1 { throw SyntaxError() }
            return String(decoding: out, as: UTF8.self)
        default:
            throw SyntaxError()
        }
    }

    /// `strconv.UnquoteChar`: the rune, whether it is written as UTF-8 (or as one byte), and the next offset.
    static func unquoteChar(_ bytes: [UInt8], at offset: Int, quote: UInt8) throws -> (Int32, Bool, Int) {
        let byte = bytes[offset]
        if byte == quote && (quote == 0x27 || quote == 0x22) { throw SyntaxError() }
        if byte >= 0x80 {
            let (rune, width) = UTF8Decoding.decode(bytes, at: offset)
            return (rune, true, offset + width)
        }
        if byte != 0x5C { return (Int32(byte), true, offset + 1) }
        guard offset + 1 < bytes.count else { throw SyntaxError() }
        let escape = bytes[offset + 1]
        var next = offset + 2
        switch escape {
        case UInt8(ascii: "a"): return (7, true, next)
        case UInt8(ascii: "b"): return (8, true, next)
        case UInt8(ascii: "f"): return (12, true, next)
        case UInt8(ascii: "n"): return (10, true, next)
        case UInt8(ascii: "r"): return (13, true, next)
        case UInt8(ascii: "t"): return (9, true, next)
        case UInt8(ascii: "v"): return (11, true, next)
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = escape == UInt8(ascii: "x") ? 2 : escape == UInt8(ascii: "u") ? 4 : 8
            guard next + count <= bytes.count else { throw SyntaxError() }
            var value: UInt32 = 0
            for index in next..<(next + count) {
                guard let digit = hexValue(bytes[index]) else { throw SyntaxError() }
                value = value << 4 | digit
            }
            next += count
            if escape == UInt8(ascii: "x") { return (Int32(value), false, next) }
            guard value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { throw SyntaxError() }
            return (Int32(value), true, next)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard offset + 4 <= bytes.count else { throw SyntaxError() }
            var value: UInt32 = 0
            for index in (offset + 1)..<(offset + 4) {
                let digit = bytes[index]
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { throw SyntaxError() }
                value = value << 3 | UInt32(digit - UInt8(ascii: "0"))
            }
            guard value <= 255 else { throw SyntaxError() }
            return (Int32(value), false, offset + 4)
        case 0x5C: return (0x5C, true, next)
        case 0x27, 0x22:
            guard escape == quote else { throw SyntaxError() }
            return (Int32(escape), true, next)
        default:
            throw SyntaxError()
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
