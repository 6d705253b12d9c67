import Foundation
import SerinHTTP
import SerinSpec

/// A Git source's sync failing or recovering, sent to the AlertProviders
/// its revision in force declares (as Flux's notification controller tells
/// a source's providers), in each provider's format.
public struct SourceAlert: Sendable, Equatable {
    public var source: String
    /// The revision refused, or the one in force.
    public var revision: String?
    /// True for a failure, false for a recovery.
    public var failing: Bool
    public var message: String
    /// `drift`: something changed by hand in the cluster was put back (or could not be).
    public var drift = false

    public init(source: String, revision: String?, failing: Bool, message: String) {
        self.source = source
        self.revision = revision
        self.failing = failing
        self.message = message
    }

    /// One delivery per provider with an address; the failures, one line each
    /// (`provider: why`), for the operator's log.
    public func send(to providers: [String: AlertProviderSpec], policy: OutboundPolicy = OutboundPolicy()) async -> [String] {
        var failures: [String] = []
        for (name, provider) in providers.sorted(by: { $0.key < $1.key }) {
            guard let address = provider.address, let url = URL(string: address), url.scheme != nil else {
                failures.append("\(name): no usable address")
                continue
            }
            if let refusal = policy.refusal(for: address) {
                failures.append("\(name): \(refusal)")
                continue
            }
            do {
                let reply = try await HTTPExchange.send(.POST, url.absoluteString, headers: [("Content-Type", "application/json")],
                                                        body: payload(for: provider), timeout: .seconds(10), followRedirects: false)
                if !(200..<300).contains(reply.status) { failures.append("\(name): answered \(reply.status)") }
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        return failures
    }

    func payload(for provider: AlertProviderSpec) -> Data {
        let title = "source \(source)"
        let state = drift ? (failing ? "drift not corrected" : "drift corrected") : failing ? "sync failed" : "sync recovered"
        let text = "\(state): \(message)"
        let object: [String: Any]
        switch provider.type ?? "generic" {
        case "slack", "discord", "rocket":
            object = [
                "channel": provider.channel ?? "general", "username": provider.username ?? "serin", "text": title,
                "attachments": [["color": failing ? "danger" : drift ? "warning" : "good", "title": title, "text": text, "fields": [
                    ["title": "Revision", "value": revision ?? "-", "short": true],
                ]]],
            ]
        case "msteams":
            object = [
                "@type": "MessageCard", "@context": "http://schema.org/extensions", "themeColor": failing ? "FF0000" : "0076D7",
                "summary": title, "sections": [["activityTitle": title, "text": text, "facts": [["name": "Revision", "value": revision ?? "-"]]]],
            ]
        case "gchat":
            object = ["text": "*\(title)*\n\(text)"]
        default:
            object = ["source": source, "severity": failing ? "error" : drift ? "warning" : "info",
                      "event": drift ? "Drift" : failing ? "SyncFailed" : "SyncRecovered",
                      "message": message, "revision": revision ?? ""]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
