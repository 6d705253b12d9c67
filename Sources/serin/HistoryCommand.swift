import ArgumentParser
import SerinCLI
import SerinEngine

struct HistoryCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List a rollout's release attempts, or (history source NAME) the revisions a Git source applied, oldest first.",
        discussion: """
        For a rollout: revision, commit, author, result, start and duration; the result is succeeded, failed: <reason>, aborted by \
        <who> (`serin abort` sends $USER), superseded by <revision>, or in progress. A retry is a row of its own. For a source: \
        revision, commit, author, when its targets answered, what triggered it (git, reconcile by <who>, rollback by <who>) and \
        the result (applied, ApplyFailed: …, HealthCheckFailed: …); `serin rollback SOURCE REVISION` takes one of these revisions.
        """
    )

    @OptionGroup var options: APIOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The rollout (its Canary's name), or source and the source's name.")
    var words: [String]

    func validate() throws {
        guard words.count == 1 || (words.count == 2 && ["source", "sources"].contains(words[0])) else {
            throw ValidationError("give a rollout's name, or source and a source's name")
        }
    }

    func run() async throws {
        do {
            let client = try options.client()
            if words.count == 2 {
                let path = sourcePath(words[1]) + "/history"
                if try await format.printJSON(client, path) { return }
                print(SourceViews.history(try await client.get([SourceHistoryEntry].self, path)), terminator: "")
                return
            }
            let path = rolloutPath(words[0]) + "/history"
            if try await format.printJSON(client, path) { return }
            let entries = try await client.get([RevisionHistoryEntry].self, path)
            print(HistoryView.render(entries), terminator: "")
        } catch {
            throw failed(error, command: "history")
        }
    }
}
