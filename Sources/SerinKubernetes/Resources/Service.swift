/// core/v1 Service: selector and ports typed (the Kubernetes router and
/// blue/green switch them), the rest of the spec kept.
public struct Service: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var port: Int32
        /// A number or a port name.
        public var targetPort: KubeJSON?
        public var `protocol`: String?
        public var appProtocol: String?
        public var nodePort: Int32?

        public init(name: String? = nil, port: Int32, targetPort: KubeJSON? = nil, protocol: String? = nil) {
            self.name = name
            self.port = port
            self.targetPort = targetPort
            self.protocol = `protocol`
        }
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var type: String?
        public var selector: [String: String]?
        public var ports: [Port]?
        public var clusterIP: String?
        public var clusterIPs: [String]?
        public var sessionAffinity: String?
        public var publishNotReadyAddresses: Bool?

        public init(type: String? = nil, selector: [String: String]? = nil, ports: [Port]? = nil) {
            self.type = type
            self.selector = selector
            self.ports = ports
        }
    }

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: KubeJSON?

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}
