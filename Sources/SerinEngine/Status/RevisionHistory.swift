/// `serin history` from the audit trail: one row per release attempt.
///
/// An attempt begins when a revision is detected (or, for a retry and for
/// a revision that waited for a promotion to finish, when its release
/// starts: its first phase entry) and ends at `Initialized`/`Succeeded`,
/// at `Failed` (aborted by hand or failed, with the reason), or when a
/// newer revision replaces it. A revision detected while a promotion
/// finishes does not replace it: the machine releases it afterwards.
public enum RevisionHistory {
    /// `events`: one rollout's entries, oldest first; the rows come oldest first.
    public static func entries(from events: some Sequence<EventLog.Entry>) -> [RevisionHistoryEntry] {
        var rows: [RevisionHistoryEntry] = []
        var open: Int?
        var openPhase: RolloutPhase?
        var origins: [String: (commit: String?, author: String?)] = [:]

        func begin(_ revision: String, at time: Double) {
            let origin = origins[revision]
            rows.append(RevisionHistoryEntry(revision: revision, commit: origin?.commit.map { String($0.prefix(12)) }, author: origin?.author,
                                             outcome: .inProgress, started: time, finished: nil))
            open = rows.count - 1
            openPhase = nil
        }
        func end(_ outcome: RevisionHistoryEntry.Outcome, at time: Double) {
            guard let index = open else { return }
            rows[index].outcome = outcome
            rows[index].result = outcome.text
            rows[index].finished = time
            open = nil
        }

        for event in events {
            guard let revision = event.revision else { continue }
            let known = origins[revision]
            origins[revision] = (event.commit ?? known?.commit, event.author ?? known?.author)
            let current = open.map { rows[$0].revision }
            switch event.decision {
            case "detected":
                guard current != revision else { continue }
                if current != nil {
                    if openPhase == .promoting || openPhase == .finalising { continue }
                    end(.superseded(by: revision), at: event.time)
                }
                begin(revision, at: event.time)
            case RolloutPhase.initialized.rawValue, RolloutPhase.succeeded.rawValue:
                // Another revision succeeding: Git went back to what the primary runs.
                end(current == revision ? .succeeded : .superseded(by: revision), at: event.time)
            case RolloutPhase.failed.rawValue:
                // The attempt in progress failed, whatever revision the entry
                // names: logs written before entries named the rolled-back
                // revision name the primary's.
                end(outcome(ofFailure: event.reason, current ?? revision), at: event.time)
            case let decision:
                guard let phase = RolloutPhase(rawValue: decision) else { continue }
                if current != revision {
                    if current != nil { end(.superseded(by: revision), at: event.time) }
                    begin(revision, at: event.time)
                }
                openPhase = phase
            }
        }
        return rows
    }

    /// `rolled back <revision>: <reason>`, as the machine words a rollback;
    /// `aborted by hand` is the reason of an abort with no name.
    static func outcome(ofFailure message: String, _ revision: String) -> RevisionHistoryEntry.Outcome {
        let prefix = "rolled back \(revision): "
        let reason = message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
        guard reason.hasPrefix("aborted") else { return .failed(reason: reason) }
        let who = reason.hasPrefix("aborted by ") ? String(reason.dropFirst("aborted by ".count)) : nil
        return .aborted(by: who == "hand" ? nil : who)
    }
}
