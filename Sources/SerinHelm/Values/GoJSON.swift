import Foundation
import SerinTemplate

/// A value as Go's `encoding/json` sees it: what `toJson` prints and
/// what `toYaml` (JSON first, then YAML) starts from.
indirect enum GoJSONValue: Equatable {
    case null
    case bool(Bool)
    /// A number as `json.Marshal` writes it.
    case number(String)
    case string(String)
    case array([GoJSONValue])
    /// Keys in Go's order (byte order, as `json.Marshal` sorts map keys).
    case object([(String, GoJSONValue)])

    static func == (lhs: GoJSONValue, rhs: GoJSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)), (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// A value that knows how Go's `encoding/json` writes it (Helm's `.Chart`, `.Capabilities`).
public protocol JSONRepresentable {
    var jsonValue: Value { get }
}

public enum GoJSON {
    public struct EncodeError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    static func normalize(_ value: Value) throws -> GoJSONValue {
        switch value {
        case .missing, .null, .typedNil: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number, _): return .number(String(number))
        case .uint(let number, _): return .number(String(number))
        case .float(let number, let type):
            guard number.isFinite else {
                throw EncodeError(description: "json: unsupported value: \(GoFloat.format(number, "g", precision: -1))")
            }
            return .number(formatFloat(number, bits: type.underlying == .float32 ? 32 : 64))
        case .complex(_, _, let type):
            throw EncodeError(description: "json: unsupported type: \(type)")
        case .string(let text): return .string(text)
        case .list(let list):
            if list.isNil { return .null }
            return .array(try list.items.map(normalize))
        case .map(let map):
            if map.isNil { return .null }
            var entries: [(String, GoJSONValue)] = []
            for key in map.entries.keys.sorted(by: { keyText($0).utf8.lexicographicallyPrecedes(keyText($1).utf8) }) {
                entries.append((keyText(key), try normalize(map.entries[key] ?? .null)))
            }
            return .object(entries)
        case .object(let object):
            if object.isNilPointer { return .null }
            if let representable = object as? any JSONRepresentable { return try normalize(representable.jsonValue) }
            if let text = object.formatted { return .string(text) }
            return .object(try object.printedFields.map { ($0.name, try normalize($0.value)) })
        case .function(let function):
            throw EncodeError(description: "json: unsupported type: \(function.signature)")
        }
    }

    static func keyText(_ key: MapKey) -> String {
        switch key {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .uint(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        }
    }

    /// `encoding/json`'s float format: `%f`-like, exponent form outside [1e-6, 1e21).
    static func formatFloat(_ number: Double, bits: Int) -> String {
        let magnitude = abs(number)
        var exponential = false
        if magnitude != 0 {
            if bits == 64 && (magnitude < 1e-6 || magnitude >= 1e21) { exponential = true }
            if bits == 32 && (Float(magnitude) < 1e-6 || Float(magnitude) >= 1e21) { exponential = true }
        }
        var text = GoFloat.format(number, exponential ? "e" : "f", precision: -1, bits: bits)
        if exponential {
            // e-09 to e-9
            let bytes = Array(text.utf8)
            let count = bytes.count
            if count >= 4 && bytes[count - 4] == UInt8(ascii: "e") && bytes[count - 3] == UInt8(ascii: "-") && bytes[count - 2] == UInt8(ascii: "0") {
                text = String(decoding: bytes[..<(count - 2)] + [bytes[count - 1]], as: UTF8.self)
            }
        }
        return text
    }

    /// `json.Marshal`: compact, keys sorted, `<`, `>` and `&` escaped unless `escapeHTML` is false.
    public static func encode(_ value: Value, escapeHTML: Bool = true, indent: String? = nil) throws -> String {
        var out = ""
        write(try normalize(value), to: &out, escapeHTML: escapeHTML, indent: indent, level: 0)
        return out
    }

    static func write(_ value: GoJSONValue, to out: inout String, escapeHTML: Bool, indent: String?, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): writeString(text, to: &out, escapeHTML: escapeHTML)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent, level + 1)
                write(item, to: &out, escapeHTML: escapeHTML, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "]"
        case .object(let entries):
            if entries.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent, level + 1)
                writeString(entry.0, to: &out, escapeHTML: escapeHTML)
                out += indent == nil ? ":" : ": "
                write(entry.1, to: &out, escapeHTML: escapeHTML, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }

    static func writeString(_ text: String, to out: inout String, escapeHTML: Bool) {
        out += "\""
        let hex = Array("0123456789abcdef")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<" where escapeHTML, ">" where escapeHTML, "&" where escapeHTML:
                out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xF)])
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xF)])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `json.Unmarshal` into `interface {}`: numbers are float64.
    public static func decode(_ text: String) throws -> Value {
        var parser = JSONParser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.failure("after top-level value") }
        return value
    }
}

/// A strict JSON reader with Go's number semantics (float64).
struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    func failure(_ context: String) -> GoJSON.EncodeError {
        if index >= bytes.count { return GoJSON.EncodeError(description: "unexpected end of JSON input") }
        let character = String(decoding: [bytes[index]], as: UTF8.self)
        return GoJSON.EncodeError(description: "invalid character '\(character)' \(context)")
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func value(depth: Int) throws -> Value {
        guard depth < 10_000 else { throw GoJSON.EncodeError(description: "exceeded max depth") }
        guard index < bytes.count else { throw failure("looking for beginning of value") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var entries: [String: Value] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .dictionary(entries) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("looking for beginning of object key string") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("after object key") }
                index += 1
                skipSpace()
                entries[key] = try value(depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw failure("after object key:value pair") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .dictionary(entries) }
                throw failure("after object key:value pair")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw failure("after array element") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw failure("after array element")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try number()
        }
    }

    mutating func literal(_ word: String, _ value: Value) throws -> Value {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw failure("in literal \(word)")
        }
        index += expected.count
        return value
    }

    mutating func number() throws -> Value {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits() -> Int {
            var count = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; count += 1 }
            return count
        }
        guard digits() > 0 else { throw failure("looking for beginning of value") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("after decimal point in numeric literal") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("in exponent of numeric literal") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(text) else { throw failure("in numeric literal") }
        return .float(number, .float64)
    }

    mutating func string() throws -> String {
        index += 1
        var out = [UInt8]()
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if byte < 0x20 { throw failure("in string literal") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let saved = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = saved
                        code = 0xFFFD
                    }
                } else if (0xD800..<0xE000).contains(code) {
                    code = 0xFFFD
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
            default:
                throw failure("in string escape code")
            }
        }
        throw GoJSON.EncodeError(description: "unexpected end of JSON input")
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("in \\u hexadecimal character escape") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue else { throw failure("in \\u hexadecimal character escape") }
            code = code << 4 | UInt32(digit)
            index += 1
        }
        return code
    }
}
