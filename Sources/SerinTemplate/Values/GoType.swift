/// The Go type of a value, as far as templates can tell them apart: what
/// arguments a function accepts, what error messages name, what `%T` and
/// `typeOf` print.
public indirect enum GoType: Sendable, Hashable, CustomStringConvertible {
    /// `interface {}`.
    case interface
    case bool
    case string
    case int, int8, int16, int32, int64
    case uint, uint8, uint16, uint32, uint64, uintptr
    case float32, float64
    case complex64, complex128
    case slice(GoType)
    case array(Int, GoType)
    case map(GoType, GoType)
    case pointer(GoType)
    /// A named type (`chartutil.Values`, `template.T`) over an underlying one.
    case named(String, GoType)
    /// A struct type without a name (printed `struct {...}`).
    case structure(String)
    case function(String)
    /// The `error` interface.
    case error
    /// Go's `reflect.Value`: builtins that take any value as it is.
    case reflectValue

    public var description: String {
        switch self {
        case .interface: return "interface {}"
        case .bool: return "bool"
        case .string: return "string"
        case .int: return "int"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint: return "uint"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .uintptr: return "uintptr"
        case .float32: return "float32"
        case .float64: return "float64"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .slice(let element): return "[]" + element.description
        case .array(let count, let element): return "[\(count)]" + element.description
        case .map(let key, let element): return "map[\(key)]\(element)"
        case .pointer(let element): return "*" + element.description
        case .named(let name, _): return name
        case .structure(let text): return text
        case .function(let signature): return signature
        case .error: return "error"
        case .reflectValue: return "reflect.Value"
        }
    }

    /// The type under a name.
    public var underlying: GoType {
        if case .named(_, let type) = self { return type.underlying }
        return self
    }

    public var isNamed: Bool {
        switch self {
        case .named: return true
        case .interface, .structure, .slice, .array, .map, .pointer, .function: return false
        default: return true // predeclared types are named
        }
    }

    var isSignedInteger: Bool {
        switch underlying {
        case .int, .int8, .int16, .int32, .int64: return true
        default: return false
        }
    }

    var isUnsignedInteger: Bool {
        switch underlying {
        case .uint, .uint8, .uint16, .uint32, .uint64, .uintptr: return true
        default: return false
        }
    }

    var isFloat: Bool {
        switch underlying {
        case .float32, .float64: return true
        default: return false
        }
    }

    var isComplex: Bool {
        switch underlying {
        case .complex64, .complex128: return true
        default: return false
        }
    }

    /// Whether an untyped nil can be assigned to the type (Go's `canBeNil`).
    var canBeNil: Bool {
        switch underlying {
        case .interface, .slice, .map, .pointer, .function, .error, .reflectValue: return true
        default: return false
        }
    }

    /// Go's assignability, for the types templates meet.
    func accepts(_ other: GoType) -> Bool {
        if self == other { return true }
        switch self {
        case .interface, .reflectValue: return true
        case .error: return false
        default: break
        }
        // Identical underlying types, one of them unnamed.
        if (!isNamed || !other.isNamed) && underlying == other.underlying { return true }
        return false
    }
}
