import SerinSpec

/// The fields one writer declared of an object, compared with the object
/// the cluster holds: fields others add (defaults, other managers, the
/// status) are no difference; a field declared and changed, or gone, is.
///
/// The fields are kept as the apiserver stored them (`projected`: the
/// apiserver's answer to the write, cut to the fields written), so a value
/// the apiserver normalises (`cpu: 1` stored as `"1"`, `500m` for `0.5`)
/// does not read as a difference for ever.
public enum DeclaredFields {
    /// Members of an object at the top that are never a writer's business here.
    static let ignoredAtTop: Set<String> = ["status", "apiVersion", "kind"]

    /// `stored` cut to the shape of `declared`: every member `declared`
    /// names, with the value `stored` holds; a member `stored` lacks (a
    /// null, an empty map the apiserver drops) is left out. Lists of the
    /// same length are cut item by item; others are taken whole.
    public static func projected(_ stored: JSONValue, onto declared: JSONValue) -> JSONValue {
        switch (stored, declared) {
        case (.object(let have), .object(let want)):
            var kept: [String: JSONValue] = [:]
            for (key, value) in want {
                guard let present = have[key] else { continue }
                kept[key] = projected(present, onto: value)
            }
            return .object(kept)
        case (.array(let have), .array(let want)) where have.count == want.count:
            return .array(zip(have, want).map { projected($0, onto: $1) })
        default:
            return stored
        }
    }

    /// True when `live` holds every field of `declared` with the same value.
    public static func holds(_ live: JSONValue, _ declared: JSONValue, top: Bool = true) -> Bool {
        switch (live, declared) {
        case (.object(let have), .object(let want)):
            want.allSatisfy { key, value in
                if top && ignoredAtTop.contains(key) { return true }
                guard let present = have[key] else { return value == .null || value == .object([:]) }
                return holds(present, value, top: false)
            }
        case (.array(let have), .array(let want)):
            have.count == want.count && zip(have, want).allSatisfy { holds($0, $1, top: false) }
        case (.int(let have), .double(let want)):
            Double(have) == want
        case (.double(let have), .int(let want)):
            have == Double(want)
        default:
            live == declared
        }
    }

    /// The declared fields `live` does not hold, one line each
    /// (`spec.replicas: 1 → 3`, `data.greeting: "hello" → "edited"`), at most `limit`.
    public static func differences(_ live: JSONValue, _ declared: JSONValue, limit: Int = 8) -> [String] {
        var lines: [String] = []
        collect(live, declared, path: "", top: true, into: &lines, limit: limit)
        return lines
    }

    private static func collect(_ live: JSONValue?, _ declared: JSONValue, path: String, top: Bool, into lines: inout [String], limit: Int) {
        guard lines.count < limit else { return }
        switch (live, declared) {
        case (.object(let have)?, .object(let want)):
            for key in want.keys.sorted() where !(top && ignoredAtTop.contains(key)) {
                collect(have[key], want[key]!, path: path.isEmpty ? key : "\(path).\(key)", top: false, into: &lines, limit: limit)
            }
        case (.array(let have)?, .array(let want)) where have.count == want.count:
            for (index, (item, wanted)) in zip(have, want).enumerated() {
                collect(item, wanted, path: "\(path)[\(index)]", top: false, into: &lines, limit: limit)
            }
        case (nil, let want):
            if want != .null && want != .object([:]) { lines.append("\(path): \(brief(want)) → (removed)") }
        case (let have?, let want):
            if !holds(have, want, top: false) { lines.append("\(path): \(brief(want)) → \(brief(have))") }
        }
    }

    /// A value on one line, cut short.
    static func brief(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .string(let string): text = "\"\(string)\""
        case .int(let number): text = String(number)
        case .double(let number): text = String(number)
        case .bool(let flag): text = String(flag)
        case .null: text = "null"
        case .array(let items): text = "[\(items.count) item(s)]"
        case .object(let members): text = "{\(members.keys.sorted().prefix(4).joined(separator: ", "))\(members.count > 4 ? ", …" : "")}"
        }
        return text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}
