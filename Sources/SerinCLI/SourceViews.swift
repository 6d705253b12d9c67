import Foundation
import SerinEngine

/// `serin history source NAME` and `serin diff NAME`.
public enum SourceViews {
    /// One row per revision given to the source's targets, oldest first.
    public static func history(_ entries: [SourceHistoryEntry], timeZone: TimeZone = .current) -> String {
        guard !entries.isEmpty else { return "no revisions applied yet\n" }
        var table = TextTable(["REVISION", "COMMIT", "AUTHOR", "APPLIED", "TRIGGER", "RESULT"])
        for entry in entries {
            table.add([ResourceViews.revision(entry.revision), entry.commit.map { String($0.prefix(7)) } ?? "-", entry.author ?? "-",
                       Formatting.dateTime(entry.time, in: timeZone), entry.trigger, entry.result])
        }
        return table.render()
    }

    /// What applying the revision would change: a line per object, then
    /// each change as a unified diff, as `kubectl diff` prints them.
    public static func diff(_ diff: SourceDiff) -> String {
        guard !diff.objects.isEmpty else {
            return "source \(diff.source) at \(ResourceViews.revision(diff.revision)): the cluster holds it; nothing would change\n"
        }
        var lines = ["source \(diff.source) at \(ResourceViews.revision(diff.revision)):"]
        for object in diff.objects {
            let mark: String = switch object.action {
            case .create: "+"
            case .change: "~"
            case .prune: "-"
            case .keep: "="
            case .refused: "!"
            }
            lines.append("\(mark) \(object.object) (\(object.action.rawValue))" + (object.message.map { ": \($0)" } ?? ""))
        }
        var text = lines.joined(separator: "\n") + "\n"
        for object in diff.objects where !object.diff.isEmpty {
            text += "\n" + object.diff
        }
        return text
    }
}
