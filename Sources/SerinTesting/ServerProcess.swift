import Foundation

/// A server process a test started, stopped (SIGTERM, then SIGKILL) by `stop()`.
public final class ServerProcess: @unchecked Sendable {
    // Safe: `process` is set once in init; Process itself is thread-safe for
    // terminate/isRunning/waitUntilExit.
    public let process: Process
    public let port: Int

    public init(_ executable: String, _ arguments: [String], port: Int, directory: String? = nil,
                environment: [String: String]? = nil, log: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = FileHandle(forWritingAtPath: log)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        self.port = port
        try process.run()
        do {
            try Loopback.waitForPort(port, timeout: loadedMachineTimeout)
        } catch {
            stop()
            throw error
        }
    }

    /// Children of the test runner inherit its blocked SIGTERM (through
    /// posix_spawn), so SIGTERM may never arrive: a short grace, then SIGKILL.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .milliseconds(200)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
