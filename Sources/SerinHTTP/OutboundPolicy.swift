import Foundation

/// Where the operator may send requests a manifest asks for (a
/// MetricTemplate's Prometheus, a webhook, an alert provider):
/// `outbound.allowedHosts` in serin.yaml. Without a list, every host.
public struct OutboundPolicy: Sendable, Equatable {
    /// Host names, or `*.domain` for any name under `domain`; nil allows every host.
    public var allowedHosts: [String]?

    public init(allowedHosts: [String]? = nil) {
        self.allowedHosts = allowedHosts
    }

    /// Why `url` may not be called; nil when it may.
    public func refusal(for url: String) -> String? {
        nil
    }
}
