import SerinSpec

/// Any object, untyped: what Git sync applies from manifests. Everything
/// but `apiVersion`, `kind` and `metadata` stays as raw JSON in `content`.
public struct KubeObject: KubeAPIObject, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    /// The other top-level members: spec, status, data, rules, ...
    public var content: [String: JSONValue]

    public init(apiVersion: String, kind: String, metadata: ObjectMeta, content: [String: JSONValue] = [:]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.content = content
    }

    public subscript(member: String) -> JSONValue? {
        get { content[member] }
        set { content[member] = newValue }
    }

    /// The documents of a multi-document YAML manifest, read by the one
    /// manifest reader (SerinSpec's); empty documents are skipped.
    public static func manifests(yaml: String, file: String = "manifest.yaml") throws -> [KubeObject] {
        let loaded = ManifestLoader().load(text: yaml, file: file)
        if let problem = loaded.diagnostics.errors.first { throw KubernetesPlatformError(.invalidManifest, problem.description) }
        return try loaded.objects.map { try KubeObject(json: $0.value) }
    }

    public init(json: JSONValue) throws {
        guard case .object(var members) = json else { throw KubernetesPlatformError(.invalidManifest, "a manifest is not a mapping") }
        guard let apiVersion = members.removeValue(forKey: "apiVersion")?.stringValue,
              let kind = members.removeValue(forKey: "kind")?.stringValue
        else {
            throw KubernetesPlatformError(.invalidManifest, "a manifest has no apiVersion or kind")
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
        var content: [String: JSONValue] = [:]
        for key in container.allKeys {
            switch key.stringValue {
            // List items come without apiVersion and kind; `adopt` fills them in.
            case "apiVersion": apiVersion = try container.decodeIfPresent(String.self, forKey: key) ?? ""
            case "kind": kind = try container.decodeIfPresent(String.self, forKey: key) ?? ""
            case "metadata": metadata = try container.decode(ObjectMeta.self, forKey: key)
            default: content[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
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

extension KubeObject {
    /// The object as the one JSON value it encodes to, built without a
    /// trip through JSON text (its content is JSON already): a resync
    /// compares thousands of objects.
    public var json: JSONValue {
        var members = content
        if !apiVersion.isEmpty { members["apiVersion"] = .string(apiVersion) }
        if !kind.isEmpty { members["kind"] = .string(kind) }
        members["metadata"] = metadata.json
        return .object(members)
    }

    /// The same object, typed.
    public func converted<T: Decodable>(to type: T.Type = T.self) throws -> T {
        try JSONValue(encoding: self).decode(T.self)
    }
}

extension Manifests {
    /// The documents as validated, as the apiserver takes them: the one
    /// parse of the validate stage, nothing read again. Serin's own kinds
    /// (Workload, Strategy) have no place in a cluster.
    public func clusterObjects() throws -> [KubeObject] {
        try objects.filter { !$0.isSerinOwn }.map { try KubeObject(json: $0.value) }
    }
}
