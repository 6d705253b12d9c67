import Foundation

extension NumberNode {
    struct Failure: Error {
        var message: String
    }

    /// Go's `newNumber`: every type the literal fits, or Go's error words.
    static func parse(_ text: String, kind: Token.Kind, position: Int) throws -> NumberNode {
        var node = NumberNode(position: position, text: text)
        switch kind {
        case .charConstant:
            let bytes = Array(text.utf8)
            guard bytes.count >= 2 else { throw Failure(message: "invalid syntax") }
            let (rune, _, next): (Int32, Bool, Int)
            do {
                (rune, _, next) = try GoQuote.unquoteChar(Array(bytes[1...]), at: 0, quote: bytes[0])
            } catch {
                throw Failure(message: "invalid syntax")
            }
            if Array(bytes[(1 + next)...]) != [0x27] {
                throw Failure(message: "malformed character constant: \(text)")
            }
            node.int64 = Int64(rune)
            node.isInt = true
            node.uint64 = UInt64(rune)
            node.isUint = true
            node.float64 = Double(rune)
            node.isFloat = true
            return node
        case .complex:
            guard let value = GoNumber.parseComplex(text) else {
                throw Failure(message: "expected integer")
            }
            node.isComplex = true
            node.complex = value
            node.simplifyComplex()
            return node
        default:
            break
        }
        if text.hasSuffix("i"), let imaginary = GoNumber.parseFloat(String(text.dropLast())) {
            node.isComplex = true
            node.complex = (0, imaginary)
            node.simplifyComplex()
            return node
        }
        let unsigned = GoNumber.parseUInt(text)
        if let unsigned {
            node.isUint = true
            node.uint64 = unsigned
        }
        if let signed = GoNumber.parseInt(text) {
            node.isInt = true
            node.int64 = signed
            if signed == 0 {
                node.isUint = true
                node.uint64 = unsigned ?? 0
            }
        }
        if node.isInt {
            node.isFloat = true
            node.float64 = Double(node.int64)
        } else if node.isUint {
            node.isFloat = true
            node.float64 = Double(node.uint64)
        } else if let float = GoNumber.parseFloat(text) {
            if !text.contains(where: { ".eEpP".contains($0) }) {
                throw Failure(message: "integer overflow: \(GoQuote.quote(text))")
            }
            node.isFloat = true
            node.float64 = float
            if let exact = Int64(exactly: float) {
                node.isInt = true
                node.int64 = exact
            }
            if let exact = UInt64(exactly: float) {
                node.isUint = true
                node.uint64 = exact
            }
        }
        if !node.isInt && !node.isUint && !node.isFloat {
            throw Failure(message: "illegal number syntax: \(GoQuote.quote(text))")
        }
        return node
    }

    mutating func simplifyComplex() {
        isFloat = complex.imaginary == 0
        if isFloat {
            float64 = complex.real
            if let exact = Int64(exactly: float64) {
                isInt = true
                int64 = exact
            }
            if let exact = UInt64(exactly: float64) {
                isUint = true
                uint64 = exact
            }
        }
    }
}

/// Go's `strconv` number parsing with base 0 (prefixes, underscores).
public enum GoNumber {
    /// `strconv.ParseUint(text, 0, 64)`.
    public static func parseUInt(_ text: String) -> UInt64? {
        var body = Substring(text)
        if body.hasPrefix("+") || body.hasPrefix("-") { return nil }
        var base: UInt64 = 10
        var prefixed = false
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { base = 16; body = body.dropFirst(2); prefixed = true }
        else if lower.hasPrefix("0o") { base = 8; body = body.dropFirst(2); prefixed = true }
        else if lower.hasPrefix("0b") { base = 2; body = body.dropFirst(2); prefixed = true }
        else if body.count > 1 && body.hasPrefix("0") { base = 8; body = body.dropFirst(1); prefixed = true }
        if body.isEmpty { return nil }
        if body.contains("_") {
            guard underscoresOK(text) else { return nil }
            body = body.filter { $0 != "_" }[...]
            if body.isEmpty { return nil }
        }
        _ = prefixed
        var value: UInt64 = 0
        for character in body {
            guard let digit = character.hexDigitValue, UInt64(digit) < base else { return nil }
            let (multiplied, overflow1) = value.multipliedReportingOverflow(by: base)
            let (added, overflow2) = multiplied.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { return nil }
            value = added
        }
        return value
    }

