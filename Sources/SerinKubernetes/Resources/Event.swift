/// core/v1 Event, as `kubectl describe` shows them (Flagger records one
/// per decision on the Canary).
public struct Event: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public struct ObjectReference: Codable, Sendable, Hashable {
        public var apiVersion: String?
        public var kind: String?
        public var name: String?
        public var namespace: String?
        public var uid: String?
        public var resourceVersion: String?

        public init(apiVersion: String? = nil, kind: String? = nil, name: String? = nil, namespace: String? = nil, uid: String? = nil) {
            self.apiVersion = apiVersion
            self.kind = kind
            self.name = name
            self.namespace = namespace
            self.uid = uid
        }
    }

    public struct Source: Codable, Sendable, Hashable {
        public var component: String?
        public var host: String?

        public init(component: String? = nil, host: String? = nil) {
            self.component = component
            self.host = host
        }
    }

    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    /// "Normal" or "Warning".
    public var type: String?
    public var source: Source?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var count: Int32?
    public var reportingComponent: String?
    public var reportingInstance: String?

    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil, message: String? = nil,
                type: String? = nil, source: Source? = nil) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = source
    }
}
