/// coordination.k8s.io/v1 Lease, for leader election. Times are
/// RFC 3339 with microseconds ("MicroTime").
public struct Lease: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases",
                                                  namespaced: true)

    public struct Spec: Codable, Sendable, Hashable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int32?
        public var acquireTime: String?
        public var renewTime: String?
        public var leaseTransitions: Int32?

        public init(holderIdentity: String? = nil, leaseDurationSeconds: Int32? = nil, acquireTime: String? = nil,
                    renewTime: String? = nil, leaseTransitions: Int32? = nil) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }

    public var metadata: ObjectMeta
    public var spec: Spec?

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}
