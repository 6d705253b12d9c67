/// Go's `fmt` for template values: `Sprint`, `Sprintln`, `Sprintf` with
/// Go's verbs, flags, widths, precisions and error forms (`%!d(string=x)`).
public enum GoFormatter {
    /// `fmt.Sprint`: spaces between operands when neither side is a string.
    public static func sprint(_ arguments: [Value]) -> String {
        var printer = Printer()
        var previousString = false
        for (index, argument) in arguments.enumerated() {
            let isString = argument.isGoString
            if index > 0 && !isString && !previousString { printer.out += " " }
            printer.printArgument(argument, verb: "v")
            previousString = isString
        }
        return printer.out
    }

    /// `fmt.Sprint` of a value a template prints: a pointer to a struct shows the struct.
    public static func sprintDereferenced(_ value: Value) -> String {
        var printer = Printer()
        printer.printArgument(value, verb: "v", depth: 1)
        return printer.out
    }

    /// `fmt.Sprintln`.
    public static func sprintln(_ arguments: [Value]) -> String {
        var printer = Printer()
        for (index, argument) in arguments.enumerated() {
            if index > 0 { printer.out += " " }
            printer.printArgument(argument, verb: "v")
        }
        printer.out += "\n"
        return printer.out
    }

    /// `fmt.Sprintf`.
    public static func sprintf(_ format: String, _ arguments: [Value]) -> String {
        var printer = Printer()
        printer.doPrintf(Array(format.unicodeScalars), arguments)
        return printer.out
    }

    /// `%v` of one value.
    public static func string(_ value: Value) -> String {
        var printer = Printer()
        printer.printArgument(value, verb: "v")
        return printer.out
    }
}

extension Value {
    /// Whether Go's `fmt` sees a string (for `Sprint`'s spacing).
    var isGoString: Bool {
        if case .string = self { return true }
        return false
    }
}

struct Printer {
    var out = ""
    var flags = Flags()

    struct Flags {
        var plus = false, minus = false, sharp = false, space = false, zero = false
        var plusV = false, sharpV = false
        var width: Int?
        var precision: Int?

        mutating func clear() { self = Flags() }
    }

    // MARK: - Padding

    mutating func pad(_ text: String) {
        guard let width = flags.width else {
            out += text
            return
        }
        let count = text.unicodeScalars.count
        guard width > count else {
            out += text
            return
        }
        let padding = String(repeating: flags.zero && !flags.minus ? "0" : " ", count: width - count)
        out += flags.minus ? text + padding : padding + text
    }

    // MARK: - Printf

