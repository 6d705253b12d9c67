import ArgumentParser
import SerinCLI
import SerinEngine

struct HistoryCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List the revisions a rollout released, with commit, author, result and duration.")

    @OptionGroup var options: APIOptions

    @Argument(help: "The rollout (its Canary's name).")
    var name: String

    func run() async throws {
        do {
            let entries = try await options.client().get([RevisionHistoryEntry].self, "/api/v1/rollouts/\(pathSegment(name))/history")
            print(HistoryView.render(entries), terminator: "")
        } catch {
            throw failed(error, command: "history")
        }
    }
}
