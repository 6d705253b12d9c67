/// Go's `eq` and `lt` (`text/template/funcs.go`): basic kinds compared by
/// value, integers across signedness, anything else an error.
enum Comparison {
    enum Kind { case invalid, bool, complex, int, float, string, uint }

    static func kind(_ value: Value) -> Kind {
        switch value {
        case .bool: return .bool
        case .int: return .int
        case .uint: return .uint
        case .float: return .float
        case .complex: return .complex
        case .string: return .string
        default: return .invalid
        }
    }

    static func isZero(_ value: Value) -> Bool {
        switch value {
        case .missing, .null: return true
        default: return false
        }
    }

    static func equal(_ first: Value, _ others: [Value]) throws -> Bool {
        if others.isEmpty { throw FunctionError("missing argument for comparison") }
        let k1 = kind(first)
        for other in others {
            let k2 = kind(other)
            var truth = false
            if k1 != k2 {
                switch (first, other) {
                case (.int(let a, _), .uint(let b, _)): truth = a >= 0 && UInt64(a) == b
                case (.uint(let a, _), .int(let b, _)): truth = b >= 0 && a == UInt64(b)
                default:
                    if !isZero(first) && !isZero(other) { throw FunctionError("incompatible types for comparison") }
                }
            } else {
                switch (first, other) {
                case (.bool(let a), .bool(let b)): truth = a == b
                case (.complex(let ar, let ai, _), .complex(let br, let bi, _)): truth = ar == br && ai == bi
                case (.float(let a, _), .float(let b, _)): truth = a == b
                case (.int(let a, _), .int(let b, _)): truth = a == b
                case (.string(let a), .string(let b)): truth = a == b
                case (.uint(let a, _), .uint(let b, _)): truth = a == b
                default:
                    truth = try equalOther(first, other)
                }
            }
            if truth { return true }
        }
        return false
    }

    /// Values of no basic kind: nil against nil, or Go's `==` where the type allows it.
    static func equalOther(_ first: Value, _ other: Value) throws -> Bool {
        let firstNil = isZero(first) || first.isNil
        let otherNil = isZero(other) || other.isNil
        if !sameKind(first, other) && !isZero(first) && !isZero(other) {
            throw FunctionError("non-comparable types \(GoFormatter.string(first)): \(first.typeName), \(other.typeName): \(GoFormatter.string(other))")
        }
        if firstNil || otherNil { return firstNil == otherNil }
        switch other {
        case .list, .map, .function:
            throw FunctionError("non-comparable type \(GoFormatter.string(other)): \(other.typeName)")
        default:
            break
        }
        if case .object(let a) = first, case .object(let b) = other {
            guard a.type == b.type else { return false }
            return GoFormatter.string(first) == GoFormatter.string(other)
        }
        return false
    }

    static func sameKind(_ first: Value, _ other: Value) -> Bool {
        switch (first, other) {
        case (.list, .list), (.map, .map), (.object, .object), (.function, .function), (.typedNil, .typedNil): return true
        case (.typedNil(let type), .map), (.map, .typedNil(let type)):
            if case .map = type.underlying { return true }
            return false
        case (.typedNil(let type), .list), (.list, .typedNil(let type)):
            if case .slice = type.underlying { return true }
            return false
        case (.typedNil(let type), .object(let object)), (.object(let object), .typedNil(let type)):
            if case .pointer = type.underlying, case .pointer = object.type.underlying { return true }
            return false
        default: return false
        }
    }

    static func less(_ first: Value, _ other: Value) throws -> Bool {
        let k1 = kind(first)
        if k1 == .invalid { throw FunctionError("invalid type for comparison") }
        let k2 = kind(other)
        if k2 == .invalid { throw FunctionError("invalid type for comparison") }
        if k1 != k2 {
            switch (first, other) {
            case (.int(let a, _), .uint(let b, _)): return a < 0 || UInt64(a) < b
            case (.uint(let a, _), .int(let b, _)): return b >= 0 && a < UInt64(b)
            default: throw FunctionError("incompatible types for comparison")
            }
        }
        switch (first, other) {
        case (.bool, _), (.complex, _): throw FunctionError("invalid type for comparison")
        case (.float(let a, _), .float(let b, _)): return a < b
        case (.int(let a, _), .int(let b, _)): return a < b
        case (.string(let a), .string(let b)): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        case (.uint(let a, _), .uint(let b, _)): return a < b
        default: throw FunctionError("invalid type for comparison")
        }
    }
}