    mutating func doPrintf(_ format: [Unicode.Scalar], _ arguments: [Value]) {
        var argumentNumber = 0
        var reordered = false
        var afterIndex = false
        var index = 0
        let end = format.count
        formatLoop: while index < end {
            let literalStart = index
            while index < end && format[index] != "%" { index += 1 }
            if index > literalStart { out += String(String.UnicodeScalarView(format[literalStart..<index])) }
            if index >= end { break }
            index += 1 // skip %
            flags.clear()
            simpleFormat: while index < end {
                switch format[index] {
                case "#": flags.sharp = true
                case "0": flags.zero = !flags.minus
                case "+": flags.plus = true
                case "-": flags.minus = true; flags.zero = false
                case " ": flags.space = true
                default:
                    // Fast path: a lower-case verb with no width, precision or index.
                    let verb = format[index]
                    if verb.value >= 0x61 && verb.value <= 0x7A && argumentNumber < arguments.count {
                        index += 1
                        if verb == "v" {
                            if flags.sharp { flags.sharp = false; flags.sharpV = true }
                            if flags.plus { flags.plus = false; flags.plusV = true }
                        }
                        printArgument(arguments[argumentNumber], verb: verb)
                        argumentNumber += 1
                        continue formatLoop
                    }
                    break simpleFormat
                }
                index += 1
            }
            // Argument index [n].
            (argumentNumber, index, afterIndex) = argumentIndex(format, index, argumentNumber, arguments.count, &reordered)
            // Width.
            if index < end && format[index] == "*" {
                index += 1
                var width: Int?
                (width, argumentNumber) = intFromArgument(arguments, argumentNumber)
                if let value = width {
                    if value < 0 {
                        flags.minus = true
                        flags.zero = false
                        flags.width = -value
                    } else {
                        flags.width = value
                    }
                    if let current = flags.width, current > 1_000_000 { flags.width = nil; out += "%!(BADWIDTH)" }
                } else {
                    out += "%!(BADWIDTH)"
                }
                afterIndex = false
            } else {
                let (number, next) = parseNumber(format, index)
                if let number {
                    flags.width = number
                    if afterIndex { reordered = true }
                }
                index = next
            }
            // Precision.
            if index + 1 <= end && index < end && format[index] == "." {
                index += 1
                if afterIndex { reordered = true }
                (argumentNumber, index, afterIndex) = argumentIndex(format, index, argumentNumber, arguments.count, &reordered)
                if index < end && format[index] == "*" {
                    index += 1
                    var precision: Int?
                    (precision, argumentNumber) = intFromArgument(arguments, argumentNumber)
                    if let value = precision, value >= 0 {
                        flags.precision = value
                    } else if let value = precision, value < 0 {
                        flags.precision = nil
                    } else {
                        out += "%!(BADPREC)"
                    }
                    afterIndex = false
                } else {
                    let (number, next) = parseNumber(format, index)
                    flags.precision = number ?? 0
                    index = next
                }
            }
            if !afterIndex {
                (argumentNumber, index, afterIndex) = argumentIndex(format, index, argumentNumber, arguments.count, &reordered)
            }
            if index >= end {
                out += "%!(NOVERB)"
                break
            }
            let verb = format[index]
            index += 1
            switch true {
            case verb == "%":
                out += "%"
            case afterIndex && argumentNumber < 0:
                out += "%!" + String(verb) + "(BADINDEX)"
            case argumentNumber >= arguments.count:
                out += "%!" + String(verb) + "(MISSING)"
            case verb == "w":
                out += "%!w(" + typeAndValue(arguments[argumentNumber]) + ")"
                argumentNumber += 1
            default:
                if verb == "v" {
                    if flags.sharp { flags.sharp = false; flags.sharpV = true }
                    if flags.plus { flags.plus = false; flags.plusV = true }
                }
                printArgument(arguments[argumentNumber], verb: verb)
                argumentNumber += 1
            }
        }
        if !reordered && argumentNumber < arguments.count {
            flags.clear()
            out += "%!(EXTRA "
            for (offset, argument) in arguments[argumentNumber...].enumerated() {
                if offset > 0 { out += ", " }
                if case .null = argument {
                    out += "<nil>"
                } else if case .missing = argument {
                    out += "<nil>"
                } else {
                    out += argument.typeName + "="
                    printArgument(argument, verb: "v")
                }
            }
            out += ")"
        }
    }

    func parseNumber(_ format: [Unicode.Scalar], _ start: Int) -> (Int?, Int) {
        var index = start
        var number = 0
        var found = false
        while index < format.count, let digit = format[index].asciiDigit {
            if number > 1_000_000 { return (nil, format.count) }
            number = number * 10 + digit
            found = true
            index += 1
        }
        return (found ? number : nil, index)
    }

    /// `[n]` before a verb, width or precision: the argument to use next.
    func argumentIndex(_ format: [Unicode.Scalar], _ start: Int, _ current: Int, _ count: Int, _ reordered: inout Bool) -> (Int, Int, Bool) {
        guard start < format.count, format[start] == "[" else { return (current, start, false) }
        reordered = true
        var index = start + 1
        while index < format.count && format[index] != "]" { index += 1 }
        guard index < format.count else { return (current, start + 1, false) }
        let text = String(String.UnicodeScalarView(format[(start + 1)..<index]))
        guard let number = Int(text), number >= 1, number <= count else {
            return (-1, index + 1, true)
        }
        return (number - 1, index + 1, true)
    }

    func intFromArgument(_ arguments: [Value], _ number: Int) -> (Int?, Int) {
        guard number >= 0, number < arguments.count else { return (nil, number) }
        switch arguments[number] {
        case .int(let value, _): return (Int(value), number + 1)
        case .uint(let value, _): return (value <= UInt64(Int.max) ? Int(value) : nil, number + 1)
        default: return (nil, number + 1)
        }
    }

