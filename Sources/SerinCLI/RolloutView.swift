import Foundation
import SerinEngine

/// `serin get NAME`: one rollout in full.
public enum RolloutView {
    public static let barCells = 40
    public static let eventCount = 8

    public static func render(_ rollout: RolloutStatus, timeZone: TimeZone = .current) -> String {
        var lines: [String] = []
        lines.append("\(rollout.namespace)/\(rollout.name) (workload \(rollout.workload))")
        lines.append("Phase:     \(rollout.phase.rawValue)" + (rollout.message.isEmpty ? "" : ": \(rollout.message)"))
        lines.append("Revisions: primary \(Formatting.short(rollout.primaryRevision)), canary \(Formatting.short(rollout.canaryRevision))")
        lines.append("Traffic:   \(weightBar(canary: rollout.canaryWeight, mirror: rollout.mirrorWeight))")
        if rollout.failedChecks > 0 { lines.append("Failed checks: \(rollout.failedChecks)") }

        lines.append("")
        lines.append("Plan (step \(rollout.step)/\(rollout.stepCount)):")
        let width = String(rollout.plan.count).count
        for (index, step) in rollout.plan.enumerated() {
            let number = String(index + 1)
            lines.append("  \(mark(step: index + 1, of: rollout)) \(String(repeating: " ", count: width - number.count))\(number). \(step)")
        }

        let latest = latestPerMetric(rollout.evaluations)
        if !latest.isEmpty {
            lines.append("")
            lines.append("Metrics:")
            var table = TextTable(["METRIC", "VALUE", "THRESHOLD", "RESULT"])
            for evaluation in latest {
                table.add([evaluation.metric, evaluation.value.map(Formatting.number) ?? "-", Formatting.thresholds(evaluation), verdict(evaluation)])
            }
            lines += table.lines(indent: "  ")
        }

        lines.append("")
        let events = rollout.events.suffix(eventCount)
        if events.isEmpty {
            lines.append("Events: none yet")
        } else {
            lines.append("Events:")
            var table = TextTable(["TIME", "DECISION", "REASON"])
            for event in events { table.add([Formatting.clock(event.time, in: timeZone), event.decision, event.reason]) }
            lines += table.lines(indent: "  ")
        }
        // Every line holds text from elsewhere (names, messages, plan steps): escaped whole.
        return lines.map(TerminalText.escaped).joined(separator: "\n") + "\n"
    }

    /// `primary ████████████████████████░░░░░░░░░░░░░░░░ 60% | canary 40%`: the filled cells are the primary's share.
    public static func weightBar(canary: Int, mirror: Int = 0) -> String {
        let canary = min(max(canary, 0), 100)
        let primary = 100 - canary
        let filled = Int((Double(primary) * Double(barCells) / 100).rounded())
        var bar = "primary " + String(repeating: "█", count: filled) + String(repeating: "░", count: barCells - filled)
        bar += " \(primary)% | canary \(canary)%"
        if mirror > 0 { bar += " | mirror \(mirror)% (copies)" }
        return bar
    }

    /// ✓ done, ▶ in force, ✗ where a failed release stopped, blank to come.
    static func mark(step: Int, of rollout: RolloutStatus) -> String {
        switch rollout.phase {
        case .succeeded: return "✓"
        case .failed: return step < rollout.step ? "✓" : step == rollout.step ? "✗" : " "
        default: return step < rollout.step ? "✓" : step == rollout.step ? "▶" : " "
        }
    }

    /// The newest evaluation of each metric, in the order the metrics first appear.
    static func latestPerMetric(_ evaluations: [MetricEvaluation]) -> [MetricEvaluation] {
        var order: [String] = []
        var latest: [String: MetricEvaluation] = [:]
        for evaluation in evaluations {
            if latest[evaluation.metric] == nil { order.append(evaluation.metric) }
            latest[evaluation.metric] = evaluation
        }
        return order.compactMap { latest[$0] }
    }

    static func verdict(_ evaluation: MetricEvaluation) -> String {
        switch evaluation.verdict {
        case .pass: "✓"
        case .fail: "✗ \(evaluation.message)"
        case .noData: "no data: \(evaluation.message)"
        case .undecided: "? \(evaluation.message)"
        case .error: "error: \(evaluation.message)"
        }
    }
}
