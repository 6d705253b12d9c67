import ArgumentParser
import Foundation
import SerinCLI
import SerinEngine

struct GetCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show one rollout: phase, plan and current step, traffic, metrics and recent events.",
        discussion: """
        With --watch the view is redrawn at each of the rollout's events and every second on a terminal; into a pipe, a line is printed for each change. \
        Watching ends when the release does: exit 0 when it succeeded, 1 when it failed.
        """
    )

    @OptionGroup var options: APIOptions

    @Argument(help: "The rollout (its Canary's name).")
    var name: String

    @Flag(help: "Follow the rollout until it succeeds or fails.")
    var watch = false

    @Option(help: "With --watch: seconds between two looks at the rollout when none of its events came.")
    var refresh: Double = 1

    @OptionGroup var format: OutputOptions

    func validate() throws {
        if watch && format.output == .json { throw ValidationError("--watch draws the live view; -o json prints one document, without --watch") }
        guard refresh >= 0.1 else { throw ValidationError("--refresh must be 0.1 seconds or more") }
    }

    func run() async throws {
        do {
            let client = try options.client()
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
        var finalSince: ContinuousClock.Instant?
        while true {
            show(status)
            // A pipe is block-buffered: without a flush the reader sees nothing until the end.
            fflush(nil)
            if WatchLog.isFinal(status) {
                // Ends once the decision is in the audit trail too (a moment
                // after the phase), so `serin history` right after shows it;
                // a few seconds at most.
                let since = finalSince ?? .now
                finalSince = since
                if WatchLog.decisionLogged(status) || ContinuousClock.now - since > .seconds(5) { return status }
            }
            _ = await iterator.next()
            status = try await client.get(RolloutStatus.self, path)
        }
    }
}
