import SerinSpec
/// networking.k8s.io/v1 Ingress: the NGINX router writes its canary
/// annotations; the spec is copied, not read, so it stays raw.
public struct Ingress: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses",
                                                  namespaced: true)

    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: JSONValue?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}
