import ArgumentParser
import Foundation
import SerinEngine
import SerinSandbox
import SerinSpec

/// `serin demo`: the quickstart end to end on this machine. A temporary Git
/// repository, a real Prometheus, the operator, steady traffic; then a good
/// release (promoted) and a release answering 20% errors (rolled back by
/// itself), shown live, with a summary at the end.
struct DemoCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Release the quickstart twice on this machine: a good revision is promoted, a bad one rolled back."
    )

    @Option(help: "The quickstart folder (a Git repository is made from a copy of it).")
    var example = "examples/quickstart"

    @Option(help: "The Canary's analysis interval for the demo.")
    var interval = "5s"

    @Option(name: .customLong("summary-json"), help: "Also write the summary as JSON to this file.")
    var summaryJSON: String?

    @Option(help: "Give up after this many seconds.")
    var timeout = 220

    @Option(help: ArgumentHelp(
        "Seconds between the end of the good release and the bad one (none needed: each release is judged on its own revision's answers).",
        visibility: .hidden))
    var pause = 0

    @Option(name: .customLong("request-duration-max"), help: ArgumentHelp("The request-duration check's bound in ms (default: the quickstart's).", visibility: .hidden))
    var requestDurationMax: Int?

    func run() async throws {
        let sandbox: QuickstartDemo
        do {
            sandbox = try await QuickstartDemo(example: example, serin: RunCommand.executablePath(), interval: interval,
                                               requestDurationMax: requestDurationMax)
        } catch {
            throw ValidationError("\(error); run from the repository or pass --example")
        }
        let view = DemoView(started: sandbox.started)
        do {
            try await release(sandbox, view)
        } catch {
            await sandbox.tearDown()
            view.say("stopped every process the demo started; files kept in \(sandbox.files.root)")
            throw error
        }
        await sandbox.tearDown()
        view.say("stopped every process the demo started; files kept in \(sandbox.files.root)")
    }

    private func release(_ sandbox: QuickstartDemo, _ view: DemoView) async throws {
        let timeout = Duration.seconds(self.timeout)
        view.say("Serin demo in \(sandbox.files.root)")
        // The plan of the copy the demo runs (its interval, not the quickstart's).
        let (diagnostics, plans) = Validator().validateAndPlan(ManifestLoader().load(paths: [sandbox.files.repository + "/deploy"]))
        guard !diagnostics.hasErrors else { throw ValidationError("\(example) is not valid: \(diagnostics.errors[0])") }
        view.say("the plan of this demo (`serin plan \(sandbox.files.repository)/deploy`):\n" + plans.map(\.text).joined(separator: "\n"))
        try sandbox.startOperator()
        view.say("operator started; waiting for the first revision to serve on 127.0.0.1:\(sandbox.files.servicePort)")
        let first = try await sandbox.waitForDecision(["Initialized", "Succeeded"], timeout: timeout, progress: view.show)
        let traffic = SteadyTraffic(port: sandbox.files.servicePort)
        let load = Task { await traffic.run() }
        view.say("steady traffic: about 50 requests/s to 127.0.0.1:\(sandbox.files.servicePort)")
        try await Task.sleep(for: .seconds(3))

        let good = try await sandbox.commit("MESSAGE", to: "hello again", message: "A good release: a new greeting", author: "Ada Lovelace")
        view.say("committed a good release (\(good)): expect it to be promoted")
        let goodEnd = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: timeout, progress: view.show)

        if pause > 0 {
            view.say("waiting \(pause) s")
            try await Task.sleep(for: .seconds(pause))
        }
        let bad = try await sandbox.commit("ERROR_RATE", to: "0.2", message: "A bad release: 20% of answers are 500", author: "Eve Mallory")
        view.say("committed a bad release (\(bad)): 20% of its answers are errors; expect an automatic rollback")
        var badPeakWeight = 0
        let badEnd = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: goodEnd.sequence, timeout: timeout) { event, state in
            view.show(event, state)
            if let state { badPeakWeight = max(badPeakWeight, state.canaryWeight) }
        }
        try await Task.sleep(for: .seconds(2))
        load.cancel()
        let counts = traffic.snapshot()

        let events = sandbox.events
        let summary = DemoSummary(goodRelease: goodEnd.decision, badRelease: badEnd.decision, badPeakWeight: badPeakWeight,
                                  traffic: counts, events: events.count,
                                  decisions: events.filter { $0.rollout != "-" }.map(\.decision),
                                  eventLogComplete: events.map(\.sequence) == Array(1...max(1, events.count)),
                                  seconds: Int((ContinuousClock.now - sandbox.started).components.seconds))
        print("")
        print(summary.text)
        if let summaryJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(summary).write(to: URL(fileURLWithPath: summaryJSON))
        }
        guard goodEnd.decision == "Succeeded", badEnd.decision == "Failed" else { throw ExitCode(1) }
    }
}

/// The demo's live view: decisions as they are logged, the rollout's state
/// as it changes.
struct DemoView {
    let started: ContinuousClock.Instant

    func say(_ text: String) {
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        FileHandle.standardOutput.write(Data((String(format: "[%3ds] ", seconds) + text + "\n").utf8))
    }

    func show(_ event: EventLog.Entry?, _ state: RolloutStatus?) {
        if let event, !(event.rollout == "-" && event.decision == "platform") {
            say("\(event.decision): \(event.reason)")
        }
        if let state {
            let cells = state.canaryWeight / 5
            let bar = String(repeating: "█", count: cells) + String(repeating: "░", count: 20 - cells)
            say("  \(state.phase.rawValue): canary \(bar) \(state.canaryWeight)%  step \(state.step)  failed checks \(state.failedChecks)  \(state.message)")
        }
    }
}

struct DemoSummary: Codable {
    var goodRelease: String
    var badRelease: String
    /// The highest canary weight the bad release reached before its rollback.
    var badPeakWeight: Int
    /// "status revision" → requests.
    var traffic: [String: Int]
    var events: Int
    /// The rollout's decisions in the audit log, in order.
    var decisions: [String]
    /// The log's sequence numbers run from 1 with no gap.
    var eventLogComplete: Bool
    var seconds: Int

    var text: String {
        var lines = ["Summary (\(seconds) s):",
                     "  good release: \(goodRelease == "Succeeded" ? "promoted" : goodRelease)",
                     "  bad release:  \(badRelease == "Failed" ? "rolled back automatically" : badRelease) (at most \(badPeakWeight)% of traffic)",
                     "  traffic (status, revision that answered):"]
        for key in traffic.keys.sorted() { lines.append("    \(String(traffic[key]!).leftPadded(6))  \(key)") }
        lines.append("  \(events) events in the audit log")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

