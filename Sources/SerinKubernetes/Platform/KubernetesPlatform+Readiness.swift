import SerinEngine

extension KubernetesPlatform {
    /// Readiness comes from the Deployment informer, whose every change is
    /// reported (`run()`): nothing polls it between ticks.
    public var reportsEveryReadinessChange: Bool { true }
}
