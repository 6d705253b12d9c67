/// Durations written as Go writes them (`300ms`, `30s`, `1m30s`, `1.5h`),
/// which is what Flagger's `interval` and `timeout` fields take.
public enum GoDuration {
    /// nil when the text is not a Go duration.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return .zero }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                  let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let scale = scales[String(unit)] else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        guard total.isFinite, total < 9.2e9 else { return nil } // Go's limit: about 292 years
        let duration = Duration.nanoseconds(Int64((total * 1e9).rounded()))
        return negative ? .zero - duration : duration
    }

    private static let scales: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]

    /// The shortest Go form: 90s prints as `1m30s`, 0.5s as `500ms`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if duration < .zero { return "-" + format(.zero - duration) }
        if seconds == 0 && attoseconds == 0 { return "0s" }
        if seconds == 0 {
            let ms = Double(attoseconds) / 1e15
            return ms == ms.rounded() ? "\(Int(ms))ms" : "\(ms)ms"
        }
        var text = ""
        let hours = seconds / 3600
        let minutes = (seconds % 3600) / 60
        let secs = seconds % 60
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if secs > 0 || attoseconds > 0 {
            if attoseconds > 0 {
                let fraction = Double(secs) + Double(attoseconds) / 1e18
                text += "\(fraction)s"
            } else {
                text += "\(secs)s"
            }
        }
        return text
    }

    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
