import Foundation
import SerinTemplate

/// Go's own test tables (`scripts/helm/go-tables.sh` writes them from the
/// Go installed here), read from `GoTables/`.
enum GoTables {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GoTables")

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: folder.appendingPathComponent(name)))
    }

    struct LexItem: Decodable, Equatable, CustomStringConvertible {
        var kind: String
        var value: String
        var pos: Int
        var line: Int
        var description: String { "\(kind) \(value.debugDescription) @\(pos) line \(line)" }
    }

    struct LexCase: Decodable {
        var name: String
        var input: String
        var left: String
        var right: String
        var actual: [LexItem]
    }

    struct ParseCase: Decodable {
        var name: String
        var input: String
        var ok: Bool
        var expected: String
        var actual: String
        var error: String
    }

    struct NumberCase: Decodable {
        var text: String
        var isInt: Bool
        var isUint: Bool
        var isFloat: Bool
        var isComplex: Bool
        var int64: Int64
        var uint64: UInt64
        var float64: Double
        var real: Double
        var imaginary: Double
    }

    struct ExecCase: Decodable {
        var name: String
        var input: String
        var output: String
        var data: DataDescription
        var ok: Bool
        var goOutput: String
        var goError: String
    }

    struct MultiExec: Decodable {
        var set: [String]
        var cases: [ExecCase]
    }

    struct MultiParseCase: Decodable {
        var name: String
        var input: String
        var ok: Bool
        var names: [String]?
        var results: [String]?
    }

    struct ComparisonCase: Decodable {
        var expr: String
        var truth: String
        var ok: Bool
        var goError: String
    }

    /// A test's data as the dumper wrote it: typed Go values, the shared fixtures by name.
    indirect enum DataDescription: Decodable {
        case value(Value)
        case reference(String)
        case unsupported(String)

        struct Field: Decodable {
            var name: String
            var exported: Bool
            var value: DataDescription
        }

        enum Keys: String, CodingKey {
            case kind, type, value, real, imaginary, items, entries, key, element, fields, name, `nil`
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let kind = try container.decode(String.self, forKey: .kind)
            let typeName = try container.decodeIfPresent(String.self, forKey: .type) ?? ""
            switch kind {
            case "nil":
                self = .value(.null)
            case "ref":
                self = .reference(try container.decode(String.self, forKey: .name))
            case "bool":
                self = .value(.bool(try container.decode(Bool.self, forKey: .value)))
            case "int":
                self = .value(.int(try container.decode(Int64.self, forKey: .value), GoTypeName.parse(typeName)))
            case "uint":
                self = .value(.uint(try container.decode(UInt64.self, forKey: .value), GoTypeName.parse(typeName)))
            case "float":
                self = .value(.float(try container.decode(Double.self, forKey: .value), GoTypeName.parse(typeName)))
            case "complex":
                self = .value(.complex(try container.decode(Double.self, forKey: .real),
                                       try container.decode(Double.self, forKey: .imaginary), GoTypeName.parse(typeName)))
            case "string":
                self = .value(.string(try container.decode(String.self, forKey: .value)))
            case "slice":
                let items = try container.decodeIfPresent([DataDescription].self, forKey: .items) ?? []
                let isNil = try container.decodeIfPresent(Bool.self, forKey: .nil) ?? false
                let values = items.compactMap { if case .value(let value) = $0 { return value } else { return nil } }
                guard values.count == items.count else { self = .unsupported(typeName); return }
                self = .value(isNil ? .typedNil(GoTypeName.parse(typeName)) : .list(ValueList(values, type: GoTypeName.parse(typeName))))
            case "map":
                let entries = try container.decodeIfPresent([[DataDescription]].self, forKey: .entries) ?? []
                var keyed: [MapKey: Value] = [:]
                for entry in entries {
                    guard entry.count == 2, case .value(let key) = entry[0], case .value(let value) = entry[1],
                          let mapKey = MapKey(key) else {
                        self = .unsupported(typeName)
                        return
                    }
                    keyed[mapKey] = value
                }
                self = .value(.map(ValueMap(keyed: keyed, type: GoTypeName.parse(typeName))))
            case "struct":
                let fields = try container.decode([Field].self, forKey: .fields)
                var values: [(String, Bool, Value)] = []
                for field in fields {
                    // Fields of kinds Serin has no value for (funcs, templates) read as nil pointers.
                    guard case .value(let value) = field.value else {
                        values.append((field.name, field.exported, .typedNil(.pointer(.interface))))
                        continue
                    }
                    values.append((field.name, field.exported, value))
                }
                self = .value(.object(StructObject(type: GoTypeName.parse(typeName), fields: values)))
            case "nilpointer":
                self = .value(.typedNil(GoTypeName.parse(typeName)))
            case "pointer":
                let pointee = try container.decode(DataDescription.self, forKey: .value)
                if case .reference(let name) = pointee {
                    self = .reference(name)
                } else if case .value(let value) = pointee, case .object(var object as StructObject) = value {
                    object.type = GoTypeName.parse(typeName)
                    self = .value(.object(object))
                } else {
                    self = .unsupported(typeName)
                }
            default:
                self = .unsupported(typeName)
            }
        }
    }
}

