import SerinSpec
/// flagger.app/v1beta1 Canary: the spec is Flagger's (raw JSON, parsed by
/// SerinSpec), the status is what Serin writes through `/status`, in
/// Flagger's fields so `kubectl get canaries` shows the same columns.
public struct Canary: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "flagger.app", version: "v1beta1", kind: "Canary", plural: "canaries",
                                                  namespaced: true)

    public struct Status: Codable, Sendable, Hashable {
        /// Initializing, Initialized, Waiting, Progressing, WaitingPromotion,
        /// Promoting, Finalising, Succeeded, Failed, Terminating, Terminated.
        public var phase: String?
        public var canaryWeight: Int?
        public var failedChecks: Int?
        public var iterations: Int?
        /// Hash of the spec last released and last promoted.
        public var lastAppliedSpec: String?
        public var lastPromotedSpec: String?
        public var lastTransitionTime: String?
        public var trackedConfigs: [String: String]?
        /// Flagger's session affinity cookies (`name=value`).
        public var sessionAffinityCookie: String?
        public var primarySessionAffinityCookie: String?
        public var previousSessionAffinityCookie: String?
        public var conditions: [KubeCondition]?

        public init(phase: String? = nil, canaryWeight: Int? = nil, failedChecks: Int? = nil, iterations: Int? = nil,
                    lastAppliedSpec: String? = nil, lastPromotedSpec: String? = nil, lastTransitionTime: String? = nil,
                    conditions: [KubeCondition]? = nil) {
            self.phase = phase
            self.canaryWeight = canaryWeight
            self.failedChecks = failedChecks
            self.iterations = iterations
            self.lastAppliedSpec = lastAppliedSpec
            self.lastPromotedSpec = lastPromotedSpec
            self.lastTransitionTime = lastTransitionTime
            self.conditions = conditions
        }
    }

    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}
