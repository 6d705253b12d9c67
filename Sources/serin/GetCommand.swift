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
        }
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
            let final = isatty(STDOUT_FILENO) == 1 ? try await redraw(client, path) : try await log(client, path)
            if final.phase == .failed { throw ExitCode(1) }
        } catch let failure as APIClient.Failure {
            throw failed(failure, command: "get")
        }
    }

    /// A terminal: the whole view, redrawn in place.
    private func redraw(_ client: APIClient, _ path: String) async throws -> RolloutStatus {
        try await follow(client, path) { status in
            // Cursor home, clear the screen: one frame, no scrolling.
            print("\u{1B}[H\u{1B}[2J" + RolloutView.render(status), terminator: "")
        }
    }

    /// A pipe or a file: what changed, as lines.
    private func log(_ client: APIClient, _ path: String) async throws -> RolloutStatus {
        var log = WatchLog()
        return try await follow(client, path) { status in
            for line in log.lines(for: status) { print(line) }
        }
    }

    /// Shows the rollout, then again at each of its events (followed over
    /// `/api/v1/events`) and at least every `refresh` seconds (weights and metric
    /// values change between events), until it succeeds or fails. Without
    /// the event stream it still looks every `refresh` seconds.
    private func follow(_ client: APIClient, _ path: String, show: (RolloutStatus) -> Void) async throws -> RolloutStatus {
        var status = try await client.get(RolloutStatus.self, path)
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let keys = [status.name, "\(status.namespace)/\(status.name)"]
        let after = status.events.last?.sequence ?? 0
        let events = Task {
            try? await client.followEvents(after: after) { entry in
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
        while true {
            show(status)
            // A pipe is block-buffered: without a flush the reader sees nothing until the end.
            fflush(nil)
            if WatchLog.isFinal(status) { return status }
            _ = await iterator.next()
            status = try await client.get(RolloutStatus.self, path)
        }
    }
}
