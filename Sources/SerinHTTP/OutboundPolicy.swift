import Foundation

/// Where the operator may send requests a manifest asks for (a
/// MetricTemplate's Prometheus, a webhook, an alert provider):
/// `outbound.allowedHosts` in serin.yaml. Without a list, every host.
public struct OutboundPolicy: Sendable, Equatable {
    /// Host names, or `*.domain` for any name under `domain`; nil allows every host.
    public var allowedHosts: [String]?

    public init(allowedHosts: [String]? = nil) {
        self.allowedHosts = allowedHosts.map { $0.map { $0.lowercased() } }
    }

    /// Why `url` may not be called; nil when it may.
    public func refusal(for url: String) -> String? {
        guard let allowedHosts else { return nil }
        guard let host = URL(string: url)?.host?.lowercased(), !host.isEmpty else {
            return "\(url) is not a URL with a host"
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        for pattern in allowedHosts {
            if pattern.hasPrefix("*.") {
                if bare.hasSuffix(pattern.dropFirst()) && bare.count > pattern.count - 1 { return nil }
            } else if bare == pattern {
                return nil
            }
        }
        return "\(bare) is not in outbound.allowedHosts of serin.yaml; add it there to let Serin call it"
    }
}