    // MARK: - One argument

    mutating func badVerb(_ verb: Unicode.Scalar, _ value: Value) {
        out += "%!" + String(verb) + "("
        switch value {
        case .null, .missing:
            out += "<nil>"
        default:
            out += value.typeName + "="
            let saved = flags
            flags.clear()
            printArgument(value, verb: "v")
            flags = saved
        }
        out += ")"
    }

    func typeAndValue(_ value: Value) -> String {
        var printer = Printer()
        printer.printArgument(value, verb: "v")
        return value.typeName + "=" + printer.out
    }

    mutating func printArgument(_ value: Value, verb: Unicode.Scalar, depth: Int = 0) {
        switch value {
        case .null, .missing:
            switch verb {
            case "T", "v": pad("<nil>")
            default: badVerb(verb, value)
            }
            return
        default:
            break
        }
        if verb == "T" {
            pad(value.typeName)
            return
        }
        switch value {
        case .bool(let flag):
            switch verb {
            case "t", "v": pad(flag ? "true" : "false")
            default: badVerb(verb, value)
            }
        case .int(let number, _):
            formatInteger(magnitude: number.magnitude, negative: number < 0, signed: true, verb: verb, value: value)
        case .uint(let number, _):
            formatInteger(magnitude: number, negative: false, signed: false, verb: verb, value: value)
        case .float(let number, let type):
            formatFloat(number, bits: type.underlying == .float32 ? 32 : 64, verb: verb, value: value)
        case .complex(let real, let imaginary, let type):
            formatComplex(real, imaginary, bits: type.underlying == .complex64 ? 32 : 64, verb: verb, value: value)
        case .string(let text):
            formatString(text, verb: verb, value: value)
        case .list(let list):
            if list.elementType.underlying == .uint8 && (verb == "s" || verb == "q" || verb == "x" || verb == "X") {
                let bytes = list.items.map { item -> UInt8 in
                    if case .uint(let byte, _) = item { return UInt8(truncatingIfNeeded: byte) }
                    return 0
                }
                formatString(String(decoding: bytes, as: UTF8.self), verb: verb, value: value)
                return
            }
            if flags.sharpV {
                out += list.type.description
                if list.isNil {
                    out += "(nil)"
                    return
                }
                out += "{"
                for (index, item) in list.items.enumerated() {
                    if index > 0 { out += ", " }
                    printArgument(item, verb: verb, depth: depth + 1)
                }
                out += "}"
                return
            }
            out += "["
            for (index, item) in list.items.enumerated() {
                if index > 0 { out += " " }
                printArgument(item, verb: verb, depth: depth + 1)
            }
            out += "]"
        case .map(let map):
            if flags.sharpV {
                out += map.type.description
                if map.isNil {
                    out += "(nil)"
                    return
                }
                out += "{"
            } else {
                out += "map["
            }
            for (index, key) in map.sortedKeys.enumerated() {
                if index > 0 { out += flags.sharpV ? ", " : " " }
                printArgument(key.value, verb: verb, depth: depth + 1)
                out += ":"
                printArgument(map.entries[key] ?? .null, verb: verb, depth: depth + 1)
            }
            out += flags.sharpV ? "}" : "]"
        case .object(let object):
            if object.isNilPointer && object.formatted == nil {
                switch verb {
                case "v", "s": pad("<nil>")
                default: badVerb(verb, value)
                }
                return
            }
            if let text = object.formatted, !flags.sharpV {
                switch verb {
                case "v", "s", "x", "X", "q":
                    formatString(text, verb: verb, value: .string(text))
                    return
                default:
                    break
                }
            }
            if depth == 0 && object.type.underlying.isPointerToStruct {
                out += "&"
            }
            out += "{"
            for (index, field) in object.printedFields.enumerated() {
                if index > 0 { out += " " }
                if flags.plusV || flags.sharpV { out += field.name + ":" }
                printArgument(field.value, verb: verb, depth: depth + 1)
            }
            out += "}"
        case .function:
            switch verb {
            case "v", "p": pad("0x0")
            default: badVerb(verb, value)
            }
        case .typedNil(let type):
            switch type.underlying {
            case .map: out += flags.sharpV ? type.description + "(nil)" : "map[]"
            case .slice: out += flags.sharpV ? type.description + "(nil)" : "[]"
            default:
                switch verb {
                case "v", "s": pad("<nil>")
                default: badVerb(verb, value)
                }
            }
        case .null, .missing:
            break
        }
    }

