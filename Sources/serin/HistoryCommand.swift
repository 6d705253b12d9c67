import ArgumentParser
import SerinCLI
import SerinEngine

struct HistoryCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a rollout's release attempts, oldest first: revision, commit, author, result, start and duration.",
        discussion: "The result is succeeded, failed: <reason>, aborted by <who> (`serin abort` sends $USER), superseded by <revision>, or in progress. A retry is a row of its own."
    )

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
