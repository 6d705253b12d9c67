/// Go's builtin template functions (`text/template/funcs.go`), with Go's
/// signatures and error words.
public enum Builtins {
    public static let functions: [String: TemplateFunction] = {
        var table: [String: TemplateFunction] = [:]
        var and = TemplateFunction("and", [.reflectValue], variadic: .reflectValue) { arguments, _ in arguments.last ?? .missing }
        and.shortCircuit = .and
        table["and"] = and
        var or = TemplateFunction("or", [.reflectValue], variadic: .reflectValue) { arguments, _ in arguments.last ?? .missing }
        or.shortCircuit = .or
        table["or"] = or
        table["not"] = TemplateFunction("not", [.reflectValue]) { arguments, _ in .bool(!truth(arguments[0])) }
        table["call"] = TemplateFunction("call", [.reflectValue], variadic: .reflectValue) { arguments, call in
            try callFunction(arguments[0], Array(arguments.dropFirst()), call)
        }
        table["html"] = TemplateFunction("html", [], variadic: .interface) { arguments, _ in .string(htmlEscape(evalArgs(arguments))) }
        table["js"] = TemplateFunction("js", [], variadic: .interface) { arguments, _ in .string(jsEscape(evalArgs(arguments))) }
        table["urlquery"] = TemplateFunction("urlquery", [], variadic: .interface) { arguments, _ in .string(queryEscape(evalArgs(arguments))) }
        table["index"] = TemplateFunction("index", [.reflectValue], variadic: .reflectValue) { arguments, _ in
            try index(arguments[0], Array(arguments.dropFirst()))
        }
        table["slice"] = TemplateFunction("slice", [.reflectValue], variadic: .reflectValue) { arguments, _ in
            try slice(arguments[0], Array(arguments.dropFirst()))
        }
        table["len"] = TemplateFunction("len", [.reflectValue]) { arguments, _ in .int(try length(arguments[0])) }
        table["print"] = TemplateFunction("print", [], variadic: .interface) { arguments, _ in .string(GoFormatter.sprint(arguments)) }
        table["println"] = TemplateFunction("println", [], variadic: .interface) { arguments, _ in .string(GoFormatter.sprintln(arguments)) }
        table["printf"] = TemplateFunction("printf", [.string], variadic: .interface) { arguments, _ in
            .string(GoFormatter.sprintf(arguments[0].stringValue ?? "", Array(arguments.dropFirst())))
        }
        table["eq"] = TemplateFunction("eq", [.reflectValue], variadic: .reflectValue) { arguments, _ in
            .bool(try Comparison.equal(arguments[0], Array(arguments.dropFirst())))
        }
        table["ne"] = TemplateFunction("ne", [.reflectValue, .reflectValue]) { arguments, _ in
            .bool(!(try Comparison.equal(arguments[0], [arguments[1]])))
        }
        table["lt"] = TemplateFunction("lt", [.reflectValue, .reflectValue]) { arguments, _ in
            .bool(try Comparison.less(arguments[0], arguments[1]))
        }
        table["le"] = TemplateFunction("le", [.reflectValue, .reflectValue]) { arguments, _ in
            if try Comparison.less(arguments[0], arguments[1]) { return .bool(true) }
            return .bool(try Comparison.equal(arguments[0], [arguments[1]]))
        }
        table["gt"] = TemplateFunction("gt", [.reflectValue, .reflectValue]) { arguments, _ in
            if try Comparison.less(arguments[0], arguments[1]) { return .bool(false) }
            let equal = try Comparison.equal(arguments[0], [arguments[1]])
            return .bool(!equal)
        }
        table["ge"] = TemplateFunction("ge", [.reflectValue, .reflectValue]) { arguments, _ in
            .bool(!(try Comparison.less(arguments[0], arguments[1])))
        }
        return table
    }()

    /// Go's `truth`: the value's truth, false when it has none.
    public static func truth(_ value: Value) -> Bool { value.truth ?? false }