    // MARK: - Kinds

    mutating func formatInteger(magnitude: UInt64, negative: Bool, signed: Bool, verb: Unicode.Scalar, value: Value) {
        switch verb {
        case "v":
            if flags.sharpV && !signed {
                integer(magnitude, negative: negative, base: 16, upper: false, verb: "x", forceSharp: true)
            } else {
                integer(magnitude, negative: negative, base: 10, upper: false, verb: "d")
            }
        case "d": integer(magnitude, negative: negative, base: 10, upper: false, verb: verb)
        case "b": integer(magnitude, negative: negative, base: 2, upper: false, verb: verb)
        case "o", "O": integer(magnitude, negative: negative, base: 8, upper: false, verb: verb)
        case "x": integer(magnitude, negative: negative, base: 16, upper: false, verb: verb)
        case "X": integer(magnitude, negative: negative, base: 16, upper: true, verb: verb)
        case "c":
            let rune = negative || magnitude > 0x10FFFF ? 0xFFFD : UInt32(magnitude)
            pad(String(Character(Unicode.Scalar(rune) ?? "\u{FFFD}")))
        case "q":
            let rune = negative || magnitude > 0x10FFFF ? Int32(0xFFFD) : Int32(magnitude)
            if flags.sharp, rune < 0x10FFFF, GoQuote.canBackquote(String(Character(Unicode.Scalar(UInt32(rune)) ?? "\u{FFFD}"))), rune != 0x60 {
                pad("'" + String(Character(Unicode.Scalar(UInt32(rune)) ?? "\u{FFFD}")) + "'")
            } else {
                pad(GoQuote.quoteRune(rune, asciiOnly: flags.plus))
            }
        case "U":
            var text = "U+" + GoQuote.hex(magnitude, width: flags.precision ?? 4)
            if flags.sharp, magnitude <= 0x10FFFF, GoQuote.isPrint(Int32(magnitude)) {
                text += " '" + String(Character(Unicode.Scalar(UInt32(magnitude))!)) + "'"
            }
            pad(text)
        default:
            badVerb(verb, value)
        }
    }

    mutating func integer(_ magnitude: UInt64, negative: Bool, base: UInt64, upper: Bool, verb: Unicode.Scalar, forceSharp: Bool = false) {
        var digits = magnitude == 0 && flags.precision == 0 ? "" : String(magnitude, radix: Int(base), uppercase: upper)
        var precision = flags.precision
        if precision == nil, flags.zero, let width = flags.width, !flags.minus {
            precision = width
            if negative || flags.plus || flags.space { precision! -= 1 }
        }
        if let precision, digits.count < precision {
            digits = String(repeating: "0", count: precision - digits.count) + digits
        }
        if flags.sharp || forceSharp {
            switch base {
            case 2: digits = "0b" + digits
            case 8: if !digits.hasPrefix("0") { digits = "0" + digits }
            case 16: digits = (upper ? "0X" : "0x") + digits
            default: break
            }
        }
        if verb == "O" { digits = "0o" + digits }
        if negative {
            digits = "-" + digits
        } else if flags.plus {
            digits = "+" + digits
        } else if flags.space {
            digits = " " + digits
        }
        let savedZero = flags.zero
        flags.zero = false
        pad(digits)
        flags.zero = savedZero
    }

    mutating func formatFloat(_ number: Double, bits: Int, verb: Unicode.Scalar, value: Value) {
        switch verb {
        case "v": float(number, bits: bits, format: "g", precision: -1, verb: verb)
        case "g", "G": float(number, bits: bits, format: Character(verb), precision: -1, verb: verb)
        case "e", "E", "f": float(number, bits: bits, format: Character(verb), precision: 6, verb: verb)
        case "F": float(number, bits: bits, format: "f", precision: 6, verb: verb)
        default: badVerb(verb, value)
        }
    }

