import SerinEngine

extension KubernetesPlatform {
    /// Not yet: the Deployment informer reports every change of a
    /// Deployment Git declares, but a DaemonSet target and a target only the
    /// cluster declares (Flagger's objects) are not all reported through
    /// `readinessChanges()`; a rollout that waited on those alone stood
    /// still (`aTargetOnlyTheClusterDeclaresIsReleased`). Rollouts poll
    /// readiness every `pollInterval` as well until every target kind is.
    public var reportsEveryReadinessChange: Bool { false }
}
