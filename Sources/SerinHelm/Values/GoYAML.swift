import Foundation
import SerinTemplate
import Yams

/// YAML as Helm reads it: `sigs.k8s.io/yaml`, which resolves scalars with
/// go-yaml v2 (YAML 1.1: `yes`, `on` and `off` are booleans, `010` is
/// octal) and then goes through JSON, so every number is a float64, every
/// key a string, and timestamps stay strings.
public enum GoYAML {
    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var line: Int?
        public var column: Int?
        public var description: String { message }
    }

    /// The first document of `text` as Helm's values: a map (nil document: empty map).
    public static func decodeValues(_ text: String) throws -> ValueMap {
        let value = try decode(text)
        switch value {
        case .map(let map): return map
        case .null, .missing: return ValueMap()
        default:
            throw DecodeError(message: "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal \(jsonKind(value)) into Go value of type map[string]interface {}")
        }
    }

    static func jsonKind(_ value: Value) -> String {
        switch value {
        case .list: return "array"
        case .map: return "object"
        case .string: return "string"
        case .bool: return "bool"
        default: return "number"
        }
    }

    /// The first document of `text` as a Helm value.
    public static func decode(_ text: String) throws -> Value {
        let node: Yams.Node?
        do {
            node = try Yams.Parser(yaml: text, resolver: .basic).nextRoot()
        } catch let error as YamlError {
            throw DecodeError(message: "error converting YAML to JSON: yaml: \(yamlMessage(error))", line: yamlLine(error))
        }
        guard let node else { return .null }
        return try convert(node)
    }

    static func yamlMessage(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _):
            return "line \(mark.line): \(problem)"
        case .parser(_, let problem, let mark, _):
            return mark.line > 1 ? "line \(mark.line - 1): \(problem)" : problem
        default:
            return "\(error)"
        }
    }

    /// go-yaml's line for the error: a scanner's problem line, a parser's line before it.
    static func yamlLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _): return mark.line
        case .parser(_, _, let mark, _): return mark.line - 1
        default: return nil
        }
    }

    static func convert(_ node: Yams.Node) throws -> Value {
        switch node {
        case .scalar(let scalar):
            return try scalarValue(scalar)
        case .sequence(let sequence):
            return .array(try sequence.map(convert))
        case .mapping(let mapping):
            var entries: [String: Value] = [:]
            var merged: [String: Value] = [:]
            for (key, value) in mapping {
                if case .scalar(let keyScalar) = key, keyScalar.style == .plain, keyScalar.string == "<<" {
                    for source in mergeSources(value) {
                        if case .map(let map) = try convert(source) {
                            for (name, item) in map.entries { if case .string(let text) = name, merged[text] == nil { merged[text] = item } }
                        }
                    }
                    continue
                }
                entries[try keyString(key)] = try convert(value)
            }
            for (name, item) in merged where entries[name] == nil { entries[name] = item }
            return .dictionary(entries)
        case .alias:
            throw DecodeError(message: "error converting YAML to JSON: yaml: unknown anchor")
        }
    }

    static func mergeSources(_ node: Yams.Node) -> [Yams.Node] {
        if case .sequence(let sequence) = node { return Array(sequence) }
        return [node]
    }

    /// A mapping key as sigs.k8s.io/yaml writes it into JSON.
    static func keyString(_ node: Yams.Node) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw DecodeError(message: "error converting YAML to JSON: yaml: invalid map key")
        }
        if scalar.style != .plain || scalar.tag.rawValue != "tag:yaml.org,2002:str" { return scalar.string }
        switch resolve(scalar.string) {
        case .int(let text):
            guard let number = parseInteger(text) else { return scalar.string }
            if let exact = Int64(exactly: number) { return String(exact) }
            return GoFloat.format(number, "f", precision: 0)
        case .float(let number):
            return GoFloat.format(Double(Float(number)), "g", precision: -1, bits: 32)
        case .bool(let flag):
            return flag ? "true" : "false"
        case .null:
            return "null"
        default:
            return scalar.string
        }
    }

    static func scalarValue(_ scalar: Yams.Node.Scalar) throws -> Value {
        if scalar.style != .plain { return .string(scalar.string) }
        let tag = scalar.tag.rawValue
        switch tag {
        case "tag:yaml.org,2002:str":
            break
        case "tag:yaml.org,2002:null":
            return .null
        case "tag:yaml.org,2002:binary":
            return .string(scalar.string)
        default:
            break
        }
        switch resolve(scalar.string) {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let text):
            guard let number = GoYAML.parseInteger(text) else { return .string(scalar.string) }
            return .float(number, .float64)
        case .float(let number):
            guard number.isFinite else {
                throw DecodeError(message: "error converting YAML to JSON: json: unsupported value: \(GoFloat.format(number, "g", precision: -1))")
            }
            return .float(number, .float64)
        case .timestamp, .string, .merge:
            return .string(scalar.string)
        }
    }

    // MARK: - go-yaml v2's resolver

    /// What go-yaml v2 makes of a plain scalar.
    public enum Resolved: Equatable {
        case null
        case bool(Bool)
        /// An integer, as written (underscores removed).
        case int(String)
        case float(Double)
        case timestamp
        case merge
        case string
    }

    static let boolWords: [String: Bool] = [
        "y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true,
        "on": true, "On": true, "ON": true,
        "n": false, "N": false, "no": false, "No": false, "NO": false, "false": false, "False": false, "FALSE": false,
        "off": false, "Off": false, "OFF": false,
    ]

    public static func resolve(_ text: String) -> Resolved {
        guard let first = text.utf8.first else { return .null }
        let hint: Character
        switch first {
        case UInt8(ascii: "+"), UInt8(ascii: "-"): hint = "S"
        case UInt8(ascii: "0")...UInt8(ascii: "9"): hint = "D"
        case UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
             UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "~"):
            hint = "M"
        case UInt8(ascii: "."): hint = "."
        default: return .string
        }
        if let flag = boolWords[text] { return .bool(flag) }
        switch text {
        case "~", "null", "Null", "NULL": return .null
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case "<<": return .merge
        default: break
        }
        switch hint {
        case ".":
            if let number = goParseFloat(text) { return .float(number) }
        case "D", "S":
            if isTimestamp(text) { return .timestamp }
            let plain = text.replacingOccurrences(of: "_", with: "")
            if parseInteger(plain) != nil { return .int(plain) }
            if isYAMLStyleFloat(plain), let number = Double(plain) { return .float(number) }
            if plain.hasPrefix("0b"), let value = UInt64(plain.dropFirst(2), radix: 2) { return .int(String(value)) }
            if plain.hasPrefix("-0b"), let value = Int64("-" + plain.dropFirst(3), radix: 2) { return .int(String(value)) }
        default:
            break
        }
        return .string
    }

    /// Go's `strconv.ParseInt(text, 0, 64)`, then `ParseUint`: the value as a float64.
    static func parseInteger(_ text: String) -> Double? {
        if let signed = GoNumber.parseInt(text) { return Double(signed) }
        return GoNumber.parseUInt(text).map(Double.init)
    }

    static func goParseFloat(_ text: String) -> Double? {
        let body = text.hasPrefix("+") || text.hasPrefix("-") ? String(text.dropFirst()) : text
        guard body.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-_".contains($0)) }), body.contains(where: \.isNumber) else { return nil }
        return Double(text.replacingOccurrences(of: "_", with: ""))
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    static func isYAMLStyleFloat(_ text: String) -> Bool {
        var chars = Array(text.utf8)[...]
        if let first = chars.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { chars = chars.dropFirst() }
        func digits(_ slice: inout ArraySlice<UInt8>) -> Int {
            var count = 0
            while let byte = slice.first, byte >= 0x30, byte <= 0x39 { slice = slice.dropFirst(); count += 1 }
            return count
        }
        if chars.first == UInt8(ascii: ".") {
            chars = chars.dropFirst()
            if digits(&chars) == 0 { return false }
        } else {
            if digits(&chars) == 0 { return false }
            if chars.first == UInt8(ascii: ".") {
                chars = chars.dropFirst()
                _ = digits(&chars)
            }
        }
        if let byte = chars.first, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            chars = chars.dropFirst()
            if let sign = chars.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { chars = chars.dropFirst() }
            if digits(&chars) == 0 { return false }
        }
        return chars.isEmpty
    }

    /// go-yaml v2's timestamp formats (Go's `time.Parse` layouts `2006-1-2`,
    /// `2006-1-2T15:4:5.999999999Z07:00`, `2006-1-2 15:4:5.999999999`).
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func number(maxDigits: Int, minDigits: Int = 1) -> Int? {
            var value = 0
            var count = 0
            while index < bytes.count, count < maxDigits, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
                count += 1
            }
            return count >= minDigits ? value : nil
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(maxDigits: 4, minDigits: 4), expect(UInt8(ascii: "-")),
              let month = number(maxDigits: 2), (1...12).contains(month), expect(UInt8(ascii: "-")),
              let day = number(maxDigits: 2), day >= 1 else { return false }
        var components = DateComponents()
        components.year = year
        components.month = month
        let calendar = Calendar(identifier: .gregorian)
        let days = calendar.range(of: .day, in: .month, for: calendar.date(from: components) ?? Date())?.count ?? 31
        guard day <= days else { return false }
        if index == bytes.count { return true }
        let separator = bytes[index]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ") else { return false }
        index += 1
        guard let hour = number(maxDigits: 2), hour < 24, expect(UInt8(ascii: ":")),
              let minute = number(maxDigits: 2), minute < 60, expect(UInt8(ascii: ":")),
              let second = number(maxDigits: 2), second < 60 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard number(maxDigits: 9) != nil else { return false }
        }
        if separator == UInt8(ascii: " ") { return index == bytes.count }
        if expect(UInt8(ascii: "Z")) { return index == bytes.count }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return false }
        index += 1
        guard number(maxDigits: 2, minDigits: 2) != nil, expect(UInt8(ascii: ":")), number(maxDigits: 2, minDigits: 2) != nil else { return false }
        return index == bytes.count
    }

    /// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`: quoted on the way out.
    static func isBase60Float(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39),
              bytes.contains(UInt8(ascii: ":")) else { return false }
        var index = 0
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") { index = 1 }
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        guard isDigit(index) else { return false }
        index += 1
        while index < bytes.count, isDigit(index) || bytes[index] == UInt8(ascii: "_") { index += 1 }
        var groups = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            index += 1
            if isDigit(index) && isDigit(index + 1) {
                guard bytes[index] <= UInt8(ascii: "5") else { return false }
                index += 2
            } else if isDigit(index) {
                index += 1
            } else {
                return false
            }
            groups += 1
        }
        guard groups > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(index) || bytes[index] == UInt8(ascii: "_") { index += 1 }
        }
        return index == bytes.count
    }
}
