import Foundation
import SerinEngine

/// `serin history NAME`: the revisions released, newest first as the API gives them.
public enum HistoryView {
    public static func render(_ entries: [RevisionHistoryEntry], timeZone: TimeZone = .current) -> String {
        guard !entries.isEmpty else { return "no revisions released yet\n" }
        var table = TextTable(["REVISION", "COMMIT", "AUTHOR", "RESULT", "STARTED", "DURATION"])
        for entry in entries {
            table.add([
                Formatting.short(entry.revision), entry.commit.map { String($0.prefix(7)) } ?? "-", entry.author ?? "-", entry.result,
                Formatting.dateTime(entry.started, in: timeZone), entry.finished.map { Formatting.duration($0 - entry.started) } ?? "-",
            ])
        }
        return table.render()
    }
}
