import ArgumentParser

@main
struct SerinBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin-bench",
        abstract: "Serin's benchmarks. Each subcommand prints one JSON object.",
        subcommands: [
            EngineBenchmark.self, EnginePrometheusBenchmark.self, ValidateBenchmark.self, GitWebhookBenchmark.self,
            GitPollBenchmark.self, GitLargeBenchmark.self, RollbackBenchmark.self, OperatorBenchmark.self,
            SafetyBenchmark.self, KubeBenchmark.self, ClustersBenchmark.self, BuildBenchmark.self, HelmBenchmark.self,
        ]
    )
}

