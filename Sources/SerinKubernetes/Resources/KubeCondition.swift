/// `metav1.Condition` and the older per-kind conditions share these fields.
public struct KubeCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
    public var lastUpdateTime: String?
    public var observedGeneration: Int64?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil,
                lastTransitionTime: String? = nil, lastUpdateTime: String? = nil, observedGeneration: Int64? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.lastUpdateTime = lastUpdateTime
        self.observedGeneration = observedGeneration
    }
}
