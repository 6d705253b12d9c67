import ArgumentParser
import Foundation
import SerinCLI
import SerinEngine

struct GetCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show a rollout (phase, plan and current step, traffic, metrics, recent events), or the sources, workloads or rollouts.",
        discussion: """
        serin get NAME shows rollout NAME; serin get sources|workloads|rollouts lists them, and serin get source|workload|rollout NAME \
        shows one with its conditions. With --watch the rollout's view is redrawn at each of its events and every second on a terminal; \
        into a pipe, a line is printed for each change. Watching ends when the release does: exit 0 when it succeeded, 1 when it failed.
        """
    )

    @OptionGroup var options: APIOptions

    @Argument(help: "A rollout's name; or sources, workloads or rollouts, optionally followed by a name.")
    var words: [String]

    @Flag(help: "Follow the rollout until it succeeds or fails.")
    var watch = false

    @Option(help: "With --watch: seconds between two looks at the rollout when none of its events came.")
    var refresh: Double = 1

    @Option(help: "With --watch: follow the release of this revision (an id or its prefix), waiting for it to start.")
    var revision: String?

    @Option(help: "With --watch: follow the release of the revision this commit (an id or its prefix) made, waiting for it to start.")
    var commit: String?

    @OptionGroup var format: OutputOptions

    /// What the words ask for: a kind of resource, and a name or all of them.
    enum Target: Equatable {
        case sources(String?)
        case workloads(String?)
        case rollouts(String?)

        init(_ words: [String]) throws {
            guard let first = words.first, words.count <= 2 else {
                throw ValidationError("give a rollout's name, or sources, workloads or rollouts and at most one name")
            }
            let name = words.count == 2 ? words[1] : nil
            switch first {
            case "sources", "source": self = .sources(name)
            case "workloads", "workload": self = .workloads(name)
            case "rollouts", "rollout": self = .rollouts(name)
            default:
                guard words.count == 1 else { throw ValidationError("\"\(first)\" is not sources, workloads or rollouts") }
                self = .rollouts(first)
            }
        }
    }

    func validate() throws {
        let target = try Target(words)
        if watch {
            guard case .rollouts(let name?) = target else { throw ValidationError("--watch follows one rollout: serin get NAME --watch") }
            _ = name
            if format.output != .table { throw ValidationError("--watch draws the live view; -o \(format.output.rawValue) prints one document, without --watch") }
        } else if revision != nil || commit != nil {
            throw ValidationError("--revision and --commit choose which release --watch follows")
        }
        if revision != nil && commit != nil { throw ValidationError("give --revision or --commit, not both") }
        if let commit, commit.count < 4 || !commit.allSatisfy(\.isHexDigit) { throw ValidationError("--commit takes a commit id (4 to 40 hex digits)") }
        guard refresh >= 0.1 else { throw ValidationError("--refresh must be 0.1 seconds or more") }
    }

    func run() async throws {
        do {
            let client = try options.client()
            let now = Date().timeIntervalSince1970
            let name: String
            switch try Target(words) {
            case .sources(let source?):
                let path = "/api/v1/sources/\(pathSegment(source))"
                if try await format.printJSON(client, path) { return }
                print(ResourceViews.source(try await client.get(SourceStatusReport.self, path), now: now), terminator: "")
                return
            case .sources(nil):
                if try await format.printJSON(client, "/api/v1/sources") { return }
                print(ResourceViews.sources(try await client.get([SourceStatusReport].self, "/api/v1/sources"), now: now), terminator: "")
                return
            case .workloads(let workload?):
                let path = workloadPath(workload)
                if try await format.printJSON(client, path) { return }
                print(ResourceViews.workload(try await client.get(WorkloadStatusReport.self, path), now: now), terminator: "")
                return
            case .workloads(nil):
                if try await format.printJSON(client, "/api/v1/workloads") { return }
                print(ResourceViews.workloads(try await client.get([WorkloadStatusReport].self, "/api/v1/workloads")), terminator: "")
                return
            case .rollouts(nil):
                if try await format.printJSON(client, "/api/v1/rollouts") { return }
                print(StatusView.render(try await client.get([RolloutStatus].self, "/api/v1/rollouts")), terminator: "")
                return
            case .rollouts(let rollout?):
                name = rollout
            }
            let path = rolloutPath(name)
            guard watch else {
                if try await format.printJSON(client, path) { return }
                print(RolloutView.render(try await client.get(RolloutStatus.self, path)), terminator: "")
                return
            }
            let goal: ReleaseGoal = revision.map { .revision($0) } ?? commit.map { .commit($0.lowercased()) } ?? .latest(since: now)
            let end = isatty(STDOUT_FILENO) == 1 ? try await redraw(client, path, goal) : try await log(client, path, goal)
            if let note = end.note { print(note) }
            if !end.succeeded { throw ExitCode(1) }
        } catch let failure as APIClient.Failure {
            throw failed(failure, command: "get")
        }
    }

    /// A terminal: the whole view, redrawn in place.
    private func redraw(_ client: APIClient, _ path: String, _ goal: ReleaseGoal) async throws -> ReleaseEnd {
        try await follow(client, path, goal) { status in
            // Cursor home, clear the screen: one frame, no scrolling.
            print("\u{1B}[H\u{1B}[2J" + RolloutView.render(status), terminator: "")
        }
    }

    /// A pipe or a file: what changed, as lines.
    private func log(_ client: APIClient, _ path: String, _ goal: ReleaseGoal) async throws -> ReleaseEnd {
        var log = WatchLog()
        return try await follow(client, path, goal) { status in
            for line in log.lines(for: status) { print(line) }
        }
    }

    /// Shows the rollout, then again at each of its events (followed over
    /// `/api/v1/events`) and at least every `refresh` seconds (weights and metric
    /// values change between events), until it succeeds or fails. Without
    /// the event stream it still looks every `refresh` seconds.
    private func follow(_ client: APIClient, _ path: String, _ goal: ReleaseGoal, show: (RolloutStatus) -> Void) async throws -> ReleaseEnd {
        var status = try await client.get(RolloutStatus.self, path)
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let keys = [status.name, "\(status.namespace)/\(status.name)"]
        let after = status.events.last?.sequence ?? 0
        let events = Task {
            // Entries the server no longer had for this reader may have been the rollout's: look again.
            try? await client.followEvents(after: after, gap: { _ in wake.yield() }) { entry in
                if keys.contains(entry.rollout) { wake.yield() }
            }
        }
        let timer = Task {
            while (try? await Task.sleep(for: .seconds(refresh))) != nil { wake.yield() }
        }
        defer {
            events.cancel()
            timer.cancel()
        }
        var iterator = wakeups.makeAsyncIterator()
        var sawRelease = false
        var finalSince: ContinuousClock.Instant?
        while true {
            show(status)
            // A pipe is block-buffered: without a flush the reader sees nothing until the end.
            fflush(nil)
            if !status.phase.isIdle { sawRelease = true }
            if let end = try await goal.end(of: status, afterARelease: sawRelease, path: path, client: client) {
                // Ends once the decision is in the audit trail too (a moment
                // after the phase), so `serin history` right after shows it;
                // a few seconds at most.
                if !WatchLog.isFinal(status) || WatchLog.decisionLogged(status) { return end }
                let since = finalSince ?? .now
                finalSince = since
                if ContinuousClock.now - since > .seconds(5) { return end }
                // The entry comes within moments: look again soon, not at the next refresh.
                try? await Task.sleep(for: .milliseconds(250))
                status = try await client.get(RolloutStatus.self, path)
                continue
            }
            _ = await iterator.next()
            status = try await client.get(RolloutStatus.self, path)
        }
    }
}

