import Foundation
import SerinEngine

/// `serin get NAME --watch` into a pipe or a file: instead of redrawing, a
/// line for each thing that changed since the last look, so the output reads
/// as a log and can be grepped.
public struct WatchLog: Sendable {
    private var last: RolloutStatus?
    private let timeZone: TimeZone

    public init(timeZone: TimeZone = .current) { self.timeZone = timeZone }

    /// The lines to print for `status`, seen after whatever was seen before.
    public mutating func lines(for status: RolloutStatus) -> [String] {
        changes(for: status).map(TerminalText.escaped)
    }

    private mutating func changes(for status: RolloutStatus) -> [String] {
        defer { last = status }
        guard let last else {
            let recent = status.events.suffix(RolloutView.eventCount)
            return ["\(status.name): \(summary(status))"] + recent.map(line)
        }
        var lines: [String] = []
        let seen = last.events.last?.sequence ?? 0
        let new = status.events.filter { $0.sequence > seen }
        // The status carries the newest events only: when none of them is one
        // already shown, more happened since the last look than it holds.
        if seen > 0, !new.isEmpty, !status.events.contains(where: { $0.sequence <= seen }) {
            lines.append("… events of \(status.name) after #\(seen) and before #\(new[0].sequence) are not shown here: "
                         + "`serin history \(status.name)` has every release, the API's /api/v1/events?after=\(seen) every event")
        }
        lines += new.map(line)
        if status.phase != last.phase {
            lines.append("phase \(last.phase.rawValue) → \(status.phase.rawValue)" + (status.message.isEmpty ? "" : ": \(status.message)"))
        }
        if status.step != last.step || status.stepCount != last.stepCount {
            let description = status.plan.indices.contains(status.step - 1) ? ": \(status.plan[status.step - 1])" : ""
            lines.append("step \(last.step)/\(last.stepCount) → \(status.step)/\(status.stepCount)\(description)")
        }
        if status.canaryWeight != last.canaryWeight {
            lines.append("canary weight \(last.canaryWeight)% → \(status.canaryWeight)%")
        }
        if status.mirrorWeight != last.mirrorWeight {
            lines.append("mirror weight \(last.mirrorWeight)% → \(status.mirrorWeight)%")
        }
        return lines
    }

    /// Whether watching is over: the release ended one way or the other.
    public static func isFinal(_ status: RolloutStatus) -> Bool {
        status.phase == .succeeded || status.phase == .failed
    }

    /// Whether the audit trail already holds the decision the phase shows:
    /// the newest phase entry among the status's events is that phase. The
    /// state is saved before its entry is appended, so the phase can be
    /// seen a moment before the entry that `serin history` reads.
    public static func decisionLogged(_ status: RolloutStatus) -> Bool {
        status.events.last { RolloutPhase(rawValue: $0.decision) != nil }?.decision == status.phase.rawValue
    }

    private func summary(_ status: RolloutStatus) -> String {
        "\(status.phase.rawValue), step \(status.step)/\(status.stepCount), canary weight \(status.canaryWeight)%"
            + (status.message.isEmpty ? "" : " (\(status.message))")
    }

    private func line(_ event: EventLog.Entry) -> String {
        "\(Formatting.clock(event.time, in: timeZone))  \(event.decision)  \(event.reason)"
    }
}
