/// `serin logs`: a workload's output, one line per line it wrote, after the
/// file it came from; escapes in it are shown, not obeyed (a workload
/// prints what a committer made it print).
public enum LogView {
    public static func line(file: String, text: String) -> String {
        TerminalText.escaped("[\(file)] \(text)")
    }
}
