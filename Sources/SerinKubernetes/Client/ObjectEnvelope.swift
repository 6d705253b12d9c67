/// Encodes an object with the `apiVersion` and `kind` of its resource:
/// typed values do not store them, and the apiserver needs them in every
/// body it is sent. The object's own members are written after them, so a
/// `KubeObject`'s own apiVersion and kind are kept.
struct ObjectEnvelope<Object: Encodable>: Encodable {
    var kind: ResourceKind
    var object: Object

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encode(kind.apiVersion, forKey: AnyKey("apiVersion"))
        try container.encode(kind.kind, forKey: AnyKey("kind"))
        try object.encode(to: encoder)
    }
}
