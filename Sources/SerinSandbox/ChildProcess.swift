import Foundation
import Synchronization

/// A program started by the demo, whose end is awaited through the
/// process's termination handler: no thread waits and nothing is polled.
public final class ChildProcess: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiter = 0
    }

    /// The state, shared with the process's termination handler.
    private final class Shared: Sendable {
        let mutex = Mutex(State())
    }

    public let pid: Int32
    private let shared: Shared

    /// Starts `executable`; output goes to `output` (a file handle, not a
    /// pipe: a server the program starts could inherit a pipe's write end
    /// and keep it open, and a reader of the pipe would wait for ever).
    public init(_ executable: String, _ arguments: [String], in directory: String? = nil, output: FileHandle) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let shared = Shared()
        self.shared = shared
        process.terminationHandler = { ended in
            let code = ended.terminationStatus
            let waiters = shared.mutex.withLock { state in
                state.status = code
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
        try process.run()
        pid = process.processIdentifier
    }

    /// The exit status, once the program has ended; nil if `limit` passed
    /// first (or the waiting task was cancelled).
    public func exit(within limit: Duration) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await self.exited() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func exited() async -> Int32? {
        let id = shared.mutex.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                let done: Int32?? = shared.mutex.withLock { state in
                    if let status = state.status { return .some(status) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let done { continuation.resume(returning: done) }
            }
        } onCancel: {
            shared.mutex.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    /// SIGTERM, then SIGKILL if it has not ended within `grace`.
    public func stop(grace: Duration) async {
        guard shared.mutex.withLock({ $0.status }) == nil else { return }
        kill(pid, SIGTERM)
        if await exit(within: grace) != nil { return }
        kill(pid, SIGKILL)
        _ = await exit(within: .seconds(10))
    }

    /// Runs a program to its end (killed after `timeout`): its status and what it printed.
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                           timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let path = FileManager.default.temporaryDirectory.path + "/serin-run-\(getpid())-\(UUID().uuidString.prefix(8)).out"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let child = try ChildProcess(executable, arguments, in: directory, output: handle)
        var status = await child.exit(within: timeout)
        if status == nil {
            // Timed out: killed, and its end still awaited.
            kill(child.pid, SIGKILL)
            status = await child.exit(within: .seconds(10))
        }
        return (status ?? -1, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }
}
