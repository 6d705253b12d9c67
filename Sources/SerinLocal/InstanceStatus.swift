/// One supervised process, as `LocalSupervisor.status()` reports it.
public struct InstanceStatus: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// The process runs (ready or not).
        case running
        /// It exited or failed its liveness probe and waits for its restart.
        case restarting
        /// It is being drained and stopped.
        case stopping
    }

    public var workload: String
    public var role: Role
    public var replica: Int
    public var revision: String
    public var pid: Int32
    public var port: Int
    public var ready: Bool
    public var restarts: Int
    public var state: State
    public var logPath: String

    /// `127.0.0.1:PORT`, as the router dials it.
    public var backend: String { "127.0.0.1:\(port)" }
}

/// What `LocalSupervisor.adopt()` found in the state directory.
public struct AdoptionReport: Sendable, Hashable {
    /// Record names (`<workload>-<role>-<replica>`) whose process still ran and was taken over.
    public var adopted: [String] = []
    /// Record names whose process was gone and was started again.
    public var restarted: [String] = []
    /// Records that could not be read or restarted, with what to do.
    public var problems: [String] = []
}
