extension LocalSupervisor {
    /// How the supervisor paces itself. The defaults suit a host; tests
    /// shorten the delays.
    public struct Options: Sendable {
        /// A log over this many bytes is rotated (copied to `.1`, truncated).
        public var logSizeLimit: Int = 10 * 1024 * 1024
        /// Rotated copies kept per log: `.1` to `.3`.
        public var rotatedLogsKept: Int = 3
        /// How often log sizes are checked.
        public var logCheckInterval: Duration = .seconds(1)
        /// Between taking an instance out of the ready backends (and telling
        /// the router) and sending it SIGTERM, so requests already routed to
        /// it finish.
        public var drainDelay: Duration = .seconds(1)
        /// Replaces every probe's periodSeconds when set.
        public var probeInterval: Duration?
        /// How often readiness is probed until an instance is first ready,
        /// so a new revision is routable as soon as it listens.
        public var firstReadinessPoll: Duration = .milliseconds(50)
        /// How often the monitor looks for exited processes and due probes.
        public var monitorInterval: Duration = .milliseconds(50)
        /// Restart delays: the first, doubling up to the limit.
        public var restartBackoff: Duration = .seconds(1)
        public var restartBackoffLimit: Duration = .seconds(30)
        /// A process that ran this long before failing restarts after the
        /// first delay again (Kubernetes waits 10 minutes).
        public var restartBackoffReset: Duration = .seconds(600)
        /// How long `apply` and `promote` wait for new instances to be ready
        /// before giving up and keeping the old ones.
        public var readinessTimeout: Duration = .seconds(300)
        /// Variables of the supervisor's environment that processes inherit.
        public var inheritedEnvironment: [String] = ["PATH", "HOME", "LANG"]
        /// Whether a workload without `runAs` may run as root when the
        /// operator does (`local.allowRootWorkloads` in serin.yaml).
        public var allowRootWorkloads = false
        /// Called (and awaited) whenever the set of ready backends of a
        /// workload changes, with the workload's name: push the new table
        /// to the router before returning. An instance being stopped is
        /// taken out of the ready set and this is awaited before its drain
        /// delay starts.
        public var onBackendsChanged: (@Sendable (String) async -> Void)?
        /// Decisions and failures (restarts, failed probes, unreadable
        /// records), one line each, for the composition root's logger.
        public var log: (@Sendable (String) -> Void)?

        public init() {}
    }
}
