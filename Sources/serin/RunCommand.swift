import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SerinLocal
import SerinOperator
import SerinServer
import SerinSpec
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the operator: pull the Git sources of serin.yaml and release their workloads progressively.",
        discussion: "SIGTERM or SIGINT stop the operator; the router and the workload processes keep serving, and the next `serin run` adopts them. "
            + "One operator per state directory: a second `serin run` on it exits 2, naming the pid of the first."
    )

    @Option(help: "The operator's configuration file.")
    var config = "serin.yaml"

    @Option(help: "platform: kubernetes only: act in this namespace alone, with a namespaced Role (over kubernetes.watchNamespace).")
    var namespace: String?

    @Option(help: ArgumentHelp(
        "Seconds between two returns of code pages the operator has not used lately; 0 turns it off.",
        discussion: "The first is 15 seconds after start. Unmodified read-only file mappings (code, constants) leave the page tables; what is still used comes back from the page cache."))
    var trimInterval: Double = 60

    func run() async throws {
        let resolved: OperatorConfig.Resolved
        switch OperatorConfig.load(config, watchNamespace: namespace) {
        case .success(let value): resolved = value
        case .failure(let problems):
            FileHandle.standardError.write(Data((problems.description + "\n").utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        guard let listen = ListenAddress(resolved.apiListen) else {
            FileHandle.standardError.write(Data("\(config): api.listen: \"\(resolved.apiListen)\" is not host:port\n".utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        var token: String?
        if let file = resolved.tokenFile {
            token = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if token?.isEmpty != false {
                FileHandle.standardError.write(Data("\(config): api.tokenFile: \(file) is empty or unreadable\n".utf8))
                throw ExitCode(ExitStatus.invalid)
            }
        }
        // Before anything is started or written: a second operator on the
        // same state directory would adopt and drive the same processes.
        let lock: StateDirectoryLock
        do throws(StateDirectoryLock.Refusal) {
            lock = try StateDirectoryLock(stateDirectory: resolved.stateDirectory)
        } catch {
            let advice = error.holder == nil ? "" : "; stop it first, or give this one another stateDir"
            FileHandle.standardError.write(Data("serin run: \(error)\(advice)\n".utf8))
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        defer { lock.release() }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "serin")
        logger.logLevel = .info
        var prometheus: DetachedProcess?
        if resolved.managedPrometheus {
            prometheus = try ManagedPrometheus.start(config: resolved)
        }
        let serinOperator: Operator
        do {
            serinOperator = try Operator(config: resolved, options: Operator.Options(serinExecutable: Self.executablePath(), registry: registry))
        } catch {
            FileHandle.standardError.write(Data("serin run: \(error)\n".utf8))
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        let api = APIServer(control: serinOperator, configuration: .init(listen: listen, token: token, dashboardAuth: resolved.readsNeedToken ? .token : .none,
                                                                                      allowedHosts: resolved.apiAllowedHosts),
                               logger: logger)
        logger.info("serin run", metadata: [
            "stateDir": "\(resolved.stateDirectory)", "sources": "\(resolved.sources.count)", "api": "\(resolved.apiListen)",
            "prometheus": "\(prometheus?.logPath ?? resolved.prometheusAddress?.absoluteString ?? "")",
        ])
        // SIGTERM/SIGINT end both gracefully; the data plane keeps serving.
        var services: [any Service] = [OperatorService(serinOperator: serinOperator), api]
        if trimInterval > 0 {
            services.append(CodePageTrimService(first: .seconds(15), every: .seconds(trimInterval), logger: logger))
        }
        let group = ServiceGroup(services: services,
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let lost as LeadershipLost {
            // Every decision is saved; the pod restarts as a standby.
            logger.critical("\(lost); exiting")
            throw ExitCode(LeadershipLost.exitStatus)
        }
    }

    /// This binary, for starting the router as `serin router`.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The operator as a Service: it runs until a graceful shutdown cancels it.
struct OperatorService: Service {
    let serinOperator: Operator

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await serinOperator.run()
        }
    }
}

/// Gives back the code pages start-up used and idling does not, then does
/// so again now and then (a release touches code an idle operator does not).
struct CodePageTrimService: Service {
    let first: Duration
    let every: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var delay = first
            while true {
                try await Task.sleep(for: delay)
                let trimmed = CodePages.trim()
                logger.debug("code pages given back", metadata: ["mappings": "\(trimmed.mappings)", "bytes": "\(trimmed.bytes)"])
                delay = every
            }
        }
    }
}

struct DownCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the data plane a `serin run` left serving: workload processes, the router and a managed Prometheus.",
        discussion: "Refused (exit 2) while an operator runs on the state directory, unless --force stops it first. Prints what it stopped."
    )

    @Option(help: "The operator's configuration file.")
    var config = "serin.yaml"

    @Flag(help: "Stop a running operator first (SIGTERM, then SIGKILL after 30 seconds).")
    var force = false

    func run() async throws {
        guard case .success(let resolved) = OperatorConfig.load(config) else {
            FileHandle.standardError.write(Data("serin down: \(config) is not valid; run `serin run --config \(config)` to see why\n".utf8))
            throw ExitCode(ExitStatus.invalid)
        }
        var stopped: [String] = []
        let lock: StateDirectoryLock
        do throws(StateDirectoryLock.Refusal) {
            do throws(StateDirectoryLock.Refusal) {
                lock = try StateDirectoryLock(stateDirectory: resolved.stateDirectory)
            } catch {
                guard force, let pid = error.holder else { throw error }
                lock = try await stopOperator(pid, stateDirectory: resolved.stateDirectory)
                stopped.append("the operator (pid \(pid))")
            }
        } catch {
            let advice = error.holder == nil ? "" : "; stop it first, or run `serin down --force`"
            FileHandle.standardError.write(Data("serin down: \(error)\(advice)\n".utf8))
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        defer { lock.release() }
        var options = LocalPlatform.Options(routerCommand: [RunCommand.executablePath(), "router"])
        options.routerAdmin = resolved.routerAdmin
        options.supervisor.restartBackoff = .seconds(3600)
        let platform = try LocalPlatform(stateDirectory: resolved.stateDirectory, options: options)
        _ = await platform.supervisor.adopt()
        stopped += await platform.stopDataPlane()
        if let pid = await ManagedPrometheus.process(config: resolved).stop() {
            stopped.append("prometheus (pid \(pid))")
        }
        print(stopped.isEmpty ? "nothing was running in \(resolved.stateDirectory)" : stopped.map { "stopped \($0)" }.joined(separator: "\n"))
    }

    /// SIGTERM, and SIGKILL if it still holds the lock 30 seconds later;
    /// returns the lock once the operator let go of it.
    private func stopOperator(_ pid: Int32, stateDirectory: String) async throws(StateDirectoryLock.Refusal) -> StateDirectoryLock {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do throws(StateDirectoryLock.Refusal) {
                return try StateDirectoryLock(stateDirectory: stateDirectory)
            } catch where error.holder == pid {
                if ContinuousClock.now > deadline { kill(pid, SIGKILL) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
