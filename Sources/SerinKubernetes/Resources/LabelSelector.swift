/// `metav1.LabelSelector`.
public struct LabelSelector: Codable, Sendable, Hashable {
    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String
        public var `operator`: String
        public var values: [String]?
    }

    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    public init(matchLabels: [String: String]? = nil) {
        self.matchLabels = matchLabels
    }
}
