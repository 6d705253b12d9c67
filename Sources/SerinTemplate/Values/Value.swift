/// A Go value as a template sees it. Helm's values are what
/// `sigs.k8s.io/yaml` decodes: `map[string]interface {}`, `[]interface {}`,
/// strings, bools, float64 (every YAML number), nil; functions add ints,
/// `[]string` and the objects of `.Release`, `.Chart`, `.Files`.
public indirect enum Value: Sendable {
    /// Go's invalid `reflect.Value`: a missing map key, nothing at all.
    /// Printed `<no value>`.
    case missing
    /// nil inside an `interface {}` (a YAML `null`, `nil` passed to a function).
    case null
    case bool(Bool)
    /// A signed integer of the given type (`int`, `int64`, ...).
    case int(Int64, GoType)
    case uint(UInt64, GoType)
    case float(Double, GoType)
    case complex(Double, Double, GoType)
    case string(String)
    case list(ValueList)
    case map(ValueMap)
    case object(any TemplateObject)
    case function(TemplateFunction)
    /// A nil pointer, map, slice or function of a given type.
    case typedNil(GoType)

    public static func int(_ value: Int) -> Value { .int(Int64(value), .int) }
    public static func int64(_ value: Int64) -> Value { .int(value, .int64) }
    public static func float64(_ value: Double) -> Value { .float(value, .float64) }

    /// A `[]interface {}`.
    public static func array(_ items: [Value]) -> Value { .list(ValueList(items)) }
    /// A `[]string`.
    public static func strings(_ items: [String]) -> Value { .list(ValueList(items.map(Value.string), type: .slice(.string))) }
    /// A `map[string]interface {}`.
    public static func dictionary(_ entries: [String: Value]) -> Value { .map(ValueMap(entries)) }

    /// The dynamic type; nil for `missing` and `null`.
    public var type: GoType? {
        switch self {
        case .missing, .null: return nil
        case .bool: return .bool
        case .int(_, let type), .uint(_, let type), .float(_, let type), .complex(_, _, let type): return type
        case .string: return .string
        case .list(let list): return list.type
        case .map(let map): return map.type
        case .object(let object): return object.type
        case .function(let function): return .function(function.signature)
        case .typedNil(let type): return type
        }
    }

    /// Go's type name in messages; `<nil>` for nil.
    public var typeName: String { type?.description ?? "<nil>" }

    public var isNil: Bool {
        switch self {
        case .missing, .null, .typedNil: return true
        case .list(let list): return list.isNil
        case .map(let map): return map.isNil
        case .object(let object): return object.isNilPointer
        default: return false
        }
    }

    /// Go's truth (`if`, `with`, `and`, `or`, `not`): not the zero value
    /// of its type. Nil for values with no truth (a struct has one: true).
    public var truth: Bool? {
        switch self {
        case .missing, .null, .typedNil: return false
        case .bool(let value): return value
        case .int(let value, _): return value != 0
        case .uint(let value, _): return value != 0
        case .float(let value, _): return value != 0
        case .complex(let real, let imaginary, _): return real != 0 || imaginary != 0
        case .string(let value): return !value.isEmpty
        case .list(let list): return !list.items.isEmpty
        case .map(let map): return !map.entries.isEmpty
        case .object(let object): return object.isNilPointer ? false : true
        case .function: return true
        }
    }

    /// The same value with every map in it new (Go's `copystructure`).
    public func deepCopy() -> Value {
        switch self {
        case .map(let map): return .map(map.deepCopy())
        case .list(var list):
            list.items = list.items.map { $0.deepCopy() }
            return .list(list)
        default: return self
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// A slice (or array) and its element type.
public struct ValueList: Sendable {
    public var items: [Value]
    /// `[]interface {}` unless the producer said otherwise.
    public var type: GoType
    public var isNil: Bool

    public init(_ items: [Value], type: GoType = .slice(.interface), isNil: Bool = false) {
        self.items = items
        self.type = type
        self.isNil = isNil
    }

    public var elementType: GoType {
        switch type.underlying {
        case .slice(let element), .array(_, let element): return element
        default: return .interface
        }
    }
}

/// A map key: Go maps in templates are keyed by strings, or by numbers and
/// bools in Go's own tests.
public enum MapKey: Sendable, Hashable, Comparable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)

    public var value: Value {
        switch self {
        case .string(let text): return .string(text)
        case .int(let number): return .int(number, .int)
        case .uint(let number): return .uint(number, .uint)
        case .bool(let flag): return .bool(flag)
        }
    }

    /// Go's `fmtsort` order within one kind; kinds apart by a fixed order.
    public static func < (lhs: MapKey, rhs: MapKey) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        case (.int(let a), .int(let b)): return a < b
        case (.uint(let a), .uint(let b)): return a < b
        case (.bool(let a), .bool(let b)): return !a && b
        default: return lhs.rank < rhs.rank
        }
    }

    var rank: Int {
        switch self {
        case .bool: return 0
        case .int: return 1
        case .uint: return 2
        case .string: return 3
        }
    }
}

