/// `serin logs`: a workload's output, one line per line it wrote, after the
/// file it came from.
public enum LogView {
    public static func line(file: String, text: String) -> String {
        "[\(file)] \(text)"
    }
}
