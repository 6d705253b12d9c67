import ArgumentParser
import Foundation
import SerinCLI
import SerinEngine

struct GetCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show one rollout: phase, plan and current step, traffic, metrics and recent events.",
        discussion: """
        With --watch the view is redrawn every second on a terminal; into a pipe, a line is printed for each change. \
        Watching ends when the release does: exit 0 when it succeeded, 1 when it failed.
        """
    )

    @OptionGroup var options: APIOptions

    @Argument(help: "The rollout (its Canary's name).")
    var name: String

    @Flag(help: "Follow the rollout until it succeeds or fails.")
    var watch = false

    @OptionGroup var format: OutputOptions

    func validate() throws {
        if watch && format.output == .json { throw ValidationError("--watch draws the live view; -o json prints one document, without --watch") }
    }

    func run() async throws {
        do {
            let client = try options.client()
            let path = "/api/v1/rollouts/\(pathSegment(name))"
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
        while true {
            let status = try await client.get(RolloutStatus.self, path)
            // Cursor home, clear the screen: one frame, no scrolling.
            print("\u{1B}[H\u{1B}[2J" + RolloutView.render(status), terminator: "")
            fflush(nil)
            if WatchLog.isFinal(status) { return status }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// A pipe or a file: what changed, as lines.
    private func log(_ client: APIClient, _ path: String) async throws -> RolloutStatus {
        var log = WatchLog()
        while true {
            let status = try await client.get(RolloutStatus.self, path)
            for line in log.lines(for: status) { print(line) }
            // A pipe is block-buffered: without a flush the reader sees nothing until the end.
            fflush(nil)
            if WatchLog.isFinal(status) { return status }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