/// How a watch ends: succeeded or not, and a line to say why when the
/// live view does not.
struct ReleaseEnd {
    var succeeded: Bool
    var note: String?
}

/// Which release `serin get NAME --watch` follows.
enum ReleaseGoal {
    /// The newest: a rollout already done is taken as the answer only once
    /// every source has synced after the watch started (a push just made
    /// may not have been seen yet).
    case latest(since: Double)
    /// The release of this revision id (or prefix).
    case revision(String)
    /// The release of the revision this commit made.
    case commit(String)

    /// After a source synced, how long the reconciler may take to start a release.
    static let startGrace = 2.0

    /// Nil while the followed release has not ended (or not started).
    /// `afterARelease`: the watch saw the rollout releasing.
    func end(of status: RolloutStatus, afterARelease: Bool, path: String, client: APIClient) async throws(APIClient.Failure) -> ReleaseEnd? {
        switch self {
        case .latest(let since):
            guard WatchLog.isFinal(status) else { return nil }
            if afterARelease { return ReleaseEnd(succeeded: status.phase == .succeeded) }
            let sources = try await client.get([SourceStatusReport].self, "/api/v1/sources")
            // A source that cannot sync will not bring anything newer: what is there is the answer.
            let waiting = sources.filter { $0.conditions.isReady && ($0.lastSyncTime ?? 0) < since }
            guard waiting.isEmpty || Date().timeIntervalSince1970 > since + 600 else { return nil }
            if !sources.isEmpty {
                // What the sync brought reaches the rollout a moment later.
                try? await Task.sleep(for: .seconds(Self.startGrace))
                let now = try await client.get(RolloutStatus.self, path)
                guard WatchLog.isFinal(now) else { return nil }
                return ReleaseEnd(succeeded: now.phase == .succeeded)
            }
            return ReleaseEnd(succeeded: status.phase == .succeeded)
        case .revision(let revision):
            let history = try await client.get([RevisionHistoryEntry].self, path + "/history")
            guard let attempt = history.last(where: { $0.revision.hasPrefix(revision) }) else { return nil }
            return Self.end(of: attempt)
        case .commit(let commit):
            let history = try await client.get([RevisionHistoryEntry].self, path + "/history")
            // History keeps 12 characters of a commit id; the one given may be longer or shorter.
            let same = { (known: String?) in known.map { $0.hasPrefix(commit) || commit.hasPrefix($0) } ?? false }
            if let attempt = history.last(where: { same($0.commit) }) { return Self.end(of: attempt) }
            // No release of it: refused, or in force without changing this workload.
            let sources = try await client.get([SourceStatusReport].self, "/api/v1/sources")
            if let refused = sources.first(where: { $0.lastAttemptedRevision?.contains("sha1:" + commit) ?? false }) {
                return ReleaseEnd(succeeded: false, note: "commit \(commit) was refused: \(refused.conditions["Ready"]?.message ?? "invalid")")
            }
            if let source = sources.first(where: { $0.commit?.id.hasPrefix(commit) ?? false }),
               let synced = source.lastSyncTime, Date().timeIntervalSince1970 > synced + Self.startGrace,
               history.allSatisfy({ $0.outcome != .inProgress }) {
                return ReleaseEnd(succeeded: true, note: "commit \(commit) is in force and does not change \(status.workload): nothing to release")
            }
            return nil
        }
    }

    static func end(of attempt: RevisionHistoryEntry) -> ReleaseEnd? {
        switch attempt.outcome {
        case .inProgress?, nil: return nil
        case .succeeded?: return ReleaseEnd(succeeded: true)
        case let outcome?: return ReleaseEnd(succeeded: false, note: "\(attempt.revision.prefix(12)): \(outcome.text)")
        }
    }
}
