/// The apiserver's `Status` object: the body of a failed call, and of a
/// watch `ERROR` event.
public struct KubeStatus: Codable, Sendable, Hashable {
    public struct Details: Codable, Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var retryAfterSeconds: Int?
        public var causes: [Cause]?
    }

    public struct Cause: Codable, Sendable, Hashable {
        public var reason: String?
        public var message: String?
        public var field: String?
    }

    public var status: String?
    public var message: String?
    /// "NotFound", "AlreadyExists", "Conflict", "Invalid", "Expired", "Gone", ...
    public var reason: String?
    public var details: Details?
    public var code: Int?

    public init(status: String? = nil, message: String? = nil, reason: String? = nil, code: Int? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
    }
}
