import ArgumentParser
import Foundation
import SerinGit
import SerinSpec

struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Work with Git sources.",
        subcommands: [SourceCheckCommand.self]
    )
}

struct SourceCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Sync a Git source once into a temporary directory and report what it holds.",
        discussion: "Exit status: 0 the revision was read and its manifests are valid, 1 the manifests are invalid, 2 the repository could not be read."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "https://, http://, ssh://, git://, file://, user@host:path, or a local path.")
    var url: String

    @Option(help: "branch:NAME, tag:NAME, semver:RANGE or commit:SHA (default: the remote's HEAD branch).")
    var ref: String?

    @Option(help: "The folder inside the repository that holds the manifests.")
    var path = ""

    @Option(help: "A YAML file with username, password, bearerToken, identityFile, passphrase, caFile.")
    var credentials: String?

    @Option(name: .customLong("known-hosts"), help: "The known_hosts file SSH host keys are checked against.")
    var knownHosts: String?

    @Option(help: "Give up after this many seconds.")
    var timeout = 60

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: Format = .text

    func run() throws {
        let result: SyncResult
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("serin-source-check-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        do {
            let spec = GitSourceSpec(
                name: "check", url: try GitURL(url), reference: try ref.map(GitReference.init(parsing:)) ?? .defaultBranch,
                path: path, timeout: .seconds(timeout), credentialsFile: credentials, knownHostsFile: knownHosts)
            let mirror = try SourceMirror(spec: spec, directory: temporary)
            switch try mirror.poll() {
            case .updated(let read), .invalid(let read): result = read
            case .unchanged: throw ExitCode(ExitStatus.ioOrUsage) // a new mirror has nothing to compare with
            }
        } catch let error as GitError {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        switch output {
        case .json: try printJSON(result)
        case .text: printText(result)
        }
        if !result.isValid { throw ExitCode(ExitStatus.invalid) }
    }

    private func printText(_ result: SyncResult) {
        let date = Date(timeIntervalSince1970: TimeInterval(result.commit.author.time))
        let kinds = result.manifests.countsByKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("revision:  \(result.revision)")
        print("author:    \(result.commit.author.name) <\(result.commit.author.email)> \(ISO8601DateFormatter().string(from: date))")
        print("message:   \(result.commit.message.split(separator: "\n").first ?? "")")
        print("resources: \(result.manifests.resourceCount)\(kinds.isEmpty ? "" : " (\(kinds))")")
        Output.report(result.diagnostics)
        if !result.isValid { Output.error("invalid: \(result.diagnostics.errors.count) error(s)") }
    }

    private func printJSON(_ result: SyncResult) throws {
        struct Person: Encodable { var name: String; var email: String; var time: String }
        struct Document: Encodable {
            var revision: String
            var commit: String
            var author: Person
            var committer: Person
            var message: String
            var resources: [String: Int]
            var valid: Bool
            var errors: [String]
            var warnings: [String]
        }
        func person(_ signature: Signature) -> Person {
            Person(name: signature.name, email: signature.email,
                   time: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(signature.time))))
        }
        let document = Document(
            revision: result.revision, commit: result.commit.id.hex, author: person(result.commit.author),
            committer: person(result.commit.committer), message: result.commit.message,
            resources: result.manifests.countsByKind, valid: result.isValid,
            errors: result.diagnostics.errors.map(\.description), warnings: result.diagnostics.warnings.map(\.description))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(document), as: UTF8.self))
    }
}
