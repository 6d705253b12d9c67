import Foundation
import SerinTemplate

extension SprigFunctions {
    static func requireList(_ value: Value, _ name: String) throws -> [Value] {
        guard let items = Cast.list(value) else { throw FunctionError("Cannot find \(name) on type \(value.typeName)") }
        return items
    }

    static func requireMap(_ value: Value, _ name: String) throws -> ValueMap {
        switch value {
        case .map(let map): return map
        case .typedNil, .null, .missing: return ValueMap()
        default: throw FunctionError("wrong type for value; expected map[string]interface {}; got \(value.typeName)")
        }
    }

    static func equal(_ a: Value, _ b: Value) -> Bool {
        a.typeName == b.typeName && (try? GoJSON.normalize(a)) == (try? GoJSON.normalize(b))
    }

    // MARK: - Lists

    static var lists: Table {
        var t = Table()
        let slice = GoType.slice(.interface)
        t["list"] = function("list", [], variadic: .interface) { .array($0) }
        t["tuple"] = t["list"]!.named("tuple")
        for name in ["append", "push", "mustAppend", "mustPush"] {
            t[name] = function(name, [.interface, .interface]) { a in .array(try requireList(a[0], "append") + [a[1]]) }
        }
        for name in ["prepend", "mustPrepend"] {
            t[name] = function(name, [.interface, .interface]) { a in .array([a[1]] + (try requireList(a[0], "prepend"))) }
        }
        for name in ["first", "mustFirst"] {
            t[name] = function(name, [.interface]) { a in try requireList(a[0], "first").first ?? .null }
        }
        for name in ["last", "mustLast"] {
            t[name] = function(name, [.interface]) { a in try requireList(a[0], "last").last ?? .null }
        }
        for name in ["rest", "mustRest"] {
            t[name] = function(name, [.interface]) { a in
                let items = try requireList(a[0], "rest")
                return items.isEmpty ? .null : .array(Array(items.dropFirst()))
            }
        }
        for name in ["initial", "mustInitial"] {
            t[name] = function(name, [.interface]) { a in
                let items = try requireList(a[0], "initial")
                return items.isEmpty ? .null : .array(Array(items.dropLast()))
            }
        }
        for name in ["reverse", "mustReverse"] {
            t[name] = function(name, [.interface]) { a in .array(Array(try requireList(a[0], "reverse").reversed())) }
        }
        for name in ["uniq", "mustUniq"] {
            t[name] = function(name, [.interface]) { a in
                var out: [Value] = []
                for item in try requireList(a[0], "uniq") where !out.contains(where: { equal($0, item) }) { out.append(item) }
                return .array(out)
            }
        }
        for name in ["compact", "mustCompact"] {
            t[name] = function(name, [.interface]) { a in .array(try requireList(a[0], "compact").filter { !Cast.isEmpty($0) }) }
        }
        for name in ["without", "mustWithout"] {
            t[name] = function(name, [.interface], variadic: .interface) { a in
                let omit = Array(a.dropFirst())
                return .array(try requireList(a[0], "without").filter { item in !omit.contains { equal($0, item) } })
            }
        }
        for name in ["has", "mustHas"] {
            t[name] = function(name, [.interface, .interface]) { a in
                guard let items = Cast.list(a[1]) else {
                    if a[1].isNil { return .bool(false) }
                    throw FunctionError("Cannot find has on type \(a[1].typeName)")
                }
                return .bool(items.contains { equal($0, a[0]) })
            }
        }
        for name in ["slice", "mustSlice"] {
            t[name] = function(name, [.interface], variadic: .interface) { a in
                let items = try requireList(a[0], "slice")
                let start = a.count > 1 ? Cast.int(a[1]) : 0
                let end = a.count > 2 ? Cast.int(a[2]) : items.count
                guard start >= 0, end <= items.count, start <= end else {
                    throw FunctionError("runtime error: slice bounds out of range [\(start):\(end)]")
                }
                return .array(Array(items[start..<end]))
            }
        }
        t["concat"] = function("concat", [], variadic: .interface) { a in
            .array(try a.flatMap { try requireList($0, "concat") })
        }
        for name in ["chunk", "mustChunk"] {
            t[name] = function(name, [.int, .interface]) { a in
                let size = max(Cast.int(a[0]), 1)
                let items = try requireList(a[1], "chunk")
                return .list(ValueList(stride(from: 0, to: items.count, by: size).map { .array(Array(items[$0..<min($0 + size, items.count)])) },
                                       type: .slice(slice)))
            }
        }
        t["until"] = function("until", [.int]) { a in
            let count = Cast.int(a[0])
            guard abs(count) <= 1_000_000 else { throw FunctionError("until: more than a million items") }
            return .list(ValueList((count >= 0 ? Array(0..<count) : Array(stride(from: 0, to: count, by: -1))).map { .int($0) }, type: .slice(.int)))
        }
        t["untilStep"] = function("untilStep", [.int, .int, .int]) { a in
            let start = Cast.int(a[0]), stop = Cast.int(a[1]), step = Cast.int(a[2])
            guard step != 0, (stop - start) / step <= 1_000_000 else { return .list(ValueList([], type: .slice(.int))) }
            return .list(ValueList(Array(stride(from: start, to: stop, by: step)).map { .int($0) }, type: .slice(.int)))
        }
        t["seq"] = function("seq", [], variadic: .int) { a in
            let numbers = a.map { Cast.int($0) }
            var start = 1, end = 0, step = 1
            switch numbers.count {
            case 0: return .string("")
            case 1: end = numbers[0]
            case 2: start = numbers[0]; end = numbers[1]
            default: start = numbers[0]; step = numbers[1]; end = numbers[2]
            }
            if numbers.count < 3 && end < start { step = -1 }
            guard step != 0 else { return .string("") }
            let values = Array(stride(from: start, through: end, by: step).prefix(1_000_000))
            return .string(values.map(String.init).joined(separator: " "))
        }
        return t
    }

