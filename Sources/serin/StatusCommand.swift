import ArgumentParser
import SerinCLI
import SerinEngine

struct StatusCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List the rollouts: phase, revisions, weight, step and last check.")

    @OptionGroup var options: APIOptions
    @OptionGroup var format: OutputOptions

    func run() async throws {
        do {
            let client = try options.client()
            if try await format.printJSON(client, "/api/v1/rollouts") { return }
            let rollouts = try await client.get([RolloutStatus].self, "/api/v1/rollouts")
            print(StatusView.render(rollouts), terminator: "")
        } catch {
            throw failed(error, command: "status")
        }
    }
}
