/// Collects the diagnostics of a validation pass, with the small checks that
/// every resource kind repeats (ranges, durations, URLs, names).
struct Findings {
    var diagnostics: [Diagnostic] = []

    mutating func error(_ source: SourceMap, _ path: String, _ message: String, kind: Diagnostic.Kind = .other) {
        // A required field is what a misspelt key hides (see CauseOrder).
        let kind = kind == .other && message.hasPrefix("is required") ? .missingField(Self.field(path)) : kind
        diagnostics.append(.error(at: source.position(path), "\(NodeDecoder.display(path)) \(message)", kind: kind))
    }

    /// The last name of a field path: `spec.targetRef` → `targetRef`, `metrics[0].name` → `name`.
    static func field(_ path: String) -> String {
        String(path.split(separator: ".").last ?? "").split(separator: "[").first.map(String.init) ?? path
    }

    mutating func warning(_ source: SourceMap, _ path: String, _ message: String) {
        diagnostics.append(.warning(at: source.position(path), "\(NodeDecoder.display(path)) \(message)"))
    }

    mutating func range(_ value: Int?, _ range: ClosedRange<Int>, _ source: SourceMap, _ path: String) {
        guard let value, !range.contains(value) else { return }
        if range.upperBound == Int.max {
            error(source, path, "must be at least \(range.lowerBound), got \(value)")
        } else {
            error(source, path, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
    }

    /// Checks a Go duration and returns it when valid.
    @discardableResult
    mutating func duration(_ text: String?, atLeast minimum: Duration, _ source: SourceMap, _ path: String) -> Duration? {
        guard let text else { return nil }
        guard let value = GoDuration.parse(text) else {
            error(source, path, "must be a duration such as 30s, 1m or 1m30s, got \"\(text)\"")
            return nil
        }
        guard value >= minimum else {
            error(source, path, "must be at least \(GoDuration.format(minimum)), got \(text)")
            return nil
        }
        return value
    }

    mutating func required(_ value: String?, _ source: SourceMap, _ path: String) {
        if value == nil || value!.isEmpty { error(source, path, "is required") }
    }

    /// An absolute http(s) URL with a host.
    mutating func url(_ text: String?, _ source: SourceMap, _ path: String) {
        guard let text, !text.isEmpty else { return }
        guard let url = URLParts(text), url.scheme == "http" || url.scheme == "https", !url.host.isEmpty else {
            error(source, path, "must be an http:// or https:// URL, got \"\(text)\"")
            return
        }
    }

    /// Names must be unique within a list (metrics, webhooks, alerts).
    mutating func unique(_ names: [String?], _ source: SourceMap, _ path: String, what: String) {
        var seen: Set<String> = []
        for (index, name) in names.enumerated() {
            guard let name, !name.isEmpty else { continue }
            if !seen.insert(name).inserted {
                error(source, "\(path)[\(index)].name", "repeats \(what) name \"\(name)\"; names must be unique")
            }
        }
    }
}

/// The scheme and host of a URL, without Foundation's leniency.
struct URLParts {
    var scheme: String
    var host: String

    init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return nil }
        scheme = String(text[..<colon]).lowercased()
        let rest = text[text.index(colon, offsetBy: 3)...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        if hostPort.hasPrefix("[") {
            host = String(hostPort.prefix { $0 != "]" }.dropFirst())
        } else {
            host = String(hostPort.split(separator: ":", maxSplits: 1).first ?? "")
        }
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }),
              !text.contains(where: { $0.isWhitespace }) else { return nil }
    }
}
