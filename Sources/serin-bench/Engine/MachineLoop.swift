import ArgumentParser
import Foundation
import SerinAnalysis
import SerinEngine
import SerinSpec

/// The engine benchmark before issue 28: many rollouts ticking at once in
/// one loop against an in-process metric source, without runners, workers
/// or saved state: the machine, query rendering, verdicts, the analysis
/// round and a history of 30 evaluations. Rollouts that finish start again
/// with a new revision, so every tick does work.
struct MachineLoop {
    var rollouts: Int
    var seconds: Double
    /// Keep the history as a list of whole evaluations, as before issue 28,
    /// instead of `EvaluationHistory`: both figures from one binary.
    var wholeHistory = false

    /// Answers every query at once, in the range the quickstart's metrics accept.
    struct InProcessMetrics: MetricProvider {
        func query(_ query: String) async throws -> MetricSample { .value(99.5) }
    }

    struct Rollout {
        var machine: RolloutMachine
        var round: AnalysisRound
        var history: EvaluationHistory
        var whole: [MetricEvaluation] = []
        var revision: Int
    }

    func run() async throws {
        let yaml = try String(contentsOfFile: "examples/quickstart/deploy/canary.yaml", encoding: .utf8)
        let workload = try String(contentsOfFile: "examples/quickstart/deploy/workload.yaml", encoding: .utf8)
        let template = try String(contentsOfFile: "examples/quickstart/deploy/metric-template.yaml", encoding: .utf8)
        let manifests = ManifestLoader().load(text: workload + "\n---\n" + yaml + "\n---\n" + template, file: "quickstart.yaml")
        guard let canary = manifests.canaries.first, let plan = PlanCompiler(manifests: manifests).compile(canary).plan else {
            throw ValidationError("the quickstart does not compile")
        }
        let templates = Dictionary(uniqueKeysWithValues: manifests.metricTemplates.map { ("\($0.namespace)/\($0.name)", $0.spec) })
        let provider = InProcessMetrics()
        let evaluator = MetricEvaluator(templates: templates, provider: { _ in provider })
        let policies = Dictionary(uniqueKeysWithValues: plan.metrics.map { ($0.name, $0.onNoData) })

        let rssBefore = Usage.rssBytes()
        var all: [Rollout] = []
        all.reserveCapacity(rollouts)
        for _ in 0..<rollouts {
            var machine = RolloutMachine(plan: plan)
            _ = machine.handle(.newRevision("r0", at: 0))
            _ = machine.handle(.primaryReady(at: 0))
            all.append(Rollout(machine: machine, round: AnalysisRound(), history: EvaluationHistory(capacity: 30), revision: 0))
        }
        for index in all.indices { start(&all[index], at: 0) }
        let rssAfter = Usage.rssBytes()

        var ticks = 0
        var now = 1.0
        let cpuStart = Usage.cpuMicroseconds()
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let context = MetricQueries.Context(name: "web", namespace: "default", target: "web")
        while clock.now < deadline {
            for index in all.indices {
                let actions = all[index].machine.handle(.tick(at: now))
                ticks += 1
                if actions.contains(.runChecks) {
                    let evaluations = await evaluator.evaluate(plan.metrics, context: context, at: now)
                    if wholeHistory {
                        all[index].whole.append(contentsOf: evaluations)
                        if all[index].whole.count > 30 { all[index].whole.removeFirst(all[index].whole.count - 30) }
                    } else {
                        all[index].history.append(evaluations)
                    }
                    let outcome = all[index].round.outcome(of: evaluations, policies: policies)
                    _ = all[index].machine.handle(.checks(outcome, at: now))
                }
                switch all[index].machine.state.phase {
                case .promoting: _ = all[index].machine.handle(.primaryReady(at: now))
                case .succeeded, .failed: start(&all[index], at: now)
                default: break
                }
            }
            now += 10
        }
        let cpuUsed = Usage.cpuMicroseconds() - cpuStart
        let rssAfterRun = Usage.rssBytes()
        try Usage.printJSON([
            "benchmark": "engine-machine-only", "history": wholeHistory ? "whole evaluations" : "EvaluationHistory", "rollouts": rollouts, "ticks": ticks, "seconds": seconds,
            "cpu_us_per_tick": (cpuUsed / Double(max(ticks, 1)) * 100).rounded() / 100,
            "rss_bytes_per_rollout_at_start": (rssAfter - rssBefore) / rollouts,
            "rss_bytes_per_rollout": (rssAfterRun - rssBefore) / rollouts,
            "metrics_per_check": plan.metrics.count,
            "load_average": EngineBenchmark.loadAverage(),
        ])
    }

    private func start(_ rollout: inout Rollout, at now: Double) {
        rollout.revision += 1
        _ = rollout.machine.handle(.newRevision("r\(rollout.revision)", at: now))
        _ = rollout.machine.handle(.canaryReady(at: now))
    }
}