    /// `strconv.ParseInt(text, 0, 64)`.
    public static func parseInt(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("+") { body = body.dropFirst() } else if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        guard let magnitude = parseUInt(String(body)) else { return nil }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Go's `underscoreOK`: underscores only between digits or after a base prefix.
    static func underscoresOK(_ text: String) -> Bool {
        var saw: Character = "^"
        var chars = Array(text)
        var index = 0
        if !chars.isEmpty && (chars[0] == "-" || chars[0] == "+") { chars.removeFirst() }
        var hex = false
        if chars.count >= 2 && chars[0] == "0" && "xXbBoO".contains(chars[1]) {
            index = 2
            saw = "0"
            hex = chars[1] == "x" || chars[1] == "X"
        }
        while index < chars.count {
            let character = chars[index]
            if character.isASCII && (character.isNumber || (hex && character.isHexDigit)) {
                saw = "0"
            } else if character == "_" {
                if saw != "0" { return false }
                saw = "_"
            } else {
                if saw == "_" { return false }
                saw = "!"
            }
            index += 1
        }
        return saw != "_"
    }

    /// `strconv.ParseFloat(text, 64)` for Go's literal forms (decimal and hex).
    static func parseFloat(_ text: String) -> Double? {
        var body = text
        if body.contains("_") {
            guard underscoresOK(body) else { return nil }
            body = body.filter { $0 != "_" }
        }
        if body.isEmpty { return nil }
        let unsigned = body.hasPrefix("+") || body.hasPrefix("-") ? String(body.dropFirst()) : body
        let lower = unsigned.lowercased()
        if lower.hasPrefix("0x") {
            // Hex floats need a p exponent when they have a point or are not integers.
            guard lower.contains("p") || !lower.contains(".") else { return nil }
            return hexFloat(body)
        }
        guard let first = unsigned.first, first.isNumber || first == "." else { return nil }
        guard unsigned.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }) else { return nil }
        guard unsigned.contains(where: \.isNumber) else { return nil }
        return Double(body)
    }

    static func hexFloat(_ text: String) -> Double? {
        var negative = false
        var body = Substring(text)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() } else if body.hasPrefix("+") { body = body.dropFirst() }
        body = body.dropFirst(2)
        var exponent = 0
        if let p = body.firstIndex(where: { $0 == "p" || $0 == "P" }) {
            guard let value = Int(body[body.index(after: p)...]) else { return nil }
            exponent = value
            body = body[..<p]
        }
        var mantissa: Double = 0
        var seenPoint = false
        var digits = false
        for character in body {
            if character == "." {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            guard let digit = character.hexDigitValue else { return nil }
            digits = true
            mantissa = mantissa * 16 + Double(digit)
            if seenPoint { exponent -= 4 }
        }
        guard digits else { return nil }
        let value = mantissa * pow(2, Double(exponent))
        return negative ? -value : value
    }

    /// `fmt.Sscan` of a complex literal as the lexer finds them: `1+2i`, `-1.5e3-2i`.
    static func parseComplex(_ text: String) -> (Double, Double)? {
        guard text.hasSuffix("i") else { return nil }
        let chars = Array(text.dropLast())
        var split: Int?
        var index = chars.count - 1
        while index > 0 {
            if (chars[index] == "+" || chars[index] == "-") && !"eEpP".contains(chars[index - 1]) {
                split = index
                break
            }
            index -= 1
        }
        guard let split else { return nil }
        guard let real = parseFloat(String(chars[..<split])), let imaginary = parseFloat(String(chars[split...])) else { return nil }
        return (real, imaginary)
    }
}
