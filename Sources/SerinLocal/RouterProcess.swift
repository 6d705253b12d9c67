import CSerinProcess
import Foundation
import SerinRouter

/// The router runs as a process of its own, in its own session, so the data
/// plane keeps serving while the operator is down. It is recorded (pid and
/// start time) and adopted like a workload; it keeps its table in its state
/// folder, so even a restarted router serves the last table at once.
struct RouterProcess: Sendable {
    struct Record: Codable, Sendable {
        var pid: Int32
        var startTime: UInt64
        var admin: String
        var command: [String]
    }

    let command: [String]
    let admin: String
    let directory: String
    let logPath: String
    private let recordPath: String

    var controlSocket: String { directory + "/router.sock" }

    init(command: [String], admin: String, stateDirectory: String) {
        self.command = command
        self.admin = admin
        directory = stateDirectory + "/router"
        logPath = stateDirectory + "/local/logs/router.log"
        recordPath = stateDirectory + "/local/router.json"
    }

    /// The recorded router if it still runs as the same process.
    func adoptable() -> ProcessIdentity? {
        guard let data = FileManager.default.contents(atPath: recordPath),
              let record = try? JSONDecoder().decode(Record.self, from: data) else { return nil }
        let identity = ProcessIdentity(pid: record.pid, startTime: record.startTime)
        return identity.isRunning() ? identity : nil
    }

    func start() throws(SupervisorError) -> ProcessIdentity {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: (logPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw SupervisorError("cannot create \(directory): \(error.localizedDescription); check the state directory's permissions")
        }
        let arguments = command + ["--state-dir", directory, "--admin", admin]
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw SupervisorError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        defer { close(log) }
        let environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }.map { "\($0)=\($1)" }
        var pid: pid_t = 0
        let result = Self.withCStrings(arguments) { argv in
            Self.withCStrings(environment) { envp in serin_spawn(arguments[0], argv, envp, directory, log, &pid) }
        }
        guard result == 0 else {
            throw SupervisorError("cannot start the router `\(arguments.joined(separator: " "))`: \(String(cString: strerror(result)))")
        }
        let identity = ProcessIdentity(pid: pid, startTime: ProcessIdentity.Stat(pid: pid)?.startTime ?? 0)
        let record = Record(pid: pid, startTime: identity.startTime, admin: admin, command: command)
        do {
            let data = try JSONEncoder().encode(record)
            let temporary = recordPath + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data) else { throw CocoaError(.fileWriteUnknown) }
            let fd = open(temporary, O_RDONLY)
            if fd >= 0 { fsync(fd); close(fd) }
            guard rename(temporary, recordPath) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw SupervisorError("cannot record the router process in \(recordPath): \(error.localizedDescription)")
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

    private static func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
