import Dispatch
import Foundation

/// What a benchmark leaves on the machine and the cluster if it is
/// interrupted (SIGINT, SIGTERM) before its own clean-up runs: the child
/// processes it started (`serin run`, the fake Prometheus) and the cluster
/// objects it made (its namespace, the fake node, the identity's cluster
/// objects). On a signal every registered undo runs, newest first,
/// synchronously (processes stopped by pid, cluster objects deleted with
/// kubectl without waiting), then the bench exits with 128 + the signal.
/// The normal path unregisters its undo and cleans up as before.
final class Interrupted: @unchecked Sendable {
    // Safe: `undos` is read and written under `lock` only.
    static let shared = Interrupted()

    private let lock = NSLock()
    private var undos: [(id: Int, what: String, undo: @Sendable () -> Void)] = []
    private var next = 0
    private var sources: [any DispatchSourceSignal] = []

    private init() {}

    /// Registers `undo`; the returned id unregisters it.
    func register(_ what: String, _ undo: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        installIfNeeded()
        next += 1
        undos.append((next, what, undo))
        return next
    }

    func unregister(_ id: Int) {
        lock.lock()
        defer { lock.unlock() }
        undos.removeAll { $0.id == id }
    }

    /// Called with the lock held.
    private func installIfNeeded() {
        guard sources.isEmpty else { return }
        let queue = DispatchQueue(label: "serin-bench.interrupted")
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in self.fire(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    private func fire(_ signalNumber: Int32) {
        lock.lock()
        let pending = undos.reversed()
        undos = []
        lock.unlock()
        FileHandle.standardError.write(Data("serin-bench: signal \(signalNumber): undoing \(pending.map(\.what).joined(separator: ", "))\n".utf8))
        for entry in pending { entry.undo() }
        exit(128 + signalNumber)
    }

    /// Runs kubectl with `arguments` and waits at most `seconds` (the
    /// apiserver may be what failed); its output goes to stderr.
    static func kubectl(_ kubectl: String, _ arguments: [String], seconds: Double = 30) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [kubectl] + arguments
        guard (try? process.run()) != nil else { return }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
    }
}
