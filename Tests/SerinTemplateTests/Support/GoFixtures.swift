import SerinTemplate

/// The data of Go's `exec_test.go` (`tVal`, its types' methods, the test
/// functions) as `Value`s.
enum GoFixtures {
    static func named(_ name: String) -> GoType { .named(name, .structure(name)) }
    static let typeT = GoType.pointer(named("template.T"))
    static let typeU = GoType.pointer(named("template.U"))

    static func u(_ v: String) -> Value {
        .object(StructObject(type: typeU, fields: [("V", true, .string(v))], methods: [
            "TrueFalse": TemplateFunction("TrueFalse", [.bool]) { arguments, _ in
                .string(arguments[0].truth == true ? "true" : "")
            },
        ]))
    }

    static func v(_ j: Int, pointer: Bool, isNil: Bool = false) -> Value {
        .object(StructObject(type: pointer ? .pointer(named("template.V")) : named("template.V"),
                             fields: [("j", false, .int(j))], formatted: isNil ? "nilV" : "<\(j)>", isNilPointer: isNil))
    }

    static func w(_ k: Int, pointer: Bool, isNil: Bool = false) -> Value {
        .object(StructObject(type: pointer ? .pointer(named("template.W")) : named("template.W"),
                             fields: [("k", false, .int(k))], formatted: isNil ? "nilW" : "[\(k)]", isError: true, isNilPointer: isNil))
    }

    static func ints(_ items: [Int]) -> Value { .list(ValueList(items.map { .int($0) }, type: .slice(.int))) }

    static func map(_ key: GoType, _ element: GoType, _ entries: [(MapKey, Value)]) -> Value {
        .map(ValueMap(keyed: Dictionary(uniqueKeysWithValues: entries), type: .map(key, element)))
    }

    static func methodsOfT(_ self: @escaping @Sendable () -> Value) -> [String: TemplateFunction] {
        [
            "Method0": TemplateFunction("Method0", []) { _, _ in .string("M0") },
            "Method1": TemplateFunction("Method1", [.int]) { arguments, _ in arguments[0] },
            "Method2": TemplateFunction("Method2", [.uint16, .string]) { arguments, _ in
                .string(GoFormatter.sprintf("Method2: %d %s", arguments))
            },
            "Method3": TemplateFunction("Method3", [.interface]) { arguments, _ in
                .string(GoFormatter.sprintf("Method3: %v", arguments))
            },
            "Copy": TemplateFunction("Copy", []) { _, _ in self() },
            "MAdd": TemplateFunction("MAdd", [.int, .slice(.int)]) { arguments, _ in
                guard case .int(let a, _) = arguments[0], case .list(let list) = arguments[1] else { return .missing }
                return .list(ValueList(list.items.map { item in
                    if case .int(let x, _) = item { return .int(x + a, .int) }
                    return item
                }, type: .slice(.int)))
            },
            "MyError": TemplateFunction("MyError", [.bool]) { arguments, _ in
                if arguments[0].truth == true { throw FunctionError("my error") }
                return .bool(false)
            },
            "GetU": TemplateFunction("GetU", []) { _, _ in u("v") },
        ]
    }

    static func smallT() -> Value {
        .object(StructObject(type: typeT, fields: [("X", true, .string("x"))], methods: methodsOfT { smallT() }))
    }

