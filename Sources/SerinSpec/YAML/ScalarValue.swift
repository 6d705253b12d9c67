import Yams

/// What a YAML scalar means, resolved the way Kubernetes' YAML reader
/// resolves it (YAML 1.1 booleans included), without regular expressions:
/// the loader classifies every scalar of every manifest.
enum ScalarValue: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    init(_ scalar: Node.Scalar) {
        let text = scalar.string
        let tag = scalar.tag.description
        // Almost every scalar is untagged ("" or "!"); only explicit tags need a look.
        if tag.utf8.count > 1 {
            switch tag {
            case "tag:yaml.org,2002:str": self = .string(text); return
            case "tag:yaml.org,2002:null": self = .null; return
            case "tag:yaml.org,2002:bool": self = ScalarValue.bool(text) ?? .string(text); return
            case "tag:yaml.org,2002:int": self = ScalarValue.int(text).map(ScalarValue.int) ?? .string(text); return
            case "tag:yaml.org,2002:float": self = ScalarValue.float(text).map(ScalarValue.float) ?? .string(text); return
            default: break
            }
        }
        guard scalar.style == .plain else {
            self = .string(text)
            return
        }
        self = ScalarValue.resolvePlain(text)
    }

    static func resolvePlain(_ text: String) -> ScalarValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let value = bool(text) { return value }
        guard let first = text.utf8.first,
              first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        else { return .string(text) }
        if let value = int(text) { return .int(value) }
        if let value = float(text) { return .float(value) }
        return .string(text)
    }

    private static func bool(_ text: String) -> ScalarValue? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N": return .bool(false)
        default: return nil
        }
    }

    private static func int(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        var radix = 10
        if body.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) }
        else if body.hasPrefix("0o") { radix = 8; body = body.dropFirst(2) }
        guard !body.isEmpty, body.utf8.allSatisfy({ $0 != UInt8(ascii: "_") }),
              let magnitude = Int(body, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    private static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Double("1e5") is fine; Double("0x1p3") and "infinity" are not YAML floats.
        guard text.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
        }) else { return nil }
        return Double(text)
    }

    /// How an error message names what was found instead.
    var described: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "boolean \(value)"
        case .int(let value): return "integer \(value)"
        case .float(let value): return "number \(value)"
        case .string(let value): return "string \"\(value.count > 40 ? value.prefix(40) + "..." : value)\""
        }
    }
}
