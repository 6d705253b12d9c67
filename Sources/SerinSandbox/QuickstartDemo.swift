import Foundation
import SerinCLI
import SerinEngine
import Synchronization

/// What `serin demo` runs: the quickstart as a throwaway installation
/// (`QuickstartFiles` made into a Git repository) and the operator as a
/// real process, followed through its API as `serin get --watch` follows a
/// release: the event stream for decisions, the rollout for its state.
/// Processes are awaited through their termination handlers; nothing is
/// polled.
public final class QuickstartDemo: Sendable {
    public let files: QuickstartFiles
    public let started = ContinuousClock.now
    private let serin: String
    private let client: APIClient
    private let operatorProcess = Mutex<ChildProcess?>(nil)
    /// Every entry of the event log seen so far, in order.
    private let seen = Mutex<[EventLog.Entry]>([])
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>
    private let follower = Mutex<Task<Void, Never>?>(nil)

    public init(example: String, serin: String, interval: String, requestDurationMax: Int? = nil) async throws {
        files = try QuickstartFiles(example: example, interval: interval, requestDurationMax: requestDurationMax)
        self.serin = serin
        client = APIClient(base: URL(string: "http://127.0.0.1:\(files.apiPort)")!)
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        try await git(["init", "-q", "-b", "main"])
        try await git(["add", "-A"])
        try await git(["-c", "user.name=Serin Demo", "-c", "user.email=demo@serin.dev", "commit", "-qm", "The quickstart"])
    }

    private func git(_ arguments: [String]) async throws {
        let run = try await ChildProcess.run("/usr/bin/git", ["-C", files.repository] + arguments)
        guard run.status == 0 else { throw SandboxError("git \(arguments.joined(separator: " ")) failed: \(run.output)") }
    }

    /// Starts `serin run` (its output in `<root>/operator.log`) and follows its event stream.
    public func startOperator() throws {
        let log = files.root + "/operator.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        let process = try ChildProcess(serin, ["run", "--config", files.configPath], output: handle)
        operatorProcess.withLock { $0 = process }
        follower.withLock { $0 = Task { await self.follow() } }
    }

    /// The event stream from the start, resumed where it broke; until the demo ends.
    private func follow() async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            let after = seen.withLock { $0.last?.sequence ?? 0 }
            try? await client.followEvents(after: after) { entry in
                let added = self.seen.withLock { seen in
                    guard entry.sequence > (seen.last?.sequence ?? 0) else { return false }
                    seen.append(entry)
                    return true
                }
                if added { self.wake.yield() }
            }
            // The API is not up yet, or the stream broke: again, a little later.
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }

    /// Every event seen so far.
    public var events: [EventLog.Entry] { seen.withLock { $0 } }

    /// Waits until an event after `after` decides one of `decisions` for the
    /// rollout; `progress` sees every new event, and the rollout's state
    /// when an event changed it.
    public func waitForDecision(_ decisions: Set<String>, after: Int = 0, timeout: Duration,
                                progress: (EventLog.Entry?, RolloutStatus?) -> Void = { _, _ in }) async throws -> EventLog.Entry {
        let deadline = ContinuousClock.now + timeout
        let wake = self.wake
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // The deadline wakes the loop below as an event would.
            group.addTask {
                guard (try? await Task.sleep(until: deadline)) != nil else { return }
                wake.yield()
            }
            defer { group.cancelAll() }
            var shown = after
            var lastState: RolloutStatus?
            var iterator = wakeups.makeAsyncIterator()
            while ContinuousClock.now < deadline {
                let new = seen.withLock { $0.filter { $0.sequence > shown } }
                for event in new {
                    shown = event.sequence
                    progress(event, nil)
                    if event.rollout != "-", decisions.contains(event.decision) { return event }
                }
                if !new.isEmpty, let state = try? await client.get(RolloutStatus.self, "/api/v1/rollouts/web"), state != lastState {
                    lastState = state
                    progress(nil, state)
                }
                guard await iterator.next() != nil else { break }
            }
            throw SandboxError("timed out waiting for \(decisions.sorted().joined(separator: " or ")); see \(files.root)/operator.log")
        }
    }

    /// Sets an env value of the workload and commits; returns the commit's short id.
    public func commit(_ variable: String, to value: String, message: String, author: String) async throws -> String {
        try files.setEnvironment(variable, to: value)
        try await git(QuickstartFiles.commitArguments(message, author: author))
        let head = try await ChildProcess.run("/usr/bin/git", ["-C", files.repository, "rev-parse", "--short=12", "HEAD"])
        return head.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the operator (SIGTERM, SIGKILL after 15 s) and the data plane
    /// it leaves serving by design (`serin down`).
    public func tearDown() async {
        let follower = self.follower.withLock { $0 }
        follower?.cancel()
        await follower?.value
        await operatorProcess.withLock({ $0 })?.stop(grace: .seconds(15))
        _ = try? await ChildProcess.run(serin, ["down", "--config", files.configPath], timeout: .seconds(60))
    }
}