    static func tValue() -> Value {
        let functionType = { (text: String) in GoType.function(text) }
        _ = functionType
        let fields: [(String, Bool, Value)] = [
            ("True", true, .bool(true)),
            ("I", true, .int(17)),
            ("U16", true, .uint(16, .uint16)),
            ("X", true, .string("x")),
            ("FloatZero", true, .float(0, .float64)),
            ("ComplexZero", true, .complex(0, 0, .complex128)),
            ("U", true, u("v")),
            ("V0", true, v(6666, pointer: false)),
            ("V1", true, v(7777, pointer: true)),
            ("V2", true, v(0, pointer: true, isNil: true)),
            ("W0", true, w(888, pointer: false)),
            ("W1", true, w(999, pointer: true)),
            ("W2", true, w(0, pointer: true, isNil: true)),
            ("SI", true, ints([3, 4, 5])),
            ("SIEmpty", true, .typedNil(.slice(.int))),
            ("SICap", true, ints([0, 0, 0, 0, 0])),
            ("AI", true, .list(ValueList([.int(3), .int(4), .int(5)], type: .array(3, .int)))),
            ("S", true, .string("xyz")),
            ("SB", true, .list(ValueList([.bool(true), .bool(false)], type: .slice(.bool)))),
            ("MSI", true, map(.string, .int, [(.string("one"), .int(1)), (.string("two"), .int(2)), (.string("three"), .int(3))])),
            ("MSIone", true, map(.string, .int, [(.string("one"), .int(1))])),
            ("MSIEmpty", true, .typedNil(.map(.string, .int))),
            ("MXI", true, map(.interface, .int, [(.string("one"), .int(1))])),
            ("MII", true, map(.int, .int, [(.int(1), .int(1))])),
            ("MI32S", true, map(.int32, .string, [(.int(1), .string("one")), (.int(2), .string("two"))])),
            ("MI64S", true, map(.int64, .string, [(.int(2), .string("i642")), (.int(3), .string("i643"))])),
            ("MUI32S", true, map(.uint32, .string, [(.uint(2), .string("u322")), (.uint(3), .string("u323"))])),
            ("MUI64S", true, map(.uint64, .string, [(.uint(2), .string("ui642")), (.uint(3), .string("ui643"))])),
            ("MI8S", true, map(.int8, .string, [(.int(2), .string("i82")), (.int(3), .string("i83"))])),
            ("MUI8S", true, map(.uint8, .string, [(.uint(2), .string("u82")), (.uint(3), .string("u83"))])),
            ("SMSI", true, .list(ValueList([
                map(.string, .int, [(.string("one"), .int(1)), (.string("two"), .int(2))]),
                map(.string, .int, [(.string("eleven"), .int(11)), (.string("twelve"), .int(12))]),
            ], type: .slice(.map(.string, .int))))),
            ("Empty0", true, .null),
            ("Empty1", true, .int(3)),
            ("Empty2", true, .string("empty2")),
            ("Empty3", true, ints([7, 8])),
            ("Empty4", true, .object(StructObject(type: typeU, fields: [("V", true, .string("UinEmpty"))]))),
            ("NonEmptyInterface", true, smallT()),
            ("NonEmptyInterfacePtS", true, .list(ValueList([.string("a"), .string("b")], type: .named("template.S", .slice(.string))))),
            ("NonEmptyInterfaceTypedNil", true, .object(StructObject(type: typeT, fields: [], methods: methodsOfT { tVal }, isNilPointer: true))),
            ("Str", true, .object(StructObject(type: .pointer(named("bytes.Buffer")), fields: [], formatted: "foozle"))),
            ("Err", true, .object(StructObject(type: .pointer(named("errors.errorString")), fields: [], formatted: "erroozle", isError: true))),
            // Pointers to basic values read as the values: templates print and index through them.
            ("PI", true, .int(23)),
            ("PS", true, .string("a string")),
            ("PSI", true, ints([21, 22, 23])),
            ("NIL", true, .typedNil(.pointer(.int))),
            ("BinaryFunc", true, .function(TemplateFunction("BinaryFunc", [.string, .string], signature: "func(string, string) string") { arguments, _ in
                .string("[\(arguments[0].stringValue ?? "")=\(arguments[1].stringValue ?? "")]")
            })),
            ("VariadicFunc", true, .function(TemplateFunction("VariadicFunc", [], variadic: .string, signature: "func(...string) string") { arguments, _ in
                .string("<" + arguments.compactMap(\.stringValue).joined(separator: "+") + ">")
            })),
            ("VariadicFuncInt", true, .function(TemplateFunction("VariadicFuncInt", [.int], variadic: .string, signature: "func(int, ...string) string") { arguments, _ in
                .string(GoFormatter.sprint([arguments[0]]) + "=<" + arguments.dropFirst().compactMap(\.stringValue).joined(separator: "+") + ">")
            })),
            ("NilOKFunc", true, .function(TemplateFunction("NilOKFunc", [.pointer(.int)], signature: "func(*int) bool") { arguments, _ in
                .bool(arguments[0].isNil)
            })),
            ("ErrFunc", true, .function(TemplateFunction("ErrFunc", [], signature: "func() (string, error)") { _, _ in .string("bla") })),
            ("unexported", false, .int(0)),
        ]
        return .object(StructObject(type: typeT, fields: fields, methods: methodsOfT { tValue() }))
    }

