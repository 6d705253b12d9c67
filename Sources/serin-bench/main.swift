import ArgumentParser

struct SerinBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin-bench",
        abstract: "Serin's benchmarks. Each subcommand prints one JSON object.",
        subcommands: [ValidateBenchmark.self]
    )
}

SerinBench.main()