    /// Go's `evalArgs`: one string as it is, else `fmt.Sprint` of all.
    static func evalArgs(_ arguments: [Value]) -> String {
        if arguments.count == 1, case .string(let text) = arguments[0] { return text }
        return GoFormatter.sprint(arguments.map { argument in
            switch argument {
            case .missing, .null: return .string("<no value>")
            default: return argument
            }
        })
    }

    // MARK: - Indexing

    static func indexArgument(_ index: Value, cap: Int) throws -> Int {
        let number: Int64
        switch index {
        case .int(let value, _): number = value
        case .uint(let value, _): number = Int64(truncatingIfNeeded: value)
        case .missing, .null: throw FunctionError("cannot index slice/array with nil")
        default: throw FunctionError("cannot index slice/array with type \(index.typeName)")
        }
        if number < 0 || number > Int64(cap) { throw FunctionError("index out of range: \(number)") }
        return Int(number)
    }

    static func index(_ item: Value, _ indexes: [Value]) throws -> Value {
        var item = item
        if case .missing = item { throw FunctionError("index of untyped nil") }
        if case .null = item { throw FunctionError("index of untyped nil") }
        for index in indexes {
            switch item {
            case .list(let list):
                let position = try indexArgument(index, cap: list.items.count)
                guard position < list.items.count else { throw FunctionError("reflect: slice index out of range") }
                item = list.items[position]
            case .string(let text):
                let bytes = Array(text.utf8)
                let position = try indexArgument(index, cap: bytes.count)
                guard position < bytes.count else { throw FunctionError("reflect: string index out of range") }
                item = .uint(UInt64(bytes[position]), .uint8)
            case .map(let map):
                let key = try mapKey(index, keyType: map.keyType)
                item = map.entries[key] ?? Value.zero(of: map.elementType)
            case .typedNil(let type):
                if case .map(let keyType, let element) = type.underlying {
                    _ = try mapKey(index, keyType: keyType)
                    item = Value.zero(of: element)
                } else if case .slice = type.underlying {
                    _ = try indexArgument(index, cap: 0)
                    throw FunctionError("reflect: slice index out of range")
                } else {
                    throw FunctionError("index of nil pointer")
                }
            case .null, .missing:
                throw FunctionError("index of nil pointer")
            default:
                throw FunctionError("can't index item of type \(item.typeName)")
            }
        }
        return item
    }

    /// Go's `prepareArg` for a map key.
    static func mapKey(_ index: Value, keyType: GoType) throws -> MapKey {
        switch index {
        case .missing, .null:
            if !keyType.canBeNil { throw FunctionError("value is nil; should be of type \(keyType)") }
            throw FunctionError("value is nil; should be of type \(keyType)")
        case .string(let text) where keyType.underlying == .string || keyType == .interface:
            return .string(text)
        case .int(let number, let type):
            if keyType.isSignedInteger { return .int(number) }
            if keyType.isUnsignedInteger { return .uint(UInt64(bitPattern: number)) }
            if keyType == .interface { return .int(number) }
            throw FunctionError("value has type \(type); should be \(keyType)")
        case .uint(let number, let type):
            if keyType.isUnsignedInteger { return .uint(number) }
            if keyType.isSignedInteger { return .int(Int64(bitPattern: number)) }
            if keyType == .interface { return .uint(number) }
            throw FunctionError("value has type \(type); should be \(keyType)")
        case .bool(let flag) where keyType.underlying == .bool || keyType == .interface:
            return .bool(flag)
        default:
            throw FunctionError("value has type \(index.typeName); should be \(keyType)")
        }
    }