    static let tVal = tValue()

    /// exec_test.go's `funcs`.
    static let functions: [String: TemplateFunction] = [
        "add": TemplateFunction("add", [], variadic: .int) { arguments, _ in
            .int(Int(arguments.reduce(Int64(0)) { sum, item in if case .int(let x, _) = item { return sum + x } else { return sum } }))
        },
        "dddArg": TemplateFunction("dddArg", [.int], variadic: .string) { arguments, _ in
            .string(GoFormatter.sprintln([arguments[0], .list(ValueList(Array(arguments.dropFirst()), type: .slice(.string)))]))
        },
        "die": TemplateFunction("die", []) { _, _ in throw FunctionError("die") },
        "echo": TemplateFunction("echo", [.interface]) { arguments, _ in arguments[0] },
        "makemap": TemplateFunction("makemap", [], variadic: .string) { arguments, _ in
            var entries: [MapKey: Value] = [:]
            var index = 0
            while index + 1 < arguments.count {
                entries[.string(arguments[index].stringValue ?? "")] = arguments[index + 1]
                index += 2
            }
            return .map(ValueMap(keyed: entries, type: .map(.string, .string)))
        },
        "mapOfThree": TemplateFunction("mapOfThree", []) { _, _ in map(.string, .int, [(.string("three"), .int(3))]) },
        "oneArg": TemplateFunction("oneArg", [.string]) { arguments, _ in .string("oneArg=" + (arguments[0].stringValue ?? "")) },
        "returnInt": TemplateFunction("returnInt", []) { _, _ in .int(7) },
        "stringer": TemplateFunction("stringer", [.interface]) { arguments, _ in
            if case .object(let object) = arguments[0], let text = object.formatted { return .string(text) }
            throw FunctionError("not a fmt.Stringer")
        },
        "twoArgs": TemplateFunction("twoArgs", [.string, .string]) { arguments, _ in
            .string("twoArgs=" + (arguments[0].stringValue ?? "") + (arguments[1].stringValue ?? ""))
        },
        "typeOf": TemplateFunction("typeOf", [.interface]) { arguments, _ in .string(GoFormatter.sprintf("%T", arguments)) },
        "valueString": TemplateFunction("valueString", [.string]) { _, _ in .string("value is ignored") },
        "vfunc": TemplateFunction("vfunc", [named("template.V"), .pointer(named("template.V"))]) { _, _ in .string("vfunc") },
        "zeroArgs": TemplateFunction("zeroArgs", []) { _, _ in .string("zeroArgs") },
    ]

    static func data(_ description: GoTables.DataDescription) -> Value? {
        switch description {
        case .value(let value): return value
        case .reference("tVal"): return tVal
        case .reference("tSliceOfNil"):
            return .list(ValueList([.object(StructObject(type: typeT, fields: [], methods: methodsOfT { tVal }, isNilPointer: true))],
                                   type: .slice(typeT)))
        default: return nil
        }
    }
}
