/// A command whose work is async. The root command is synchronous, so
/// `parseAsRoot` hands the chosen subcommand back as a `ParsableCommand`;
/// through `any AsyncParsableCommand` a call to `run()` would still pick the
/// synchronous requirement, which only prints usage. This protocol has the
/// async `run()` alone, so main can await it without naming each command.
protocol AsyncRunnable {
    func run() async throws
}
