import ArgumentParser
import Foundation
import SerinCLI
import SerinLocal
import SerinOperator

/// `serin logs WORKLOAD`: what a workload's processes printed, from the
/// state directory `serin run` writes them to.
struct LogsCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the output of a workload's processes (local platform), each line after the name of the process that wrote it.",
        discussion: """
        Reads <stateDir>/local/logs/<workload>-<role>-<replica>.log (and its rotated copies), the state directory named by \
        serin.yaml. With -f, goes on printing what the processes write, including processes started later (a canary, a \
        restarted replica), until interrupted. Exit status 1 when the workload has no logs (without -f).
        """
    )

    @Option(help: "The operator's configuration file.")
    var config = "serin.yaml"

    @Argument(help: "The Workload's name.")
    var workload: String

    @Option(help: "Only the primary's or only the canary's processes.")
    var role: RoleOption?

    enum RoleOption: String, ExpressibleByArgument, CaseIterable {
        case primary, canary
    }

    @Flag(name: [.short, .customLong("follow")], help: "Keep printing new output until interrupted.")
    var follow = false

    func run() async throws {
        guard case .success(let resolved) = OperatorConfig.load(config) else {
            FileHandle.standardError.write(Data("serin logs: \(config) is not valid; run `serin run --config \(config)` to see why\n".utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        var logs = ProcessLogs(stateDirectory: resolved.stateDirectory, workload: workload, role: role.flatMap { Role(rawValue: $0.rawValue) })
        if !follow && logs.files().isEmpty {
            let which = role.map { "\($0.rawValue) " } ?? ""
            FileHandle.standardError.write(Data("serin logs: no \(which)logs of workload \(workload) in \(logs.directory)\n".utf8))
            throw ExitCode(1)
        }
        show(logs.rotatedLines())
        show(logs.newLines())
        guard follow else { return }
        while true {
            try await Task.sleep(for: .milliseconds(250))
            show(logs.newLines())
        }
    }

    private func show(_ lines: [ProcessLogs.Line]) {
        guard !lines.isEmpty else { return }
        print(lines.map { LogView.line(file: $0.file, text: $0.text) }.joined(separator: "\n"))
        fflush(nil)
    }
}
