import SerinSpec
/// core/v1 Service: selector and ports typed (the Kubernetes router and
/// blue/green switch them), the rest of the spec kept.
public struct Service: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var port: Int32
        /// A number or a port name.
        public var targetPort: JSONValue?
        public var `protocol`: String?
        public var appProtocol: String?
        public var nodePort: Int32?

        public init(name: String? = nil, port: Int32, targetPort: JSONValue? = nil, protocol: String? = nil) {
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
        /// Every other member of the spec (externalTrafficPolicy, ipFamilies,
        /// ...), written back as it was read.
        public var other: [String: JSONValue] = [:]

        public init(type: String? = nil, selector: [String: String]? = nil, ports: [Port]? = nil) {
            self.type = type
            self.selector = selector
            self.ports = ports
        }

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case type, selector, ports, clusterIP, clusterIPs, sessionAffinity, publishNotReadyAddresses
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            selector = try container.decodeIfPresent([String: String].self, forKey: .selector)
            ports = try container.decodeIfPresent([Port].self, forKey: .ports)
            clusterIP = try container.decodeIfPresent(String.self, forKey: .clusterIP)
            clusterIPs = try container.decodeIfPresent([String].self, forKey: .clusterIPs)
            sessionAffinity = try container.decodeIfPresent(String.self, forKey: .sessionAffinity)
            publishNotReadyAddresses = try container.decodeIfPresent(Bool.self, forKey: .publishNotReadyAddresses)
            other = try OtherMembers.decode(from: decoder, except: CodingKeys.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(type, forKey: .type)
            try container.encodeIfPresent(selector, forKey: .selector)
            try container.encodeIfPresent(ports, forKey: .ports)
            try container.encodeIfPresent(clusterIP, forKey: .clusterIP)
            try container.encodeIfPresent(clusterIPs, forKey: .clusterIPs)
            try container.encodeIfPresent(sessionAffinity, forKey: .sessionAffinity)
            try container.encodeIfPresent(publishNotReadyAddresses, forKey: .publishNotReadyAddresses)
            try OtherMembers.encode(other, to: encoder)
        }
    }

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: JSONValue?

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}
