import Foundation
import Synchronization

/// One run of a program with a time limit and an output-size limit. Output
/// goes to files in a private folder, not pipes (a pipe's write end
/// inherited by another child would keep a reader waiting); a watchdog
/// kills the run once the deadline passes or the output outgrows the limit,
/// and `prlimit --fsize` (when the command line asks for it) stops a writer
/// at the limit even between two looks of the watchdog.
struct KustomizeProcess {
    struct Outcome: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: String
        var timedOut: Bool
        var outputTooLarge: Bool
    }

    static func run(_ executable: String, _ arguments: [String], directory: String, environment: [String: String],
                    timeout: Duration, outputLimit: Int) async throws -> Outcome {
        let outPath = directory + "/.stdout", errPath = directory + "/.stderr"
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil) else {
            throw KustomizeUnavailable("cannot create the build's output files in \(directory)")
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
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let verdict = Verdict()
        let started = ContinuousClock.now
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            let pid = process.processIdentifier
            // Not a child of any task: it must outlive a cancelled caller
            // until the process is gone, and ends when the process ends.
            Task.detached {
                let deadline = ContinuousClock.now + timeout
                while verdict.running {
                    if ContinuousClock.now > deadline {
                        verdict.set(timedOut: true)
                        kill(pid, SIGKILL)
                        return
                    }
                    var info = stat()
                    if stat(outPath, &info) == 0, Int(info.st_size) > outputLimit {
                        verdict.set(tooLarge: true)
                        kill(pid, SIGKILL)
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        verdict.finish()
        // The watchdog may not have looked yet when a quick process ends past its deadline.
        if ContinuousClock.now - started > timeout { verdict.set(timedOut: true) }
        let stdout = try readPrefix(outPath, limit: outputLimit + 1)
        let stderr = String(decoding: try readPrefix(errPath, limit: 64 << 10), as: UTF8.self)
        return Outcome(status: status, stdout: stdout, stderr: stderr, timedOut: verdict.timedOut,
                       outputTooLarge: verdict.tooLarge || stdout.count > outputLimit)
    }

    private static func readPrefix(_ path: String, limit: Int) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        return try handle.read(upToCount: limit) ?? Data()
    }

    /// A short run to completion (`kustomize version`, the sandbox's probe).
    static func runSimple(_ executable: String, _ arguments: [String], timeout: Duration) throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = FileManager.default.temporaryDirectory.path + "/serin-kustomize-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/out", err = folder + "/err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": folder]
        process.standardOutput = outHandle
        process.standardError = errHandle
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
        return (process.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

/// What the watchdog decided, read once the process has ended.
private final class Verdict: Sendable {
    private struct State {
        var running = true
        var timedOut = false
        var tooLarge = false
    }

    private let state = Mutex(State())

    var running: Bool { state.withLock { $0.running } }
    var timedOut: Bool { state.withLock { $0.timedOut } }
    var tooLarge: Bool { state.withLock { $0.tooLarge } }

    func set(timedOut: Bool = false, tooLarge: Bool = false) {
        state.withLock {
            $0.timedOut = $0.timedOut || timedOut
            $0.tooLarge = $0.tooLarge || tooLarge
        }
    }

    func finish() { state.withLock { $0.running = false } }
}