extension MapKey {
    init?(_ value: Value) {
        switch value {
        case .string(let text): self = .string(text)
        case .int(let number, _): self = .int(number)
        case .uint(let number, _): self = .uint(number)
        case .bool(let flag): self = .bool(flag)
        default: return nil
        }
    }
}

/// Go type names as the dumper prints them, back into `GoType`.
enum GoTypeName {
    static func parse(_ text: String) -> GoType {
        var index = text.startIndex
        return parse(text, &index)
    }

    static func parse(_ text: String, _ index: inout String.Index) -> GoType {
        let rest = text[index...]
        if rest.hasPrefix("[]") {
            index = text.index(index, offsetBy: 2)
            return .slice(parse(text, &index))
        }
        if rest.hasPrefix("*") {
            index = text.index(after: index)
            return .pointer(parse(text, &index))
        }
        if rest.hasPrefix("map[") {
            index = text.index(index, offsetBy: 4)
            let key = parse(text, &index)
            index = text.index(after: index) // ]
            return .map(key, parse(text, &index))
        }
        if rest.hasPrefix("interface {}") {
            index = text.index(index, offsetBy: "interface {}".count)
            return .interface
        }
        if rest.hasPrefix("struct {") {
            index = text.endIndex
            return .structure(String(rest))
        }
        var end = index
        while end < text.endIndex, text[end].isLetter || text[end].isNumber || text[end] == "." || text[end] == "_" {
            end = text.index(after: end)
        }
        let name = String(text[index..<end])
        index = end
        switch name {
        case "bool": return .bool
        case "string": return .string
        case "int": return .int
        case "int8": return .int8
        case "int16": return .int16
        case "int32": return .int32
        case "int64": return .int64
        case "uint": return .uint
        case "uint8": return .uint8
        case "uint16": return .uint16
        case "uint32": return .uint32
        case "uint64": return .uint64
        case "float32": return .float32
        case "float64": return .float64
        case "complex64": return .complex64
        case "complex128": return .complex128
        case "error": return .error
        default: return .named(name, .structure(name))
        }
    }
}

/// A Go struct (or pointer to one) for Go's tests: fields in order, methods by name.
struct StructObject: TemplateObject {
    var type: GoType
    var fields: [(name: String, exported: Bool, value: Value)]
    var methods: [String: TemplateFunction] = [:]
    var formatted: String?
    var isError = false
    var isNilPointer = false

    init(type: GoType, fields: [(String, Bool, Value)], methods: [String: TemplateFunction] = [:],
         formatted: String? = nil, isError: Bool = false, isNilPointer: Bool = false) {
        self.type = type
        self.fields = fields.map { (name: $0.0, exported: $0.1, value: $0.2) }
        self.methods = methods
        self.formatted = formatted
        self.isError = isError
        self.isNilPointer = isNilPointer
    }

    func field(_ name: String) -> TemplateField? {
        guard let field = fields.first(where: { $0.name == name }) else { return nil }
        return field.exported ? .value(field.value) : .unexported
    }

    func method(_ name: String) -> TemplateFunction? { methods[name] }

    var printedFields: [(name: String, value: Value)] { fields.map { ($0.name, $0.value) } }
}
