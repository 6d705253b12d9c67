/// networking.k8s.io/v1 Ingress: the NGINX router writes its canary
/// annotations; the spec is copied, not read, so it stays raw.
public struct Ingress: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses",
                                                  namespaced: true)

    public var metadata: ObjectMeta
    public var spec: KubeJSON?
    public var status: KubeJSON?

    public init(metadata: ObjectMeta, spec: KubeJSON? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}
