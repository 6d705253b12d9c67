import Foundation

/// `serin run` as the benchmark's child, restarted when it ends the way a
/// pod would be: the test cluster is shared, and an apiserver restarted by
/// someone else for longer than the lease's renew deadline ends the
/// leader (status 3). Each restart is counted, and a window it falls in
/// is measured again.
final class OperatorProcess: @unchecked Sendable {
    // Safe: `process` and `restarts` change only in `keepRunning()`, which
    // one task calls at a time (the benchmark, or its release timer while
    // the benchmark waits for it).
    private let executable: String
    private let arguments: [String]
    let log: String
    private(set) var process: Process
    private(set) var restarts = 0

    init(executable: String, arguments: [String], log: String) throws {
        self.executable = executable
        self.arguments = arguments
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process = Process()
        try launch()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    private func launch() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let handle = FileHandle(forWritingAtPath: log)
        handle?.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// Starts it again if it ended; true when it did.
    @discardableResult
    func keepRunning() throws -> Bool {
        guard !process.isRunning else { return false }
        let status = process.terminationStatus
        FileHandle.standardError.write(Data("serin run ended with status \(status); restarted (see \(log))\n".utf8))
        restarts += 1
        guard restarts <= 5 else { throw BenchError("serin run ended \(restarts) times; see \(log)") }
        try launch()
        return true
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
