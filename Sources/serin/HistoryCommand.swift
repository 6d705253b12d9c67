import ArgumentParser
import SerinCLI
import SerinEngine

struct HistoryCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List the revisions a rollout released, with commit, author, result and duration.")

    @OptionGroup var options: APIOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The rollout (its Canary's name).")
    var name: String

    func run() async throws {
        do {
            let client = try options.client()
            let path = rolloutPath(name) + "/history"
            if try await format.printJSON(client, path) { return }
            let entries = try await client.get([RevisionHistoryEntry].self, path)
            print(HistoryView.render(entries), terminator: "")
        } catch {
            throw failed(error, command: "history")
        }
    }
}
