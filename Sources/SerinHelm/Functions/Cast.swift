import SerinTemplate

/// spf13/cast and sprig's conversions: how Sprig's functions read their
/// `interface {}` arguments.
enum Cast {
    /// `cast.ToInt64`: numbers truncated, strings parsed (Go's base prefixes), bools 1/0, else 0.
    static func int64(_ value: Value) -> Int64 {
        switch value {
        case .int(let number, _): return number
        case .uint(let number, _): return Int64(truncatingIfNeeded: number)
        case .float(let number, _):
            guard number.isFinite else { return Int64.min }
            return Int64(exactly: number.rounded(.towardZero)) ?? (number < 0 ? Int64.min : Int64.min)
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text):
            var trimmed = text
            if let dot = trimmed.firstIndex(of: "."), trimmed[trimmed.index(after: dot)...].allSatisfy({ $0 == "0" }), !trimmed[..<dot].isEmpty {
                trimmed = String(trimmed[..<dot])
            }
            return GoNumber.parseInt(trimmed) ?? 0
        default: return 0
        }
    }

    static func int(_ value: Value) -> Int { Int(int64(value)) }

    /// `cast.ToFloat64`.
    static func float64(_ value: Value) -> Double {
        switch value {
        case .int(let number, _): return Double(number)
        case .uint(let number, _): return Double(number)
        case .float(let number, _): return number
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text): return Double(text) ?? 0
        default: return 0
        }
    }

    /// sprig's `strval`: strings as they are, errors and Stringers by their text, else `%v`.
    static func string(_ value: Value) -> String {
        switch value {
        case .string(let text): return text
        case .missing, .null: return "<nil>"
        case .list(let list) where list.elementType.underlying == .uint8:
            return String(decoding: list.items.map { if case .uint(let byte, _) = $0 { return UInt8(truncatingIfNeeded: byte) } else { return 0 } }, as: UTF8.self)
        default: return GoFormatter.string(value)
        }
    }

    /// The items of a slice or array, or nil for anything else.
    static func list(_ value: Value) -> [Value]? {
        switch value {
        case .list(let list): return list.items
        case .typedNil(let type):
            if case .slice = type.underlying { return [] }
            return nil
        default: return nil
        }
    }

    /// sprig's `empty`.
    static func isEmpty(_ value: Value) -> Bool {
        switch value {
        case .object(let object): return object.isNilPointer
        default: return !(value.truth ?? false)
        }
    }

    static func dictionary(_ value: Value) -> ValueMap? {
        switch value {
        case .map(let map): return map
        default: return nil
        }
    }
}
