import SerinSpec
/// apps/v1 DaemonSet, a Canary's target as Flagger's daemonset controller
/// releases it: the pod template stays raw JSON, the status is typed for
/// readiness.
public struct DaemonSet: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true)

    public struct Spec: Codable, Sendable, Hashable {
        public var selector: LabelSelector?
        public var template: JSONValue?
        public var updateStrategy: JSONValue?
        public var minReadySeconds: Int32?
        public var revisionHistoryLimit: Int32?
    }

    public struct Status: Codable, Sendable, Hashable {
        public var observedGeneration: Int64?
        public var currentNumberScheduled: Int32?
        public var desiredNumberScheduled: Int32?
        public var numberReady: Int32?
        public var numberAvailable: Int32?
        public var updatedNumberScheduled: Int32?
    }

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    /// Flagger's `isDaemonSetReady`: the controller saw the latest spec,
    /// every scheduled pod is updated and `threshold` percent of them are
    /// available, with at least one pod scheduled.
    public func isRolledOut(threshold: Int = 100) -> Bool {
        guard let status, let generation = metadata.generation, (status.observedGeneration ?? 0) >= generation else { return false }
        let desired = status.desiredNumberScheduled ?? 0
        let wanted = Int32(Double(desired) * Double(threshold) / 100)
        return desired > 0 && (status.updatedNumberScheduled ?? 0) >= desired && (status.numberAvailable ?? 0) >= wanted
    }
}
