import Yams

/// Any object, untyped: what Git sync applies from manifests. Everything
/// but `apiVersion`, `kind` and `metadata` stays as raw JSON in `content`.
public struct KubeObject: KubeAPIObject, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    /// The other top-level members: spec, status, data, rules, ...
    public var content: [String: KubeJSON]

    public init(apiVersion: String, kind: String, metadata: ObjectMeta, content: [String: KubeJSON] = [:]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.content = content
    }

    public subscript(member: String) -> KubeJSON? {
        get { content[member] }
        set { content[member] = newValue }
    }

    /// The documents of a multi-document YAML manifest; empty documents are skipped.
    public static func manifests(yaml: String) throws -> [KubeObject] {
        var objects: [KubeObject] = []
        for node in try Yams.compose_all(yaml: yaml) {
            let json = try YAMLDecoder().decode(KubeJSON.self, from: node)
            if json == .null { continue }
            objects.append(try KubeObject(json: json))
        }
        return objects
    }

    public init(json: KubeJSON) throws {
        guard case .object(var members) = json else { throw KubeError.decoding("a manifest is not a mapping", request: nil) }
        guard let apiVersion = members.removeValue(forKey: "apiVersion")?.stringValue,
              let kind = members.removeValue(forKey: "kind")?.stringValue
        else {
            throw KubeError.decoding("a manifest has no apiVersion or kind", request: nil)
        }
        self.apiVersion = apiVersion
        self.kind = kind
        metadata = try members.removeValue(forKey: "metadata").map { try $0.decode(ObjectMeta.self) } ?? ObjectMeta()
        content = members
    }

    public mutating func adopt(_ resourceKind: ResourceKind) {
        if apiVersion.isEmpty { apiVersion = resourceKind.apiVersion }
        if kind.isEmpty { kind = resourceKind.kind }
    }
}

extension KubeObject: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var apiVersion = ""
        var kind = ""
        var metadata = ObjectMeta()
        var content: [String: KubeJSON] = [:]
        for key in container.allKeys {
            switch key.stringValue {
            // List items come without apiVersion and kind; `adopt` fills them in.
            case "apiVersion": apiVersion = try container.decodeIfPresent(String.self, forKey: key) ?? ""
            case "kind": kind = try container.decodeIfPresent(String.self, forKey: key) ?? ""
            case "metadata": metadata = try container.decode(ObjectMeta.self, forKey: key)
            default: content[key.stringValue] = try container.decode(KubeJSON.self, forKey: key)
            }
        }
        self.init(apiVersion: apiVersion, kind: kind, metadata: metadata, content: content)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        if !apiVersion.isEmpty { try container.encode(apiVersion, forKey: AnyKey("apiVersion")) }
        if !kind.isEmpty { try container.encode(kind, forKey: AnyKey("kind")) }
        try container.encode(metadata, forKey: AnyKey("metadata"))
        for (key, value) in content { try container.encode(value, forKey: AnyKey(key)) }
    }
}
