import ArgumentParser
import Foundation
import SerinAnalysis
import SerinEngine
import SerinEngineTesting
import SerinSpec
import SerinTesting

/// Many canaries analysed at once against a real Prometheus: each worker
/// ticks on its own schedule; the lag is how late a tick's checks finish
/// after the tick was due. The platform is the in-memory fake, so this
/// measures the engine and Prometheus, not process supervision.
struct EnginePrometheusBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine-prometheus",
                                                    abstract: "Tick lag of many canaries analysed at once with a real Prometheus.")

    @Option(help: "Canaries analysed at once.") var canaries = 200
    @Option(help: "Seconds to run.") var seconds = 20.0
    @Option(help: "Analysis interval in milliseconds.") var intervalMs = 1000

    struct Quiet: Notifier {
        func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {}
    }

    func run() async throws {
        let prometheus = try PrometheusServer()
        defer { prometheus.stop() }
        let state = try TemporaryDirectory(prefix: "serin-bench-engine")
        defer { state.remove() }
        let client = try PrometheusClient(address: URL(string: prometheus.address)!, timeout: .seconds(5))
        let evaluator = MetricEvaluator(templates: ["default/up": MetricTemplateSpec(provider: nil, query: #"sum(up{job="serin"})"#)],
                                        provider: { _ in client })
        let checks = AnalysisChecks(evaluator: evaluator, context: { MetricQueries.Context(name: $0.rollout.name, namespace: $0.rollout.namespace, target: $0.target.name) })
        // Built-in metrics (no router here: no data, which holds) and one metric with data.
        var draft = Plan(name: "bench", interval: .milliseconds(intervalMs), threshold: 3, progressDeadline: .seconds(3600),
                        steps: (1...50).flatMap { [PlanStep.setWeight($0 * 2), .analyze(ticks: 1)] } + [.promote(primaryWeights: [])])
        draft.metrics = [
            PlanMetric(name: "request-success-rate", source: .builtin, thresholdRange: ThresholdRange(min: 99), interval: "1m", onNoData: .pass),
            PlanMetric(name: "request-duration", source: .builtin, thresholdRange: ThresholdRange(max: 500), interval: "1m", onNoData: .pass),
            PlanMetric(name: "up", source: .template(namespace: "default", name: "up"), thresholdRange: ThresholdRange(min: 0), interval: "1m", onNoData: .pass),
        ]
        let plan = draft
        let parts = RolloutWorker<FakePlatform>.Parts(platform: FakePlatform(), checks: checks, hooks: WebhookHooks(),
                                        notifier: Quiet(), store: try StateStore(stateDirectory: state.path), log: try EventLog(stateDirectory: state.path))
        let start = ContinuousClock.now
        let interval = Duration.milliseconds(intervalMs)
        let end = start + .milliseconds(Int(seconds * 1000))
        let lags = try await withThrowingTaskGroup(of: [Double].self) { group in
            for index in 0..<canaries {
                group.addTask {
                    let workload = WorkloadID(namespace: "bench", name: "web-\(index)")
                    let worker = try RolloutWorker(id: RolloutID(namespace: "bench", name: "web-\(index)"), target: workload, plan: plan, parts: parts)
                    try await worker.release(FakeRevision("r1", workload: workload), at: 0)
                    try await worker.tick(at: 0)
                    try await worker.release(FakeRevision("r2", workload: workload), at: 0)
                    var lags: [Double] = []
                    // Spread the first ticks over one interval, as workers started at different times would be.
                    var due = start + interval * (Double(index) / Double(canaries))
                    while due < end {
                        try await Task.sleep(until: due, clock: .continuous)
                        let now = (ContinuousClock.now - start)
                        try await worker.tick(at: Double(now.components.seconds) + Double(now.components.attoseconds) / 1e18)
                        let lag = ContinuousClock.now - due
                        lags.append(Double(lag.components.seconds) * 1000 + Double(lag.components.attoseconds) / 1e15)
                        due += interval
                    }
                    return lags
                }
            }
            var all: [Double] = []
            for try await lags in group { all += lags }
            return all
        }
        let sorted = lags.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : (sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 10).rounded() / 10 }
        let data = try JSONSerialization.data(withJSONObject: [
            "benchmark": "engine-prometheus", "canaries": canaries, "interval_ms": intervalMs, "ticks": sorted.count,
            "queries_per_tick": plan.metrics.count, "lag_ms_p50": percentile(0.5), "lag_ms_p99": percentile(0.99), "lag_ms_max": percentile(1.0),
        ] as [String: Any], options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
