import Foundation
import SerinEngine

/// Small renderings shared by the views.
enum Formatting {
    /// Revisions are long hashes; 12 characters tell them apart in practice, as Git's short ids do.
    static func short(_ revision: String?) -> String {
        guard let revision, !revision.isEmpty else { return "-" }
        return String(revision.prefix(12))
    }

    /// 99.2, 182.5, 99: at most two decimals, no trailing zeros.
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func clock(_ seconds: Double, in zone: TimeZone) -> String {
        let parts = components(seconds, zone)
        return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    static func dateTime(_ seconds: Double, in zone: TimeZone) -> String {
        let parts = components(seconds, zone)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// 45s, 1m35s, 1h2m.
    static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds.rounded()))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return total % 60 == 0 ? "\(total / 60)m" : "\(total / 60)m\(total % 60)s" }
        let minutes = (total % 3600) / 60
        return minutes == 0 ? "\(total / 3600)h" : "\(total / 3600)h\(minutes)m"
    }

    private static func components(_ seconds: Double, _ zone: TimeZone) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
    }

    /// `≥ 99`, `≤ 500`, `99 … 100`, or empty without thresholds.
    static func thresholds(_ evaluation: MetricEvaluation) -> String {
        switch (evaluation.min, evaluation.max) {
        case let (min?, max?): "\(number(min)) … \(number(max))"
        case let (min?, nil): "≥ \(number(min))"
        case let (nil, max?): "≤ \(number(max))"
        case (nil, nil): ""
        }
    }

    /// One line for one evaluation: `request-success-rate 99.2 ≥ 99 ✓`.
    static func check(_ evaluation: MetricEvaluation) -> String {
        switch evaluation.verdict {
        case .noData:
            return "waiting for data"
        case .error:
            return "\(evaluation.metric) error: \(evaluation.message)"
        case .undecided:
            guard let value = evaluation.value else { return "\(evaluation.metric) undecided" }
            return "\(evaluation.metric) \(number(value)) undecided (\(Int((evaluation.requests ?? 0).rounded())) requests)"
        case .pass, .fail:
            let mark = evaluation.verdict == .pass ? "✓" : "✗"
            guard let value = evaluation.value else { return "\(evaluation.metric) \(mark)" }
            return "\(evaluation.metric) \(number(value)) \(comparison(evaluation, value)) \(mark)"
        }
    }

    /// The bound that decided, with the sign that holds: `≥ 99` when passing, `< 99` when not.
    private static func comparison(_ evaluation: MetricEvaluation, _ value: Double) -> String {
        if let min = evaluation.min, value < min { return "< \(number(min))" }
        if let max = evaluation.max, value > max { return "> \(number(max))" }
        if let min = evaluation.min, let max = evaluation.max { return "in \(number(min)) … \(number(max))" }
        if let min = evaluation.min { return "≥ \(number(min))" }
        if let max = evaluation.max { return "≤ \(number(max))" }
        return ""
    }

    /// The evaluation that says most about the latest round: its first
    /// failure or error, else its first missing data, else its last pass.
    static func latestCheck(_ evaluations: [MetricEvaluation]) -> MetricEvaluation? {
        guard let time = evaluations.last?.time else { return nil }
        let round = evaluations.filter { $0.time == time }
        return round.first { $0.verdict == .fail || $0.verdict == .error } ?? round.first { $0.verdict == .noData } ?? round.last
    }
}
