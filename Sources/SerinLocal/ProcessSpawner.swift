import CSerinProcess
import Foundation
import SerinSpec

/// Starts one workload process: builds its environment and arguments, opens
/// its log, and hands the rest to `serin_spawn` (own session, clean signal
/// state, no inherited descriptors).
enum ProcessSpawner {
    struct Request: Sendable {
        var launch: ProcessLaunch
        var workload: String
        var revision: String
        var role: Role
        var replica: Int
        var port: Int
        var snapshot: String
        var logPath: String
        /// Names of the supervisor's own variables the process inherits.
        var inherited: [String]
        /// Whether the process may run as root (no `runAs`, the operator root).
        var allowRoot = false
    }

    /// The process's environment: the inherited variables, then the
    /// template's in order (each may refer to the ones before it and to
    /// PORT and the SERIN_ variables), then the supervisor's, which win.
    static func environment(for request: Request) -> [(name: String, value: String)] {
        var values: [String: String] = [:]
        var order: [String] = []
        func set(_ name: String, _ value: String) {
            if values.updateValue(value, forKey: name) == nil { order.append(name) }
        }
        let parent = ProcessInfo.processInfo.environment
        for name in request.inherited { if let value = parent[name] { set(name, value) } }
        let own = [
            ("PORT", String(request.port)), ("SERIN_WORKLOAD", request.workload), ("SERIN_REVISION", request.revision),
            ("SERIN_ROLE", request.role.rawValue), ("SERIN_REPLICA", String(request.replica)),
        ]
        for (name, value) in own { set(name, value) }
        for variable in request.launch.environment { set(variable.name, ArgumentExpansion.expand(variable.value, values)) }
        for (name, value) in own { set(name, value) }
        return order.map { ($0, values[$0]!) }
    }

    static func arguments(for request: Request) -> [String] {
        let values = Dictionary(environment(for: request).map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        return (request.launch.command + request.launch.args).map { ArgumentExpansion.expand($0, values) }
    }

    /// The working directory inside the snapshot, links resolved there:
    /// one that leads out of the snapshot (a link to an absolute path, a
    /// way up through links) or is not a folder cannot start.
    static func workingDirectory(for request: Request) throws(SupervisorError) -> String {
        let relative = request.launch.workingDirectory ?? ""
        let refusal = "working directory \(relative) of \(request.workload) revision \(request.revision)"
        let resolved: String?
        do {
            resolved = try FencedDirectory(root: request.snapshot).resolve(relative)
        } catch {
            throw SupervisorError("\(refusal) leaves the revision's checkout: \(error.message); check template.workingDir and the links in the repository",
                                  cannotStart: true)
        }
        var info = stat()
        guard let resolved, lstat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SupervisorError("\(refusal) does not exist in \(request.snapshot): check template.workingDir and the revision's snapshot",
                                  cannotStart: true)
        }
        return resolved
    }

    /// Starts the process and returns who it is.
    static func spawn(_ request: Request) throws(SupervisorError) -> ProcessIdentity {
        let user = try RunAsIdentity.resolve(request.launch.runAs, workload: request.workload, allowRoot: request.allowRoot)
        let directory = try workingDirectory(for: request)
        // O_APPEND: after the supervisor truncates the log to rotate it, the
        // process's next write lands at the new end instead of leaving a hole.
        // Owner-only: the process writes through the descriptor it is given.
        let log = open(request.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw .system("cannot open log \(request.logPath)") }
        defer { close(log) }

        let arguments = arguments(for: request)
        var variables = environment(for: request)
        if let home = user?.home, let index = variables.firstIndex(where: { $0.name == "HOME" }) { variables[index].value = home }
        let environment = variables.map { "\($0.name)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                if let user {
                    serin_spawn_as(arguments[0], argv, envp, directory, log, user.uid, user.gid, &pid)
                } else {
                    serin_spawn(arguments[0], argv, envp, directory, log, &pid)
                }
            }
        }
        guard result == 0 else {
            throw SupervisorError("cannot start `\(arguments[0])` for \(request.workload) in \(directory): \(String(cString: strerror(result))); check template.command and PATH",
                                  cannotStart: true)
        }
        // A process that died at once is a zombie until reaped, and still has
        // its start time: record it, and let the monitor see it exit.
        let startTime = ProcessIdentity.Stat(pid: pid)?.startTime ?? 0
        return ProcessIdentity(pid: pid, startTime: startTime)
    }

    /// A NULL-terminated array of C strings that lives for `body`.
    static func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
