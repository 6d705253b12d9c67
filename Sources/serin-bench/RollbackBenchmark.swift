import ArgumentParser
import Foundation
import SerinEngine
import SerinLocal
import SerinSpec
import SerinTesting

/// From the check that crosses the threshold to 0% canary weight in force at
/// the router: the machine's decision, then the table push through the
/// local platform to a real `serin router` process, as the operator does it.
struct RollbackBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback",
                                                    abstract: "Time from a failing check to 0% canary weight at the router.")

    @Option(help: "Rollbacks to time.") var rounds = 200
    @Option(help: "The serin executable (default: beside this one).") var serin: String?

    func run() async throws {
        let directory = try TemporaryDirectory(prefix: "serin-bench-rollback")
        defer { directory.remove() }
        let executable = serin ?? Products.executable("serin")
        var options = LocalPlatform.Options(routerCommand: [executable, "router"])
        options.routerAdmin = "127.0.0.1:\(try Loopback.freePort())"
        options.supervisor.drainDelay = .milliseconds(10)
        let platform = try LocalPlatform(stateDirectory: directory.path, options: options)
        _ = try await platform.start()
        let monitor = Task { await platform.run() }
        defer { monitor.cancel() }
        let app = try directory.write("app/serve.sh", "exec python3 -m http.server \"$PORT\" --bind 127.0.0.1\n")
        let template = ProcessTemplate(command: ["sh", app], args: nil, workingDir: nil, env: nil,
                                       readinessProbe: nil, livenessProbe: nil, terminationGracePeriodSeconds: 1)
        let port = try Loopback.freePort()
        for role in [Role.primary, .canary] {
            try await platform.deploy(workload: "web", role: role, revision: role.rawValue, template: template, replicas: 1,
                                      snapshot: URL(fileURLWithPath: directory.path), port: port)
        }
        // A machine at the last allowed failure: the next failed check rolls back.
        let plan = Plan(name: "web", interval: .seconds(10), threshold: 1, skipAnalysis: false, progressDeadline: .seconds(600),
                        steps: [.setWeight(60), .analyze(ticks: 1), .promote(primaryWeights: [])])
        var samples: [Double] = []
        for _ in 0..<rounds {
            var machine = RolloutMachine(plan: plan)
            _ = machine.handle(.newRevision("primary", at: 0))
            _ = machine.handle(.primaryReady(at: 0))
            _ = machine.handle(.newRevision("canary", at: 1))
            _ = machine.handle(.canaryReady(at: 1))
            try await platform.setTraffic(.init(canaryWeight: 60), workload: "web")
            _ = machine.handle(.tick(at: 11))
            let started = ContinuousClock.now
            for action in machine.handle(.checks(.failed(reason: "request-success-rate 80 < 99"), at: 11)) {
                if case .setRoutes(let routes) = action {
                    try await platform.setTraffic(.init(canaryWeight: routes.canaryWeight), workload: "web")
                    break
                }
            }
            let elapsed = ContinuousClock.now - started
            guard machine.state.phase == .failed, await platform.currentTraffic(workload: "web")?.canaryWeight == 0 else {
                throw ValidationError("the rollback did not reach the router")
            }
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        let table = try await platform.control.table()
        guard table.routes.first?.canaryWeight == 0 else { throw ValidationError("the router's table still has canary weight") }
        await platform.stopDataPlane()
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        let result: [String: Double] = ["rounds": Double(rounds), "p50_ms": percentile(0.5), "p99_ms": percentile(0.99),
                                        "max_ms": samples.last ?? 0]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
