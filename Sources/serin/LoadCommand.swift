import ArgumentParser
import Foundation
import Logging
import SerinSandbox
import SerinSpec
import ServiceLifecycle

/// `serin load URL --rps N`: steady traffic, so a release has answers to be
/// judged on, and a live count of who answered.
struct LoadCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Send steady traffic to a URL and count the answers by status code and by the revision that made them.",
        discussion: """
        The revision is the answer's X-Serin-Revision header (the quickstart's app sets it from the SERIN_REVISION Serin gives each \
        process; answers without it count as revision -). A line every second: redrawn in place on a terminal, printed anew into a \
        pipe or a file. Ctrl-C, SIGTERM or the end of --duration stop it and print a summary.
        """
    )

    @Argument(help: "The URL to send GET requests to, such as http://127.0.0.1:8080/.")
    var url: String

    @Option(help: "Requests per second (sent at an even pace, whether or not earlier ones were answered).")
    var rps: Double = 10

    @Option(help: "Stop after this long (30s, 5m); without it, until interrupted.")
    var duration: String?

    @Option(help: "Seconds a request may take before it counts as no answer.")
    var timeout: Double = 5

    func validate() throws {
        guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host?.isEmpty == false else {
            throw ValidationError("\(url) is not an http(s) URL such as http://127.0.0.1:8080/")
        }
        guard rps > 0, rps <= 10_000 else { throw ValidationError("--rps must be more than 0 and at most 10000, got \(rps)") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
        if let duration, (GoDuration.parse(duration) ?? .zero) <= .zero {
            throw ValidationError("--duration \(duration) is not a positive duration such as 30s or 5m")
        }
    }

    func run() async throws {
        let traffic = SteadyTraffic(url: url, rate: rps, timeout: .seconds(timeout))
        let service = LoadService(traffic: traffic, duration: duration.flatMap(GoDuration.parse), terminal: isatty(STDOUT_FILENO) == 1)
        var logger = Logger(label: "serin-load")
        logger.logLevel = .warning
        // The load ends by itself at --duration: that ends the group, without an error.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Sends the traffic and prints the live line until the duration ends or a
/// signal asks it to stop, then the summary.
struct LoadService: Service {
    let traffic: SteadyTraffic
    let duration: Duration?
    let terminal: Bool

    func run() async throws {
        let started = ContinuousClock.now
        try? await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await traffic.run() }
                var next = started
                while true {
                    next += .seconds(1)
                    try await Task.sleep(until: next)
                    show(LoadView.line(traffic.tally(), elapsed: ContinuousClock.now - started))
                    if let duration, ContinuousClock.now - started >= duration {
                        group.cancelAll()
                        return
                    }
                }
            }
        }
        if terminal { print("") }
        print(LoadView.summary(traffic.tally(), elapsed: ContinuousClock.now - started))
        fflush(nil)
    }

    private func show(_ line: String) {
        // A terminal: the line redrawn in place (carriage return, clear to
        // the end); a pipe: one line a second, flushed so a reader sees it.
        print(terminal ? "\r" + line + "\u{1B}[K" : line, terminator: terminal ? "" : "\n")
        fflush(nil)
    }
}

/// What `serin load` prints: the same counts each second and at the end.
enum LoadView {
    /// ` 12s  600 answers  200: 580  500: 20  revisions: 1f2e3d4c5b6a 480, 9a8b7c6d5e4f 120`
    static func line(_ tally: SteadyTraffic.Tally, elapsed: Duration) -> String {
        "\(elapsed.components.seconds)s".leftPadded(4) + "  " + counts(tally)
    }

    /// `stopped after 93s: 4650 answers  200: 4611  500: 39  revisions: …`, one line so `tail -n 1` shows it.
    static func summary(_ tally: SteadyTraffic.Tally, elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return "stopped after \(Int(seconds.rounded()))s: " + counts(tally)
    }

    /// Status codes in order ("no answer" last), then revisions, most answers first.
    static func counts(_ tally: SteadyTraffic.Tally) -> String {
        let codes = tally.byCode.sorted {
            ($0.key == SteadyTraffic.noAnswer ? 1 : 0, $0.key) < ($1.key == SteadyTraffic.noAnswer ? 1 : 0, $1.key)
        }
        var parts = ["\(tally.requests) answers"] + codes.map { "\($0.key): \($0.value)" }
        let revisions = tally.byRevision.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        if !revisions.isEmpty {
            parts.append("revisions: " + revisions.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if tally.skipped > 0 { parts.append("not sent (too many waiting for an answer): \(tally.skipped)") }
        return parts.joined(separator: "  ")
    }
}
