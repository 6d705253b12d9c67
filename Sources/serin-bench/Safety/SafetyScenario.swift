/// One row of the release-safety matrix: a release (or two) on top of a good
/// primary, what goes wrong around it, and the verdict a safe operator reaches.
struct SafetyScenario: Sendable {
    enum Verdict: String, Sendable {
        case promoted
        case rolledBack = "rolled back"
        case undecided

        init(decision: String?) {
            switch decision {
            case "Succeeded": self = .promoted
            case "Failed": self = .rolledBack
            default: self = .undecided
            }
        }
    }

    /// What a release changes in the workload: env values, or a command
    /// that exits at once.
    struct Release: Sendable {
        var env: [String: String] = [:]
        var crashOnStart = false
        var expected: Verdict
    }

    enum Fault: Sendable, Equatable {
        case none
        /// The load generator sends nothing for this long from the commit.
        case noTraffic(seconds: Double)
        /// The managed Prometheus is killed once the canary has traffic, and
        /// started again (same port, same data) this long after.
        case prometheusDown(seconds: Double)
        /// A confirm-promotion webhook answers 403 until the canary has
        /// degraded and `threshold` checks could have failed, then 200.
        case closedPromotionGate
    }

    /// "1" ... "12"; scenarios 7 and 10 have two rows each ("7", "7-builtin",
    /// "10-good", "10-bad").
    var id: String
    var name: String
    var releases: [Release]
    var fault: Fault = .none
    /// Without the quickstart's error-ratio MetricTemplate: only the built-in
    /// request-success-rate and request-duration judge the release.
    var builtinChecksOnly = false

    /// `--scenarios 10` selects both of its rows.
    var number: Int { Int(id.prefix { $0.isNumber }) ?? 0 }

    /// Query errors in a row from which each erroring check counts as a
    /// failed one (the engine's default limit, README "The rollout engine").
    static let queryErrorLimit = 3

    /// The verdict for a good release while Prometheus is down for
    /// `seconds`: "a query error is never a pass", so an outage of
    /// (limit − 1 + threshold) intervals rolls back even a good release; a
    /// shorter one holds it, and it is promoted once Prometheus is back.
    static func goodReleaseThroughOutage(_ seconds: Double, _ timing: Timing) -> Verdict {
        let failingAfter = Double(queryErrorLimit - 1 + timing.threshold) * timing.interval
        return seconds >= failingAfter ? .rolledBack : .promoted
    }

    /// The matrix. `timing` gives what depends on the plan and the seed:
    /// when a degrading release starts to fail.
    static func all(timing: Timing) -> [SafetyScenario] {
        let bad = ["ERROR_RATE": "0.3"]
        let shortOutage = 6.0, longOutage = 30.0
        return [
            SafetyScenario(id: "1", name: "good", releases: [Release(expected: .promoted)]),
            SafetyScenario(id: "2", name: "30% errors", releases: [Release(env: bad, expected: .rolledBack)]),
            SafetyScenario(id: "3", name: "8% errors", releases: [Release(env: ["ERROR_RATE": "0.08"], expected: .rolledBack)]),
            SafetyScenario(id: "4", name: "+400 ms latency", releases: [Release(env: ["LATENCY_MS": "400"], expected: .rolledBack)]),
            SafetyScenario(id: "5", name: "crash on start", releases: [Release(crashOnStart: true, expected: .rolledBack)]),
            SafetyScenario(id: "6", name: "degrades after start", releases: [Release(env: [
                "DEGRADE_AFTER_S": timing.format(timing.degradeSoon), "DEGRADE_ERROR_RATE": "0.5",
            ], expected: .rolledBack)]),
            SafetyScenario(id: "7", name: "all 5xx", releases: [Release(env: ["ERROR_RATE": "1"], expected: .rolledBack)]),
            SafetyScenario(id: "7-builtin", name: "all 5xx, built-in checks only", releases: [Release(env: ["ERROR_RATE": "1"], expected: .rolledBack)],
                           builtinChecksOnly: true),
            SafetyScenario(id: "8", name: "no traffic 25 s, good", releases: [Release(expected: .promoted)], fault: .noTraffic(seconds: 25)),
            SafetyScenario(id: "9", name: "Prometheus down 6 s, good",
                           releases: [Release(expected: goodReleaseThroughOutage(shortOutage, timing))],
                           fault: .prometheusDown(seconds: shortOutage)),
            SafetyScenario(id: "10-good", name: "Prometheus down 30 s, good",
                           releases: [Release(expected: goodReleaseThroughOutage(longOutage, timing))],
                           fault: .prometheusDown(seconds: longOutage)),
            SafetyScenario(id: "10-bad", name: "Prometheus down 30 s, bad", releases: [Release(env: bad, expected: .rolledBack)],
                           fault: .prometheusDown(seconds: longOutage)),
            SafetyScenario(id: "11", name: "good right after a rollback",
                           releases: [Release(env: bad, expected: .rolledBack), Release(expected: .promoted)]),
            SafetyScenario(id: "12", name: "degrades at a closed gate", releases: [Release(env: [
                "DEGRADE_AFTER_S": timing.format(timing.degradeAtGate), "DEGRADE_ERROR_RATE": "0.5",
            ], expected: .rolledBack)], fault: .closedPromotionGate),
        ]
    }

    /// The plan's figures and the seed's offsets a scenario is built from.
    struct Timing: Sendable {
        /// Seconds.
        var interval: Double
        var threshold: Int
        /// The plan's time to promotion when every check passes, seconds.
        var bestTimeToPromotion: Double
        /// Seconds in [0, 1), from the seed.
        var jitter: Double

        /// Half way to promotion: after the first check, before the last.
        var degradeSoon: Double { bestTimeToPromotion / 2 + jitter * interval }
        /// Once every step passed and the rollout waits at the gate.
        var degradeAtGate: Double { bestTimeToPromotion + 2 * interval + 1 + jitter * interval }
        /// The gate opens when `threshold` checks (and a few more) could
        /// have failed on the degraded canary, counted from the commit (the
        /// canary starts about a second after it).
        var gateOpensAfterCommit: Double { 1 + degradeAtGate + Double(threshold + 3) * interval + 4 }

        func format(_ seconds: Double) -> String { String(format: "%.1f", seconds) }
    }
}
