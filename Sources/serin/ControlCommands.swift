import ArgumentParser
import Foundation
import SerinCLI
import SerinEngine

/// The commands that act on a rollout through the API; each is one `RolloutCommand`.
protocol ControlCommand: AsyncParsableCommand, AsyncRunnable {
    static var command: RolloutCommand { get }
    var options: APIOptions { get }
    var name: String { get }
}

extension ControlCommand {
    /// Who asks, for the audit trail (`serin history` shows who aborted a
    /// release): the login name, when the environment has one.
    static var caller: String? {
        ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func run() async throws {
        let verb = Self.command.rawValue
        do {
            let answer = try await options.client(needsToken: true).post(rolloutPath(name) + "/\(verb)", by: Self.caller)
            print(answer)
        } catch {
            throw failed(error, command: verb)
        }
    }
}

struct PromoteCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Skip the remaining steps and promote the canary; at a manual gate, open it. Given a source, open its paused next wave.",
        discussion: "serin promote SOURCE lets a source's revision on to its next wave of clusters (a source with pause: true waits for it); "
            + "any other name is a rollout's."
    )
    static let command = RolloutCommand.promote
    @OptionGroup var options: APIOptions
    @Argument(help: "The rollout (its Canary's name, namespace/name, or cluster/namespace/name), or a source's name.") var name: String

    func run() async throws {
        do {
            let client = try options.client(needsToken: true)
            // A bare name that is a source's opens its wave; a rollout's otherwise.
            if !name.contains("/"), (try? await client.get(SourceStatusReport.self, "/api/v1/sources/\(pathSegment(name))")) != nil {
                print(try await client.post("/api/v1/sources/\(pathSegment(name))/promote", by: Self.caller))
                return
            }
            print(try await client.post(rolloutPath(name) + "/promote", by: Self.caller))
        } catch {
            throw failed(error, command: "promote")
        }
    }
}

struct AbortCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "abort", abstract: "Roll the canary back now.")
    static let command = RolloutCommand.abort
    @OptionGroup var options: APIOptions
    @Argument(help: "The rollout (its Canary's name).") var name: String
}

struct PauseCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Hold the rollout where it stands.")
    static let command = RolloutCommand.pause
    @OptionGroup var options: APIOptions
    @Argument(help: "The rollout (its Canary's name).") var name: String
}

struct ResumeCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Continue a paused rollout where it stood, or a suspended Git source.",
        discussion: "NAME is a rollout or a source; where both have the name, say rollout/NAME or source/NAME.")
    static let command = RolloutCommand.resume
    @OptionGroup var options: APIOptions
    @Argument(help: "The rollout (its Canary's name) or the source.") var name: String

    func run() async throws {
        do throws(APIClient.Failure) {
            let client = try options.client(needsToken: true)
            var target = name
            var isSource = false
            if name.hasPrefix("source/") {
                target = String(name.dropFirst("source/".count))
                isSource = true
            } else if name.hasPrefix("rollout/") {
                target = String(name.dropFirst("rollout/".count))
            } else {
                let sources = try await client.get([SourceStatusReport].self, "/api/v1/sources")
                if sources.contains(where: { $0.name == name }) {
                    let rollouts = try await client.get([RolloutStatus].self, "/api/v1/rollouts")
                    if rollouts.contains(where: { $0.name == name || "\($0.namespace)/\($0.name)" == name }) {
                        throw APIClient.Failure(description: "both a source and a rollout are named \(name): say source/\(name) or rollout/\(name)",
                                                exitStatus: 2)
                    }
                    isSource = true
                }
            }
            let path = isSource ? sourcePath(target) + "/resume" : rolloutPath(target) + "/resume"
            print(try await client.post(path, by: Self.caller))
        } catch {
            throw failed(error, command: "resume")
        }
    }
}

struct RetryCommand: ControlCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Release the failed revision again.")
    static let command = RolloutCommand.retry
    @OptionGroup var options: APIOptions
    @Argument(help: "The rollout (its Canary's name).") var name: String
}