    // MARK: - Dictionaries

    static var dictionaries: Table {
        var t = Table()
        let dict = GoType.map(.string, .interface)
        t["dict"] = function("dict", [], variadic: .interface) { a in
            var entries: [String: Value] = [:]
            var index = 0
            while index < a.count {
                entries[Cast.string(a[index])] = index + 1 < a.count ? a[index + 1] : .string("")
                index += 2
            }
            return .dictionary(entries)
        }
        t["get"] = function("get", [dict, .string]) { a in
            try requireMap(a[0], "get")[str(a[1])] ?? .string("")
        }
        t["set"] = function("set", [dict, .string, .interface]) { a in
            let map = try requireMap(a[0], "set")
            map[str(a[1])] = a[2]
            return .map(map)
        }
        t["unset"] = function("unset", [dict, .string]) { a in
            let map = try requireMap(a[0], "unset")
            map[str(a[1])] = nil
            return .map(map)
        }
        t["hasKey"] = function("hasKey", [dict, .string]) { a in .bool(try requireMap(a[0], "hasKey")[str(a[1])] != nil) }
        t["pluck"] = function("pluck", [.string], variadic: dict) { a in
            .array(try a.dropFirst().compactMap { try requireMap($0, "pluck")[str(a[0])] })
        }
        t["keys"] = function("keys", [], variadic: dict) { a in
            // Go's order is random; Serin's is the keys' order, so a render is the same every time.
            .strings(try a.flatMap { try requireMap($0, "keys").sortedKeys.map(GoJSON.keyText) })
        }
        t["values"] = function("values", [dict]) { a in
            let map = try requireMap(a[0], "values")
            return .array(map.sortedKeys.map { map.entries[$0] ?? .null })
        }
        t["pick"] = function("pick", [dict], variadic: .string) { a in
            let map = try requireMap(a[0], "pick")
            var out: [String: Value] = [:]
            for key in a.dropFirst() { if let value = map[str(key)] { out[str(key)] = value } }
            return .dictionary(out)
        }
        t["omit"] = function("omit", [dict], variadic: .string) { a in
            let map = try requireMap(a[0], "omit").copy()
            for key in a.dropFirst() { map[str(key)] = nil }
            return .map(map)
        }
        for name in ["merge", "mustMerge"] {
            t[name] = function(name, [dict], variadic: dict) { a in
                let destination = try requireMap(a[0], name)
                for source in a.dropFirst() { merge(into: destination, try requireMap(source, name), overwrite: false) }
                return .map(destination)
            }
        }
        for name in ["mergeOverwrite", "mustMergeOverwrite"] {
            t[name] = function(name, [dict], variadic: dict) { a in
                let destination = try requireMap(a[0], name)
                for source in a.dropFirst() { merge(into: destination, try requireMap(source, name), overwrite: true) }
                return .map(destination)
            }
        }
        for name in ["deepCopy", "mustDeepCopy"] {
            t[name] = function(name, [.interface]) { $0[0].deepCopy() }
        }
        t["dig"] = function("dig", [], variadic: .interface) { a in
            guard a.count >= 3 else { throw FunctionError("dig needs at least three arguments") }
            let path = a.prefix(a.count - 2).map(str)
            var current = try requireMap(a[a.count - 1], "dig")
            for (index, key) in path.enumerated() {
                guard let next = current[key] else { return a[a.count - 2] }
                if index == path.count - 1 { return next }
                guard case .map(let map) = next else { return a[a.count - 2] }
                current = map
            }
            return a[a.count - 2]
        }
        return t
    }

