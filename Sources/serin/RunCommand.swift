import ArgumentParser
import Foundation
import Metrics
import Prometheus
import SerinLocal
import SerinOperator
import SerinSpec

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the operator: pull the Git sources of serin.yaml and release their workloads progressively.",
        discussion: "SIGTERM or SIGINT stop the operator; the router and the workload processes keep serving, and the next `serin run` adopts them."
    )

    @Option(help: "The operator's configuration file.")
    var config = "serin.yaml"

    func run() async throws {
        let resolved: OperatorConfig.Resolved
        switch OperatorConfig.load(config) {
        case .success(let value): resolved = value
        case .failure(let problems):
            FileHandle.standardError.write(Data((problems.description + "\n").utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let executable = Self.executablePath()
        var prometheus: DetachedProcess?
        if resolved.managedPrometheus {
            prometheus = try ManagedPrometheus.start(config: resolved)
        }
        let serinOperator: Operator
        do {
            serinOperator = try Operator(config: resolved, options: Operator.Options(serinExecutable: executable, registry: registry))
        } catch {
            FileHandle.standardError.write(Data("serin run: \(error)\n".utf8))
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        let task = Task { try await serinOperator.run() }
        FileHandle.standardError.write(Data("serin run: state in \(resolved.stateDirectory); \(resolved.sources.count) source(s)\(prometheus.map { "; prometheus log \($0.logPath)" } ?? "")\n".utf8))
        await RouterCommand.waitForTermination()
        task.cancel()
        _ = try? await task.value
    }

    /// This binary, for starting the router as `serin router`.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the data plane a `serin run` left serving: workload processes, the router and a managed Prometheus."
    )

    @Option(help: "The operator's configuration file.")
    var config = "serin.yaml"

    func run() async throws {
        guard case .success(let resolved) = OperatorConfig.load(config) else {
            FileHandle.standardError.write(Data("serin down: \(config) is not valid; run `serin run --config \(config)` to see why\n".utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        var options = LocalPlatform.Options(routerCommand: [RunCommand.executablePath(), "router"])
        options.routerAdmin = resolved.routerAdmin
        options.supervisor.restartBackoff = .seconds(3600)
        let platform = try LocalPlatform(stateDirectory: resolved.stateDirectory, options: options)
        _ = await platform.supervisor.adopt()
        await platform.stopDataPlane()
        await ManagedPrometheus.process(config: resolved).stop()
    }
}
