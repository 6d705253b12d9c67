import Yams

extension JSONValue {
    /// As a YAML node: keys sorted; a string that would read as another
    /// type ("true", "1.0", "null", "") quoted.
    public var yamlNode: Yams.Node {
        switch self {
        case .null: return .scalar(.init("null"))
        case .bool(let value): return .scalar(.init(value ? "true" : "false"))
        case .int(let value): return .scalar(.init(String(value)))
        case .double(let value): return .scalar(.init(String(value)))
        case .string(let value):
            let plain = Yams.Node.scalar(.init(value))
            let ambiguous = value.isEmpty || plain.bool != nil || plain.int != nil || plain.float != nil || plain.null != nil
            return .scalar(.init(value, Tag(.str), ambiguous ? .doubleQuoted : .any))
        case .array(let values): return .sequence(.init(values.map(\.yamlNode)))
        case .object(let values):
            return .mapping(.init(values.keys.sorted().map { (Yams.Node.scalar(.init($0)), values[$0]?.yamlNode ?? .scalar(.init("null"))) }))
        }
    }

    /// As a YAML document (keys sorted), or nil when Yams cannot write it.
    public var yamlText: String? {
        try? Yams.serialize(node: yamlNode)
    }
}
