import CSerinProcess
import Foundation
import SerinEngine
import SerinRouter

/// A helper process of the platform (the router, a managed Prometheus) run
/// in a session of its own, so it keeps serving while the operator is down.
/// It is recorded (pid and start time) and adopted like a workload.
public struct DetachedProcess: Sendable {
    struct Record: Codable, Sendable {
        var pid: Int32
        var startTime: UInt64
        var arguments: [String]
    }

    public let name: String
    let arguments: [String]
    /// Its working directory, which it may write to.
    public let directory: String
    public let logPath: String
    private let recordPath: String

    /// `<stateDir>/<name>` is its directory, its log and record live with
    /// the workloads' under `<stateDir>/local`.
    public init(name: String, arguments: [String], stateDirectory: String) {
        self.name = name
        self.arguments = arguments
        directory = stateDirectory + "/" + name
        logPath = stateDirectory + "/local/logs/\(name).log"
        recordPath = stateDirectory + "/local/\(name).json"
    }

    /// The recorded process if it still runs as the same process.
    public func isRunning() -> Bool { adoptable() != nil }

    /// Adopts the recorded process or starts a new one; true when adopted.
    public func adoptOrStart() throws(SupervisorError) -> Bool {
        if adoptable() != nil { return true }
        _ = try start()
        return false
    }

    /// Stops the recorded process if it runs; returns its pid if it did.
    @discardableResult
    public func stop() async -> Int32? {
        guard let identity = adoptable() else { return nil }
        await stop(identity)
        return identity.pid
    }

    func adoptable() -> ProcessIdentity? {
        guard let data = FileManager.default.contents(atPath: recordPath),
              let record = try? JSONDecoder().decode(Record.self, from: data) else { return nil }
        let identity = ProcessIdentity(pid: record.pid, startTime: record.startTime)
        return identity.isRunning() ? identity : nil
    }

    func start() throws(SupervisorError) -> ProcessIdentity {
        do {
            // The operator's alone (the router's control socket lives here).
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(atPath: (logPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            chmod(directory, 0o700)
        } catch {
            throw SupervisorError("cannot create \(directory): \(error.localizedDescription); check the state directory's permissions")
        }
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw SupervisorError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        defer { close(log) }
        let environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }.map { "\($0)=\($1)" }
        var pid: pid_t = 0
        let result = ProcessSpawner.withCStrings(arguments) { argv in
            ProcessSpawner.withCStrings(environment) { envp in serin_spawn(arguments[0], argv, envp, directory, log, &pid) }
        }
        guard result == 0 else {
            throw SupervisorError("cannot start the \(name) `\(arguments.joined(separator: " "))`: \(String(cString: strerror(result)))")
        }
        let identity = ProcessIdentity(pid: pid, startTime: ProcessIdentity.Stat(pid: pid)?.startTime ?? 0)
        let record = Record(pid: pid, startTime: identity.startTime, arguments: arguments)
        do {
            try DurableFile.replace(recordPath, with: try JSONEncoder().encode(record))
        } catch {
            throw SupervisorError("cannot record the \(name) process: \(error)")
        }
        return identity
    }

    func stop(_ identity: ProcessIdentity) async {
        kill(-identity.pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while identity.isRunning(), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if identity.isRunning() { kill(-identity.pid, SIGKILL) }
        while identity.isRunning() { try? await Task.sleep(for: .milliseconds(10)) }
        try? FileManager.default.removeItem(atPath: recordPath)
    }
}
