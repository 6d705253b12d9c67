import ArgumentParser
import Foundation
import SerinSpec
import SerinTesting

/// `serin-bench safety`: the release-safety matrix. Seeded releases, good
/// and bad, through the real stack (`serin run`, its router, Debian's
/// Prometheus, the quickstart app, steady traffic from a separate process),
/// each judged against the verdict a safe operator reaches.
struct SafetyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safety",
        abstract: "The release-safety matrix: expected against actual verdicts, time to decision and blast radius.",
        discussion: "Prints one JSON line per run, then a markdown table and \"N runs, W wrong verdicts\"; exits 1 when a verdict is wrong."
    )

    @Option(help: "Seeds per scenario (1...N): the app's error injection and the timing offsets.") var seeds = 3
    @Option(help: "Scenarios, comma-separated: numbers (10 is both of its rows) or ids (10-good, 10-bad). Default: all.")
    var scenarios: String?
    @Option(help: "The Canary's analysis interval (the quickstart's is 10s).") var interval = "2s"
    @Option(help: "Requests per second of the steady traffic.") var rps = 50.0
    @Option(help: "The serin executable (default: the one beside serin-bench).") var serin: String?
    @Option(help: "The quickstart folder (default: examples/quickstart here or in the repository).") var example: String?
    @Option(name: .customLong("request-duration-max"), help: "The request-duration check's bound in ms (default: the quickstart's 250).")
    var requestDurationMax: Int?
    @Option(help: "Seconds from a release's commit to giving up on its verdict.") var decisionTimeout = 180.0
    @Flag(help: "Keep every run's folder (runs with a wrong verdict are always kept).") var keep = false

    func run() async throws {
        let began = ContinuousClock.now
        let serin = self.serin ?? OperatorBenchmark.siblingSerin()
        guard FileManager.default.isExecutableFile(atPath: serin) else {
            throw ValidationError("no serin executable at \(serin); build it or pass --serin PATH")
        }
        let example = self.example ?? ["examples/quickstart", Products.repositoryRoot + "/examples/quickstart"]
            .first { FileManager.default.fileExists(atPath: $0 + "/deploy/workload.yaml") } ?? "examples/quickstart"
        guard let intervalDuration = GoDuration.parse(interval), intervalDuration >= .seconds(1) else {
            throw ValidationError("--interval \(interval) is not a duration of at least 1s (say 2s)")
        }
        guard seeds >= 1, rps > 0 else { throw ValidationError("--seeds and --rps must be positive") }
        let plan = try PlanFigures.read(serin: serin, example: example, interval: interval)
        let folder = FileManager.default.temporaryDirectory.path + "/serin-bench-safety-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var settings = SafetyRun.Settings(serin: serin, example: URL(fileURLWithPath: example).standardizedFileURL.path,
                                          interval: interval, intervalSeconds: SafetyRun.seconds(intervalDuration), rps: rps,
                                          requestDurationMax: requestDurationMax, decisionTimeout: decisionTimeout,
                                          folder: folder, plan: plan)
        let wanted = try selection()
        Self.say("plan: first step \(plan.firstWeight)%, interval \(interval), threshold \(plan.threshold), "
            + "best time to promotion \(plan.bestTimeToPromotion) s; \(rps) requests/s; folder \(folder)")

        var results: [SafetyRun.Result] = []
        for seed in 1...seeds {
            for (index, scenario) in SafetyScenario.all(timing: makeTiming(plan, jitter: 0)).enumerated() where wanted(scenario) {
                // From the seed and the scenario alone: `--scenarios 6 --seeds 2` replays the matrix's run.
                var random = SeededRandom(seed: UInt64(seed) << 16 | UInt64(index))
                let jitter = Double(random.next() % 1000) / 1000
                let seededTiming = makeTiming(plan, jitter: jitter)
                // Built again with the seed's timing (the degrading releases' start of failure).
                let seeded = SafetyScenario.all(timing: seededTiming).first { $0.id == scenario.id } ?? scenario
                let run = SafetyRun(scenario: seeded, seed: seed, timing: seededTiming, settings: settings)
                Self.say("scenario \(seeded.id) (\(seeded.name)), seed \(seed)")
                var result: SafetyRun.Result
                do {
                    result = try await run.perform(keep: keep)
                } catch {
                    result = SafetyRun.Result(scenario: seeded, seed: seed,
                                              releases: seeded.releases.map { SafetyRun.ReleaseResult(expected: $0.expected) })
                    result.releases[0].reason = "the run failed: \(error)"
                    result.folder = folder + "/\(seeded.id)-seed\(seed)"
                }
                results.append(result)
                if let startup = result.prometheusStartup { settings.prometheusStartup = startup }
                try Self.printJSON(result, settings: settings)
                Self.say("  expected \(Self.verdicts(result, \.expected)), got \(Self.verdicts(result, \.actual))"
                    + "\(result.correct ? "" : "  WRONG")  \(result.releases.last?.reason ?? "")")
            }
        }
        let wrong = results.filter { !$0.correct }.count
        let wall = SafetyRun.seconds(ContinuousClock.now - began)
        print("")
        print(Self.table(results, settings: settings))
        print("")
        print("\(results.count) runs, \(wrong) wrong verdicts (wall time \(Int(wall.rounded())) s, interval \(interval), \(Self.number(rps)) requests/s)")
        if !keep && wrong == 0 { try? FileManager.default.removeItem(atPath: folder) }
        if wrong > 0 { throw ExitCode(1) }
    }

    private func makeTiming(_ plan: PlanFigures, jitter: Double) -> SafetyScenario.Timing {
        SafetyScenario.Timing(interval: plan.interval, threshold: plan.threshold, bestTimeToPromotion: plan.bestTimeToPromotion, jitter: jitter)
    }

    private func selection() throws -> (SafetyScenario) -> Bool {
        guard let scenarios else { return { _ in true } }
        let names = scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known = SafetyScenario.all(timing: .init(interval: 1, threshold: 1, bestTimeToPromotion: 1, jitter: 0))
        for name in names where !known.contains(where: { $0.id == name || String($0.number) == name }) {
            throw ValidationError("--scenarios: no scenario \(name); they are \(known.map(\.id).joined(separator: ", "))")
        }
        return { scenario in names.contains { $0 == scenario.id || $0 == String(scenario.number) } }
    }

    // MARK: output

    static func say(_ text: String) {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        FileHandle.standardError.write(Data("[\(formatter.string(from: Date()))] \(text)\n".utf8))
    }

    static func verdicts(_ result: SafetyRun.Result, _ path: KeyPath<SafetyRun.ReleaseResult, SafetyScenario.Verdict>) -> String {
        result.releases.map { $0[keyPath: path].rawValue }.joined(separator: " → ")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func printJSON(_ result: SafetyRun.Result, settings: SafetyRun.Settings) throws {
        let releases: [[String: Any]] = zip(result.releases, result.scenario.releases).map { release, made in
            var object: [String: Any] = [
                "env": made.env, "crash_on_start": made.crashOnStart,
                "expected": release.expected.rawValue, "actual": release.actual.rawValue, "reason": release.reason,
                "new_revision_requests": release.served, "new_revision_5xx": release.served5xx,
                "new_revision_requests_after_decision": release.servedAfter, "peak_canary_weight": release.peakWeight,
            ]
            if let seconds = release.decisionSeconds { object["decision_seconds"] = (seconds * 10).rounded() / 10 }
            if let revision = release.revision { object["revision"] = revision }
            return object
        }
        var object: [String: Any] = [
            "benchmark": "safety", "scenario": result.scenario.id, "name": result.scenario.name, "seed": result.seed,
            "correct": result.correct, "interval": settings.interval, "rps": settings.rps, "releases": releases,
            "requests": result.requests, "connection_errors": result.connectionErrors, "router_5xx": result.router5xx,
            "plan_min_blast_requests": (result.planMinimumBlast * 10).rounded() / 10,
            "wall_seconds": (result.wallSeconds * 10).rounded() / 10, "timeline": result.timeline,
        ]
        if let outage = result.outageSeconds { object["prometheus_outage_seconds"] = (outage * 10).rounded() / 10 }
        if let startup = result.prometheusStartup { object["prometheus_restart_seconds"] = (startup * 10).rounded() / 10 }
        if !result.gateCalls.isEmpty {
            object["gate_calls"] = ["refused": result.gateCalls.filter { $0.status != 200 }.count,
                                    "opened": result.gateCalls.filter { $0.status == 200 }.count]
        }
        if let folder = result.folder { object["folder"] = folder }
        // Written at once, not through print's buffer: a long matrix shows each run as it ends.
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func table(_ results: [SafetyRun.Result], settings: SafetyRun.Settings) -> String {
        var lines = [
            "| scenario | seed | expected | actual | ok | decision (s) | new rev. answers | new rev. 5xx | plan min. blast | conn. errors | router 5xx | peak weight |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for result in results {
            let releases = result.releases
            func joined(_ value: (SafetyRun.ReleaseResult) -> String) -> String { releases.map(value).joined(separator: " / ") }
            lines.append("| \(result.scenario.id) \(result.scenario.name) | \(result.seed) | \(verdicts(result, \.expected)) | "
                + "\(verdicts(result, \.actual)) | \(result.correct ? "yes" : "**no**") | "
                + "\(joined { $0.decisionSeconds.map { String(format: "%.1f", $0) } ?? "–" }) | \(joined { String($0.served) }) | "
                + "\(joined { String($0.served5xx) }) | \(number(result.planMinimumBlast)) | \(result.connectionErrors) | "
                + "\(result.router5xx) | \(joined { "\($0.peakWeight)%" }) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// What the quickstart's plan says at the bench's interval, from `serin plan -o json`.
struct PlanFigures: Sendable {
    /// Seconds.
    var interval: Double
    var threshold: Int
    /// The canary's weight at the first step, percent.
    var firstWeight: Int
    var bestTimeToPromotion: Double
    var progressDeadline: Double

    /// Requests the canary gets at the first step in `threshold` intervals:
    /// what a rollback at the earliest possible moment lets through.
    func minimumBlast(rps: Double) -> Double {
        Double(firstWeight) / 100 * rps * interval * Double(threshold)
    }

    static func read(serin: String, example: String, interval: String) throws -> PlanFigures {
        let copy = try TemporaryDirectory(prefix: "serin-bench-safety-plan")
        defer { copy.remove() }
        let canary = try String(contentsOfFile: example + "/deploy/canary.yaml", encoding: .utf8)
        guard canary.contains("interval: 10s") else { throw ValidationError("\(example)/deploy/canary.yaml has no `interval: 10s` to change") }
        for name in try FileManager.default.contentsOfDirectory(atPath: example + "/deploy") where name.hasSuffix(".yaml") {
            var text = try String(contentsOfFile: example + "/deploy/" + name, encoding: .utf8)
            if name == "canary.yaml" { text = text.replacingOccurrences(of: "interval: 10s", with: "interval: \(interval)") }
            try copy.write("deploy/" + name, text)
        }
        let run = try CommandRun.run(serin, ["plan", "-o", "json", copy.path + "/deploy"])
        guard run.status == 0,
              let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
              let plan = (document["canaries"] as? [[String: Any]])?.first,
              let interval = (plan["interval"] as? String).flatMap(GoDuration.parse),
              let threshold = plan["threshold"] as? Int,
              let steps = plan["steps"] as? [[String: Any]],
              let firstWeight = steps.first(where: { $0["action"] as? String == "setWeight" })?["weight"] as? Int,
              let best = (plan["bestTimeToPromotion"] as? String).flatMap(GoDuration.parse),
              let deadline = (plan["progressDeadline"] as? String).flatMap(GoDuration.parse) else {
            throw ValidationError("serin plan -o json did not give the quickstart's plan: \(run.stderr)\(run.stdout.prefix(300))")
        }
        return PlanFigures(interval: SafetyRun.seconds(interval), threshold: threshold, firstWeight: firstWeight,
                           bestTimeToPromotion: SafetyRun.seconds(best), progressDeadline: SafetyRun.seconds(deadline))
    }
}