    static func slice(_ item: Value, _ indexes: [Value]) throws -> Value {
        if case .missing = item { throw FunctionError("slice of untyped nil") }
        if case .null = item { throw FunctionError("slice of untyped nil") }
        if indexes.count > 3 { throw FunctionError("too many slice indexes: \(indexes.count)") }
        let length: Int
        switch item {
        case .string(let text):
            if indexes.count == 3 { throw FunctionError("cannot 3-index slice a string") }
            length = text.utf8.count
        case .list(let list):
            length = list.items.count
        case .typedNil(let type) where { if case .slice = type.underlying { return true } else { return false } }():
            length = 0
        default:
            throw FunctionError("can't slice item of type \(item.typeName)")
        }
        var bounds = [0, length, length]
        for (position, index) in indexes.enumerated() {
            bounds[position] = try indexArgument(index, cap: length)
        }
        if bounds[0] > bounds[1] { throw FunctionError("invalid slice index: \(bounds[0]) > \(bounds[1])") }
        if indexes.count == 3 && bounds[1] > bounds[2] { throw FunctionError("invalid slice index: \(bounds[1]) > \(bounds[2])") }
        switch item {
        case .string(let text):
            let bytes = Array(text.utf8)[bounds[0]..<bounds[1]]
            return .string(String(decoding: bytes, as: UTF8.self))
        case .list(let list):
            var sliced = list
            sliced.items = Array(list.items[bounds[0]..<bounds[1]])
            return .list(sliced)
        default:
            return item
        }
    }

    static func length(_ item: Value) throws -> Int {
        switch item {
        case .missing: throw FunctionError("reflect: call of reflect.Value.Type on zero Value")
        case .null: throw FunctionError("len of nil pointer")
        case .string(let text): return text.utf8.count
        case .list(let list): return list.items.count
        case .map(let map): return map.entries.count
        case .typedNil(let type):
            switch type.underlying {
            case .map, .slice: return 0
            case .pointer: throw FunctionError("len of nil pointer")
            default: throw FunctionError("len of type \(type)")
            }
        case .object(let object) where object.isNilPointer:
            throw FunctionError("len of nil pointer")
        default:
            throw FunctionError("len of type \(item.typeName)")
        }
    }

    static func callFunction(_ function: Value, _ arguments: [Value], _ call: FunctionCall) throws -> Value {
        let target: TemplateFunction
        switch function {
        case .missing, .null: throw FunctionError("call of nil")
        case .function(let value): target = value
        case .typedNil(let type):
            if case .function = type { throw FunctionError("call of nil") }
            throw FunctionError("non-function of type \(type)")
        default: throw FunctionError("non-function of type \(function.typeName)")
        }
        let fixed = target.parameters.count
        if target.variadic != nil {
            if arguments.count < fixed {
                throw FunctionError("wrong number of args: got \(arguments.count) want at least \(fixed)")
            }
        } else if arguments.count != fixed {
            throw FunctionError("wrong number of args: got \(arguments.count) want \(fixed)")
        }
        var prepared: [Value] = []
        for (position, argument) in arguments.enumerated() {
            let type = position < fixed ? target.parameters[position] : target.variadic ?? .interface
            do {
                prepared.append(try prepare(argument, type))
            } catch {
                throw FunctionError("arg \(position): \(error)")
            }
        }
        return try target.body(prepared, call)
    }

    /// Go's `prepareArg`.
    static func prepare(_ value: Value, _ type: GoType) throws -> Value {
        switch value {
        case .missing, .null:
            if !type.canBeNil { throw FunctionError("value is nil; should be of type \(type)") }
            return Value.zero(of: type)
        default:
            break
        }
        if Executor.assignable(value, to: type) { return value }
        switch (value, type.underlying) {
        case (.int(let number, _), let target) where target.isSignedInteger: return .int(number, type)
        case (.int(let number, _), let target) where target.isUnsignedInteger: return .uint(UInt64(bitPattern: number), type)
        case (.uint(let number, _), let target) where target.isUnsignedInteger: return .uint(number, type)
        case (.uint(let number, _), let target) where target.isSignedInteger: return .int(Int64(bitPattern: number), type)
        default:
            throw FunctionError("value has type \(value.typeName); should be \(type)")
        }
    }

    // MARK: - Escaping

    /// Go's `HTMLEscapeString`.
    public static func htmlEscape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Go's `JSEscapeString`.
    public static func jsEscape(_ text: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            case "`": out += "\\u0060"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0x0F)])
                } else if scalar.value < 0x80 || GoQuote.isPrint(Int32(scalar.value)) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "\\u" + GoQuote.hex(UInt64(scalar.value), width: 4)
                }
            }
        }
        return out
    }

    /// Go's `url.QueryEscape`.
    public static func queryEscape(_ text: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF")
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
