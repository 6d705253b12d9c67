import Foundation
import NIOHTTP1
import SerinHTTP
import Synchronization

/// Requests to one URL at a steady rate, counted by status and by the
/// revision that answered: the `X-Serin-Revision` header, which the
/// quickstart's app sets from the `SERIN_REVISION` Serin gives each process.
/// `serin load`, `serin demo` and the end-to-end tests send it.
///
/// Open loop: a request leaves every 1/rate seconds whether or not the last
/// one was answered, as real clients do, so a slow revision does not slow
/// the traffic that judges it. At most `maxInFlight` wait for an answer;
/// a request that would exceed it is not sent and is counted as skipped.
public final class SteadyTraffic: Sendable {
    /// What was answered so far.
    public struct Tally: Sendable, Equatable {
        /// Requests that got an answer or an error (not those cut by the end).
        public var requests = 0
        /// "200", "500", …, and "no answer" for a connection error or timeout.
        public var byCode: [String: Int] = [:]
        /// The revision that answered → answers; "-" for answers naming none.
        public var byRevision: [String: Int] = [:]
        /// Requests not sent because `maxInFlight` were already waiting.
        public var skipped = 0
    }

    private struct Outcome: Hashable {
        /// nil: no HTTP answer.
        var status: Int?
        var revision: String?
        /// The start of the body of an answer other than 200, or the error.
        var note: String
    }

    private struct State {
        var outcomes: [Outcome: Int] = [:]
        var skipped = 0
        var inFlight = 0
    }

    public static let noAnswer = "no answer"

    public let url: String
    /// Requests per second.
    public let rate: Double
    public let timeout: Duration
    public let maxInFlight: Int
    private let state = Mutex(State())

    public init(url: String, rate: Double, timeout: Duration = .seconds(5), maxInFlight: Int = 256) {
        self.url = url
        self.rate = rate
        self.timeout = timeout
        self.maxInFlight = maxInFlight
    }

    /// About 50 requests/s to the router's listener on 127.0.0.1:`port`.
    public convenience init(port: Int, rate: Double = 50) {
        self.init(url: "http://127.0.0.1:\(port)/", rate: rate)
    }

    /// Until cancelled. Requests in flight at the end are dropped, not counted.
    public func run() async {
        let clock = ContinuousClock()
        let interval = Duration.seconds(1 / rate)
        var next = clock.now
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let admitted = state.withLock { state in
                    guard state.inFlight < maxInFlight else {
                        state.skipped += 1
                        return false
                    }
                    state.inFlight += 1
                    return true
                }
                if admitted {
                    group.addTask { await self.send() }
                }
                next += interval
                // Far behind (a stopped process, a machine that stalled):
                // go on from now rather than send the missed requests at once.
                if clock.now - next > .seconds(1) { next = clock.now }
                try? await Task.sleep(until: next, clock: clock)
            }
        }
    }

    private func send() async {
        defer { state.withLock { $0.inFlight -= 1 } }
        let outcome: Outcome
        do {
            let answer = try await HTTPExchange.send(.GET, url, timeout: timeout, bodyLimit: 1 << 20)
            let revision = answer.header("X-Serin-Revision")
            let note = answer.status == 200 ? "" : String(decoding: answer.body.prefix(60), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            outcome = Outcome(status: answer.status, revision: revision, note: note)
        } catch {
            if Task.isCancelled { return }
            outcome = Outcome(status: nil, revision: nil, note: error.description)
        }
        state.withLock { $0.outcomes[outcome, default: 0] += 1 }
    }

    public func tally() -> Tally {
        state.withLock { state in
            var tally = Tally(skipped: state.skipped)
            for (outcome, count) in state.outcomes {
                tally.requests += count
                tally.byCode[outcome.status.map(String.init) ?? Self.noAnswer, default: 0] += count
                if outcome.status != nil { tally.byRevision[outcome.revision ?? "-", default: 0] += count }
            }
            return tally
        }
    }

    /// Answers by "status revision" as the demo's summary and the tests read
    /// them: "200 revision <id>", "500 injected" (the quickstart's own
    /// errors), "<status> <start of the body>", "connection error".
    public func snapshot() -> [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for (outcome, count) in state.outcomes {
                let key: String
                switch outcome.status {
                case nil: key = "connection error"
                case 200?: key = "200 revision \(outcome.revision ?? "")"
                case 500? where outcome.note.hasPrefix("injected error"): key = "500 injected"
                case let status?: key = "\(status) \(outcome.note)"
                }
                counts[key, default: 0] += count
            }
            return counts
        }
    }

    /// Requests that got no HTTP answer or a 5xx the app did not make
    /// (the app's own errors say "injected error").
    public var failures: Int {
        snapshot().filter { !$0.key.hasPrefix("200") && $0.key != "500 injected" }.values.reduce(0, +)
    }
}
