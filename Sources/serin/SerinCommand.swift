import ArgumentParser

struct SerinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin",
        abstract: "GitOps progressive delivery: canary releases from Git, analysed with Prometheus.",
        version: SerinVersion.current,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, BuildCommand.self, SourceCommand.self, RunCommand.self, StatusCommand.self, GetCommand.self,
            PromoteCommand.self, AbortCommand.self, PauseCommand.self, ResumeCommand.self, RetryCommand.self, HistoryCommand.self,
            SuspendCommand.self, ReconcileCommand.self, DiffCommand.self, RollbackCommand.self,
            DemoCommand.self, LoadCommand.self, LogsCommand.self, DownCommand.self, RouterCommand.self, VersionCommand.self,
        ]
    )
}

enum SerinVersion {
    static let current = "0.1.0-dev"
}

/// Exit codes shared by the commands that read manifests.
enum ExitStatus {
    static let invalid: Int32 = 1
    static let ioOrUsage: Int32 = 2
}
