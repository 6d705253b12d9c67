import Foundation

/// Times as Kubernetes' `metav1.Time` writes them: RFC 3339 in UTC, whole
/// seconds (`2026-01-02T15:04:05Z`). Reading also takes fractions and offsets.
public enum RFC3339 {
    public static func string(_ secondsSince1970: Double) -> String {
        var time = time_t(secondsSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    public static func seconds(_ text: String) -> Double? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date.timeIntervalSince1970 }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date.timeIntervalSince1970 }
        return nil
    }
}
