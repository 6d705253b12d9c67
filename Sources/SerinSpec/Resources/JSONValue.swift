import Yams

/// A value kept as written, for fields Serin passes through to Kubernetes
/// without interpreting them (Istio traffic policies, plain manifests).
public enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        guard let nodeDecoder = decoder as? NodeDecoder else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "JSONValue decodes from YAML nodes only"))
        }
        switch nodeDecoder.node {
        case .scalar(let scalar):
            switch ScalarValue(scalar) {
            case .null: self = .null
            case .bool(let value): self = .bool(value)
            case .int(let value): self = .int(value)
            case .float(let value): self = .double(value)
            case .string(let value): self = .string(value)
            }
        case .sequence:
            var container = try decoder.unkeyedContainer()
            var items: [JSONValue] = []
            while !container.isAtEnd {
                items.append(try container.decode(JSONValue.self))
            }
            self = .array(items)
        case .mapping:
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            var object: [String: JSONValue] = [:]
            for key in container.allKeys {
                object[key.stringValue] = try container.decodeIfPresent(JSONValue.self, forKey: key) ?? .null
            }
            self = .object(object)
        case .alias:
            throw nodeDecoder.mismatch(expected: "a value")
        }
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }
}

/// Kubernetes' IntOrString, as in `targetPort: 8080` or `targetPort: http`.
public enum IntOrString: Sendable, Hashable, Codable {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        guard let nodeDecoder = decoder as? NodeDecoder else {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
            return
        }
        switch nodeDecoder.scalar {
        case .int(let value)?: self = .int(value)
        case .string(let value)?: self = .string(value)
        default: throw nodeDecoder.mismatch(expected: "a port number or name")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }
}
