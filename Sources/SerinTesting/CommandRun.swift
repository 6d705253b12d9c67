import Foundation

/// Runs a program to completion and keeps what it printed.
public struct CommandRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs `executable` with `arguments`; the run is killed after `timeout`.
    ///
    /// Output goes to temporary files, not pipes: a server another test
    /// starts meanwhile could inherit a pipe's write end and keep it open,
    /// and a reader waiting for the end of a pipe would then wait forever.
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                           timeout: Duration = .seconds(60)) throws -> CommandRun {
        let folder = FileManager.default.temporaryDirectory.path
        let name = "serin-run-\(getpid())-\(UUID().uuidString.prefix(8))"
        let outPath = "\(folder)/\(name).out", errPath = "\(folder)/\(name).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        return CommandRun(status: process.terminationStatus,
                          stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
