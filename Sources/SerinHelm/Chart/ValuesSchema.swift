import Foundation
import SerinTemplate

/// values.schema.json: the chart's values checked against the JSON Schema
/// keywords charts use (type, properties, required, additionalProperties,
/// items, enum, const, minimum/maximum, length, pattern, allOf/anyOf/oneOf/not,
/// local `$ref`). Other keywords are not checked.
public enum ValuesSchema {
    public static func validate(_ values: ValueMap, schema text: String, chart: String) throws {
        let schema: Value
        do {
            schema = try GoJSON.decode(text)
        } catch {
            throw ChartValuesError(message: "\(chart): values.schema.json is not valid JSON: \(error)")
        }
        var problems: [String] = []
        check(.map(values), schema, root: schema, path: "", into: &problems)
        if !problems.isEmpty {
            throw ChartValuesError(message: "values don't meet the specifications of the schema(s) in the following chart(s):\n\(chart):\n"
                + problems.map { "- \($0)" }.joined(separator: "\n"))
        }
    }

    static func typeName(_ value: Value) -> String {
        switch value {
        case .null, .missing: return "null"
        case .bool: return "boolean"
        case .string: return "string"
        case .list: return "array"
        case .map: return "object"
        case .int, .uint: return "integer"
        case .float(let number, _): return number.rounded() == number ? "integer" : "number"
        default: return "object"
        }
    }

    static func check(_ value: Value, _ schema: Value, root: Value, path: String, into problems: inout [String]) {
        guard case .map(let rules) = schema else { return }
        let at = path.isEmpty ? "at ''" : "at '\(path)'"
        if let reference = rules["$ref"]?.stringValue, reference.hasPrefix("#/") {
            var target = root
            for part in reference.dropFirst(2).split(separator: "/") {
                guard case .map(let map) = target, let next = map[String(part)] else { return }
                target = next
            }
            check(value, target, root: root, path: path, into: &problems)
        }
        if let type = rules["type"] {
            let allowed = (Cast.list(type) ?? [type]).compactMap(\.stringValue)
            let actual = typeName(value)
            if !allowed.contains(actual) && !(actual == "integer" && allowed.contains("number")) {
                problems.append("\(at): got \(actual), want \(allowed.joined(separator: " or "))")
                return
            }
        }
        if let options = rules["enum"].flatMap(Cast.list), !options.contains(where: { SprigFunctions.equal($0, value) || sameJSON($0, value) }) {
            problems.append("\(at): value must be one of \(options.map { (try? GoJSON.encode($0)) ?? "" }.joined(separator: ", "))")
        }
        if let constant = rules["const"], !sameJSON(constant, value) {
            problems.append("\(at): value must be \((try? GoJSON.encode(constant)) ?? "")")
        }
        if case .float(let number, _) = value {
            if let minimum = rules["minimum"], number < Cast.float64(minimum) { problems.append("\(at): must be >= \(GoFormatter.string(minimum))") }
            if let maximum = rules["maximum"], number > Cast.float64(maximum) { problems.append("\(at): must be <= \(GoFormatter.string(maximum))") }
            if case .float(let bound, _)? = rules["exclusiveMinimum"], number <= bound { problems.append("\(at): must be > \(GoFormatter.string(.float64(bound)))") }
            if case .float(let bound, _)? = rules["exclusiveMaximum"], number >= bound { problems.append("\(at): must be < \(GoFormatter.string(.float64(bound)))") }
        }
        if case .string(let text) = value {
            let length = text.unicodeScalars.count
            if let minimum = rules["minLength"], length < Cast.int(minimum) { problems.append("\(at): length must be >= \(Cast.int(minimum))") }
            if let maximum = rules["maxLength"], length > Cast.int(maximum) { problems.append("\(at): length must be <= \(Cast.int(maximum))") }
            if let pattern = rules["pattern"]?.stringValue, let regex = try? GoRegex(pattern), !regex.matches(text) {
                problems.append("\(at): does not match pattern \(GoQuote.quote(pattern))")
            }
        }
        if case .list(let list) = value {
            if let minimum = rules["minItems"], list.items.count < Cast.int(minimum) { problems.append("\(at): minimum \(Cast.int(minimum)) items required") }
            if let maximum = rules["maxItems"], list.items.count > Cast.int(maximum) { problems.append("\(at): maximum \(Cast.int(maximum)) items allowed") }
            if let items = rules["items"], case .map = items {
                for (index, item) in list.items.enumerated() { check(item, items, root: root, path: "\(path)/\(index)", into: &problems) }
            }
        }
        if case .map(let map) = value {
            let properties: ValueMap? = { if case .map(let p)? = rules["properties"] { return p } else { return nil } }()
            for required in rules["required"].flatMap(Cast.list) ?? [] {
                if let name = required.stringValue, map[name] == nil { problems.append("\(at): missing property '\(name)'") }
            }
            for key in map.sortedStringKeys {
                let child = map[key] ?? .null
                if let rule = properties?[key] {
                    check(child, rule, root: root, path: "\(path)/\(key)", into: &problems)
                } else if let additional = rules["additionalProperties"] {
                    if case .bool(false) = additional {
                        problems.append("\(at): additional properties '\(key)' not allowed")
                    } else {
                        check(child, additional, root: root, path: "\(path)/\(key)", into: &problems)
                    }
                }
            }
        }
        for sub in rules["allOf"].flatMap(Cast.list) ?? [] { check(value, sub, root: root, path: path, into: &problems) }
        if let options = rules["anyOf"].flatMap(Cast.list), !options.isEmpty {
            let passing = options.filter { option in
                var found: [String] = []
                check(value, option, root: root, path: path, into: &found)
                return found.isEmpty
            }
            if passing.isEmpty { problems.append("\(at): anyOf failed") }
        }
        if let options = rules["oneOf"].flatMap(Cast.list), !options.isEmpty {
            let passing = options.filter { option in
                var found: [String] = []
                check(value, option, root: root, path: path, into: &found)
                return found.isEmpty
            }
            if passing.count != 1 { problems.append("\(at): oneOf failed") }
        }
        if let negated = rules["not"] {
            var found: [String] = []
            check(value, negated, root: root, path: path, into: &found)
            if found.isEmpty { problems.append("\(at): not failed") }
        }
    }

    static func sameJSON(_ a: Value, _ b: Value) -> Bool {
        (try? GoJSON.encode(a)) == (try? GoJSON.encode(b))
    }
}