    /// mergo's `Merge` (with `WithOverride` when `overwrite`): maps merged
    /// key by key, recursively; other values taken when absent (or always).
    static func merge(into destination: ValueMap, _ source: ValueMap, overwrite: Bool) {
        for (key, value) in source.entries {
            guard let existing = destination.entries[key] else {
                destination.entries[key] = value
                continue
            }
            if case .map(let target) = existing, case .map(let from) = value {
                merge(into: target, from, overwrite: overwrite)
            } else if overwrite ? !Cast.isEmpty(value) : (Cast.isEmpty(existing) && !Cast.isEmpty(value)) {
                destination.entries[key] = value
            }
        }
    }

    // MARK: - Math

    static var math: Table {
        var t = Table()
        t["add"] = function("add", [], variadic: .interface) { .int64($0.reduce(0) { $0 &+ Cast.int64($1) }) }
        t["add1"] = function("add1", [.interface]) { .int64(Cast.int64($0[0]) &+ 1) }
        t["sub"] = function("sub", [.interface, .interface]) { .int64(Cast.int64($0[0]) &- Cast.int64($0[1])) }
        t["mul"] = function("mul", [.interface], variadic: .interface) { .int64($0.dropFirst().reduce(Cast.int64($0[0])) { $0 &* Cast.int64($1) }) }
        t["div"] = function("div", [.interface, .interface]) { a in
            let divisor = Cast.int64(a[1])
            guard divisor != 0 else { throw FunctionError("runtime error: integer divide by zero") }
            return .int64(Cast.int64(a[0]) / divisor)
        }
        t["mod"] = function("mod", [.interface, .interface]) { a in
            let divisor = Cast.int64(a[1])
            guard divisor != 0 else { throw FunctionError("runtime error: integer divide by zero") }
            return .int64(Cast.int64(a[0]) % divisor)
        }
        for name in ["max", "biggest"] {
            t[name] = function(name, [.interface], variadic: .interface) { .int64($0.map(Cast.int64).max() ?? 0) }
        }
        t["min"] = function("min", [.interface], variadic: .interface) { .int64($0.map(Cast.int64).min() ?? 0) }
        t["addf"] = function("addf", [], variadic: .interface) { .float64($0.reduce(0) { $0 + Cast.float64($1) }) }
        t["add1f"] = function("add1f", [.interface]) { .float64(Cast.float64($0[0]) + 1) }
        t["subf"] = function("subf", [.interface], variadic: .interface) { .float64($0.dropFirst().reduce(Cast.float64($0[0])) { $0 - Cast.float64($1) }) }
        t["mulf"] = function("mulf", [.interface], variadic: .interface) { .float64($0.dropFirst().reduce(Cast.float64($0[0])) { $0 * Cast.float64($1) }) }
        t["divf"] = function("divf", [.interface], variadic: .interface) { .float64($0.dropFirst().reduce(Cast.float64($0[0])) { $0 / Cast.float64($1) }) }
        t["maxf"] = function("maxf", [.interface], variadic: .interface) { .float64($0.map(Cast.float64).max() ?? 0) }
        t["minf"] = function("minf", [.interface], variadic: .interface) { .float64($0.map(Cast.float64).min() ?? 0) }
        t["floor"] = function("floor", [.interface]) { .float64(Cast.float64($0[0]).rounded(.down)) }
        t["ceil"] = function("ceil", [.interface]) { .float64(Cast.float64($0[0]).rounded(.up)) }
        t["round"] = function("round", [.interface, .int], variadic: .float64) { a in
            let roundOn = a.count > 2 ? Cast.float64(a[2]) : 0.5
            let places = Double(Cast.int(a[1]))
            let pow10 = pow(10, places)
            let digit = pow10 * Cast.float64(a[0])
            let (integral, fraction) = (digit.rounded(.towardZero), digit - digit.rounded(.towardZero))
            let rounded = fraction >= roundOn ? integral + 1 : integral
            return .float64(rounded / pow10)
        }
        return t
    }
}
