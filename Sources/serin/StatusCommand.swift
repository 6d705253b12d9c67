import ArgumentParser
import SerinCLI
import SerinEngine

struct StatusCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List the rollouts: phase, revisions, weight, step and last check.")

    @OptionGroup var options: APIOptions

    func run() async throws {
        do {
            let rollouts = try await options.client().get([RolloutStatus].self, "/api/v1/rollouts")
            print(StatusView.render(rollouts), terminator: "")
        } catch {
            throw failed(error, command: "status")
        }
    }
}
