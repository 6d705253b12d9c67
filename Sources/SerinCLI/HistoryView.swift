import Foundation
import SerinEngine

/// `serin history NAME`: one row per release attempt, oldest first as the API gives them.
public enum HistoryView {
    /// A failure's reason can run to hundreds of characters (every failed
    /// check with its query): past this the RESULT cell is cut, and a line
    /// under the table says where the whole reasons are.
    public static let resultWidth = 60

    public static func render(_ entries: [RevisionHistoryEntry], timeZone: TimeZone = .current) -> String {
        guard !entries.isEmpty else { return "no revisions released yet\n" }
        var table = TextTable(["REVISION", "COMMIT", "AUTHOR", "RESULT", "STARTED", "DURATION"], limits: [3: resultWidth])
        for entry in entries {
            table.add([
                Formatting.short(entry.revision), entry.commit.map { String($0.prefix(7)) } ?? "-", entry.author ?? "-", result(entry),
                Formatting.dateTime(entry.started, in: timeZone), entry.finished.map { Formatting.duration($0 - entry.started) } ?? "-",
            ])
        }
        return table.render() + (table.cut ? "(results cut to \(resultWidth) characters: -o json shows them whole)\n" : "")
    }

    /// The superseding revision as short as the REVISION column's.
    static func result(_ entry: RevisionHistoryEntry) -> String {
        guard case .superseded(let revision)? = entry.outcome else { return entry.result }
        return "superseded by \(Formatting.short(revision))"
    }
}
