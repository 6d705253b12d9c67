import Foundation

/// A process named so that pid reuse cannot fool us: the pid plus the time
/// the kernel started it.
struct ProcessIdentity: Sendable, Hashable {
    var pid: Int32
    var startTime: UInt64

    /// The identity of a live (not zombie) process, read from /proc.
    static func current(pid: Int32) -> ProcessIdentity? {
        guard let stat = Stat(pid: pid), !stat.isDead else { return nil }
        return ProcessIdentity(pid: pid, startTime: stat.startTime)
    }

    /// Whether the process still runs. A child of this process that exited
    /// is reaped here (so none is left a zombie), and so is an adopted
    /// process that happens to be our child (tests drop a supervisor and
    /// adopt its processes in the same test process); for any other process
    /// a zombie counts as gone, since it will never answer again.
    ///
    /// The main thread of a multi-threaded child shows as a zombie before
    /// its other threads are gone, and cannot be reaped yet: it counts as
    /// running until it can, or it would be left a zombie for good.
    func isRunning() -> Bool {
        guard let stat = Stat(pid: pid), stat.startTime == startTime else { return false }
        guard stat.isDead else { return true }
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// The fields of /proc/<pid>/stat that the supervisor needs.
    struct Stat {
        var state: Character
        var startTime: UInt64

        /// The command name (field 2) is in parentheses and may itself hold
        /// spaces and parentheses, so fields are counted after the last ')'.
        init?(pid: Int32) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
                  let text = String(data: data, encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // fields[0] is field 3 (state); field 22 is fields[19].
            guard fields.count > 19, let state = fields[0].first, let startTime = UInt64(fields[19]) else { return nil }
            self.state = state
            self.startTime = startTime
        }

        var isDead: Bool { state == "Z" || state == "X" }
    }
}