/// A map, iterated in key order as Go's templates and `fmt` do. Like a Go
/// map it is a reference: `set`, `merge` and `unset` change the map every
/// holder sees, as charts expect (`{{ $_ := set $d "k" 1 }}`).
public struct ValueMap: Sendable {
    /// Safe to share between threads: a map is changed only by the template
    /// functions of the one execution that holds it, on that execution's
    /// thread; values handed to another execution are copied first
    /// (`deepCopy()`), as Helm's renderer copies values for each render.
    final class Storage: @unchecked Sendable {
        var entries: [MapKey: Value]
        init(_ entries: [MapKey: Value]) { self.entries = entries }
    }

    let storage: Storage
    public var entries: [MapKey: Value] {
        get { storage.entries }
        nonmutating set { storage.entries = newValue }
    }
    /// `map[string]interface {}` unless said otherwise (`chartutil.Values`, `map[string]string`).
    public var type: GoType
    public var isNil: Bool
    /// Methods of a named map type (Helm's `.Files`): looked up before keys, as Go does.
    public var methods: (@Sendable (String, ValueMap) -> TemplateFunction?)?

    public init(_ entries: [String: Value] = [:], type: GoType = .map(.string, .interface)) {
        storage = Storage(Dictionary(uniqueKeysWithValues: entries.map { (MapKey.string($0.key), $0.value) }))
        self.type = type
        self.isNil = false
    }

    public init(keyed entries: [MapKey: Value], type: GoType, isNil: Bool = false) {
        storage = Storage(entries)
        self.type = type
        self.isNil = isNil
    }

    /// Whether both are the same Go map (not just equal entries).
    public func isSame(as other: ValueMap) -> Bool { storage === other.storage }

    /// A new map with the same entries (a shallow copy).
    public func copy() -> ValueMap {
        var copy = ValueMap(keyed: entries, type: type, isNil: isNil)
        copy.methods = methods
        return copy
    }

    /// A new map whose maps and lists are new too (sprig's `deepCopy`).
    public func deepCopy() -> ValueMap {
        var copy = ValueMap(keyed: entries.mapValues { $0.deepCopy() }, type: type, isNil: isNil)
        copy.methods = methods
        return copy
    }

    public var keyType: GoType {
        if case .map(let key, _) = type.underlying { return key }
        return .string
    }

    public var elementType: GoType {
        if case .map(_, let element) = type.underlying { return element }
        return .interface
    }

    public subscript(key: String) -> Value? {
        get { storage.entries[.string(key)] }
        nonmutating set { storage.entries[.string(key)] = newValue }
    }

    public var sortedKeys: [MapKey] { entries.keys.sorted() }

    /// The string keys in order (Helm's maps have no others).
    public var sortedStringKeys: [String] {
        sortedKeys.compactMap { if case .string(let key) = $0 { return key } else { return nil } }
    }

    public var count: Int { entries.count }
}

/// A struct or other named value with fields and methods: Helm's `.Files`,
/// `.Capabilities`, `.Chart`; test data.
public protocol TemplateObject: Sendable {
    var type: GoType { get }
    /// The field's value; nil when the type has no such field.
    func field(_ name: String) -> TemplateField?
    /// A method, bound to this value.
    func method(_ name: String) -> TemplateFunction?
    /// What `fmt` prints for `%v` when the type has a `String` or `Error`
    /// method; nil prints the fields.
    var formatted: String? { get }
    /// Whether `formatted` comes from an `Error` method (`error` arguments accept it).
    var isError: Bool { get }
    /// The fields in declaration order, for `%v` (`{a b}`) and `%+v`.
    var printedFields: [(name: String, value: Value)] { get }
    /// A nil pointer of the object's type.
    var isNilPointer: Bool { get }
}

public enum TemplateField: Sendable {
    case value(Value)
    /// A field of the struct that templates may not read.
    case unexported
}

extension TemplateObject {
    public func method(_ name: String) -> TemplateFunction? { nil }
    public var formatted: String? { nil }
    public var isError: Bool { false }
    public var isNilPointer: Bool { false }
}