    mutating func float(_ number: Double, bits: Int, format: Character, precision defaultPrecision: Int, verb: Unicode.Scalar) {
        let precision = flags.precision ?? defaultPrecision
        var text = GoFloat.format(number, format, precision: precision, bits: bits)
        var sign = "+"
        if text.hasPrefix("-") || text.hasPrefix("+") {
            sign = String(text.prefix(1))
            text.removeFirst()
        }
        if flags.space && sign == "+" && !flags.plus { sign = " " }
        if text == "Inf" || text == "NaN" {
            let savedZero = flags.zero
            flags.zero = false
            if text == "NaN" && !flags.space && !flags.plus {
                pad(text)
            } else {
                pad((sign == "+" && !flags.plus && !flags.space ? "" : sign) + text)
            }
            flags.zero = savedZero
            return
        }
        if flags.sharp {
            var digits = 0
            if verb == "v" || verb == "g" || verb == "G" {
                digits = precision == -1 ? 6 : precision
            }
            var tail = ""
            var body = text
            if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                tail = String(body[e...])
                body = String(body[..<e])
            }
            var sawNonzero = false
            for character in body where character != "." {
                if character != "0" { sawNonzero = true }
                if sawNonzero { digits -= 1 }
            }
            if !body.contains(".") {
                if body == "0" { digits -= 1 }
                body += "."
            }
            if digits > 0 { body += String(repeating: "0", count: digits) }
            text = body + tail
        }
        if flags.plus || sign != "+" {
            if flags.zero, let width = flags.width, width > text.count + 1, !flags.minus {
                out += sign
                out += String(repeating: "0", count: width - text.count - 1)
                out += text
                return
            }
            pad(sign + text)
            return
        }
        pad(text)
    }

    mutating func formatComplex(_ real: Double, _ imaginary: Double, bits: Int, verb: Unicode.Scalar, value: Value) {
        switch verb {
        case "v", "b", "g", "G", "x", "X", "f", "F", "e", "E":
            let savedPlus = flags.plus
            out += "("
            formatFloat(real, bits: bits, verb: verb, value: value)
            flags.plus = true
            formatFloat(imaginary, bits: bits, verb: verb, value: value)
            out += "i)"
            flags.plus = savedPlus
        default:
            badVerb(verb, value)
        }
    }

    mutating func formatString(_ text: String, verb: Unicode.Scalar, value: Value) {
        switch verb {
        case "v":
            if flags.sharpV {
                pad(GoQuote.quote(text))
            } else {
                pad(truncated(text))
            }
        case "s": pad(truncated(text))
        case "q":
            let body = truncated(text)
            if flags.sharp && GoQuote.canBackquote(body) {
                pad("`" + body + "`")
            } else if flags.plus {
                pad(GoQuote.quoteASCII(body))
            } else {
                pad(GoQuote.quote(body))
            }
        case "x", "X":
            var bytes = Array(text.utf8)
            if let precision = flags.precision, precision < bytes.count { bytes = Array(bytes.prefix(precision)) }
            let digits = Array((verb == "X" ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
            var result = [UInt8]()
            for (index, byte) in bytes.enumerated() {
                if flags.space && index > 0 { result.append(0x20) }
                if flags.sharp && (flags.space || index == 0) {
                    result.append(0x30)
                    result.append(verb == "X" ? 0x58 : 0x78)
                }
                result.append(digits[Int(byte >> 4)])
                result.append(digits[Int(byte & 0x0F)])
            }
            pad(String(decoding: result, as: UTF8.self))
        default:
            badVerb(verb, value)
        }
    }

    func truncated(_ text: String) -> String {
        guard let precision = flags.precision else { return text }
        let scalars = text.unicodeScalars
        guard scalars.count > precision else { return text }
        return String(String.UnicodeScalarView(scalars.prefix(precision)))
    }
}

extension Unicode.Scalar {
    var asciiDigit: Int? {
        value >= 0x30 && value <= 0x39 ? Int(value - 0x30) : nil
    }
}

extension GoType {
    var isPointerToStruct: Bool {
        if case .pointer = self { return true }
        return false
    }
}
