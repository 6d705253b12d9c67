import Foundation

/// What the state directory remembers about one running process, so that a
/// supervisor started later finds it, checks it is still the same process
/// (pid and start time), and takes it over instead of starting another.
public struct ProcessRecord: Sendable, Hashable, Codable {
    public var workload: String
    public var role: Role
    /// Unique within the workload (across roles), so a canary instance keeps
    /// its number, file names and port when it is promoted.
    public var replica: Int
    public var revision: String
    public var pid: Int32
    /// Field 22 of /proc/<pid>/stat, in clock ticks after boot.
    public var startTime: UInt64
    public var port: Int
    public var snapshot: String
    public var launch: ProcessLaunch
    public var restarts: Int
    /// Last seen ready: an adopted process keeps serving until a probe fails.
    public var ready: Bool

    /// `<workload>-<role>-<replica>`: the record's and the log's file name.
    public var name: String { "\(workload)-\(role.rawValue)-\(replica)" }

    var identity: ProcessIdentity { ProcessIdentity(pid: pid, startTime: startTime) }
}
