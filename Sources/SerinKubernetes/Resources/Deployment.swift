import SerinSpec
/// apps/v1 Deployment. The pod template stays raw JSON: Serin copies it to
/// the `-primary` Deployment as it is, fields it does not know included.
public struct Deployment: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true)

    public struct Spec: Codable, Sendable, Hashable {
        public var replicas: Int32?
        public var selector: LabelSelector?
        public var template: JSONValue?
        public var strategy: JSONValue?
        public var minReadySeconds: Int32?
        public var revisionHistoryLimit: Int32?
        public var progressDeadlineSeconds: Int32?
        public var paused: Bool?

        public init(replicas: Int32? = nil, selector: LabelSelector? = nil, template: JSONValue? = nil) {
            self.replicas = replicas
            self.selector = selector
            self.template = template
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var observedGeneration: Int64?
        public var replicas: Int32?
        public var updatedReplicas: Int32?
        public var readyReplicas: Int32?
        public var availableReplicas: Int32?
        public var unavailableReplicas: Int32?
        public var conditions: [KubeCondition]?
    }

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    /// The controller has seen the latest spec and every replica is updated
    /// and available, as `kubectl rollout status` decides.
    public var isRolledOut: Bool { isRolledOut(threshold: 100) }

    /// Flagger's `isDeploymentReady` with a ready threshold: every replica
    /// updated, no old one left, and `threshold` percent of the updated
    /// ones available.
    public func isRolledOut(threshold: Int) -> Bool {
        guard let status, let generation = metadata.generation, (status.observedGeneration ?? 0) >= generation else { return false }
        let wanted = spec?.replicas ?? 1
        let updated = status.updatedReplicas ?? 0
        let available = Int32(Double(updated) * Double(threshold) / 100)
        return updated >= wanted && (status.availableReplicas ?? 0) >= min(available, wanted)
            && (status.replicas ?? 0) <= updated
    }

    /// The progress deadline ran out (`Progressing=False`, ProgressDeadlineExceeded).
    public var exceededProgressDeadline: Bool {
        status?.conditions?.contains { $0.type == "Progressing" && $0.reason == "ProgressDeadlineExceeded" } ?? false
    }
}
