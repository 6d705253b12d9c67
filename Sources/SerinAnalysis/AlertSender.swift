import Foundation
import Logging
import Metrics
import SerinEngine
import SerinHTTP
import SerinSpec

/// Sends a rollout's notifications to its alert providers: Slack (and the
/// Slack-compatible Discord and Rocket.Chat), Microsoft Teams, Google Chat,
/// and a generic JSON webhook. An alert of severity `info` receives every
/// notification, `warn` warnings and errors, `error` errors only, as in
/// Flagger.
///
/// A message that could not be delivered (no usable address, no answer, or
/// an answer other than 2xx) is logged as a warning and counted in
/// `serin_alerts_failed_total{provider}`: nobody reads the alerts that did
/// not arrive, so the operator's log and metrics have to say so.
public struct AlertSender: Sendable {
    public struct Delivery: Sendable, Equatable {
        public var alert: String
        public var status: Int?
        public var message: String
    }

    let logger: Logger
    /// nil: the process's (`MetricsSystem.bootstrap`).
    let metrics: (any MetricsFactory)?
    let policy: OutboundPolicy

    public init(logger: Logger = Logger(label: "serin.alerts"), metrics: (any MetricsFactory)? = nil, policy: OutboundPolicy = OutboundPolicy()) {
        self.logger = logger
        self.metrics = metrics
        self.policy = policy
    }

    public static let failedMetric = "serin_alerts_failed_total"

    static func rank(_ severity: AlertSeverity) -> Int {
        switch severity { case .info: 0; case .warn: 1; case .error: 2 }
    }

    static func rank(_ severity: RolloutNotification.Severity) -> Int {
        switch severity { case .info: 0; case .warn: 1; case .error: 2 }
    }

    /// The alerts of `plan` that want a notification of this severity.
    public static func recipients(of plan: Plan, for severity: RolloutNotification.Severity) -> [PlanAlert] {
        plan.alerts.filter { rank($0.severity) <= rank(severity) }
    }

    public func send(_ notification: RolloutNotification, of plan: Plan, revision: String?,
                     providers: [String: AlertProviderSpec]) async -> [Delivery] {
        var deliveries: [Delivery] = []
        for alert in Self.recipients(of: plan, for: notification.severity) {
            guard let provider = providers["\(alert.providerNamespace)/\(alert.providerName)"], let address = provider.address,
                  let url = URL(string: address) else {
                let delivery = Delivery(alert: alert.name, status: nil, message: "AlertProvider \(alert.providerName) has no usable address")
                failed(delivery, alert: alert, plan: plan)
                deliveries.append(delivery)
                continue
            }
            if let refusal = policy.refusal(for: address) {
                let delivery = Delivery(alert: alert.name, status: nil, message: "not sent to \(alert.providerName): \(refusal)")
                failed(delivery, alert: alert, plan: plan)
                deliveries.append(delivery)
                continue
            }
            let body = Self.payload(for: provider.type ?? "generic", notification, plan: plan, revision: revision, provider: provider)
            let delivery: Delivery
            do {
                let reply = try await HTTPExchange.send(.POST, url.absoluteString, headers: [("Content-Type", "application/json")],
                                                        body: body, timeout: .seconds(10), followRedirects: false)
                let accepted = (200..<300).contains(reply.status)
                delivery = Delivery(alert: alert.name, status: reply.status,
                                    message: accepted ? "sent to \(alert.providerName): \(reply.status)" : "refused by \(alert.providerName): \(reply.status)")
            } catch {
                delivery = Delivery(alert: alert.name, status: nil, message: "not sent to \(alert.providerName): \(error)")
            }
            if !(200..<300).contains(delivery.status ?? 0) { failed(delivery, alert: alert, plan: plan) }
            deliveries.append(delivery)
        }
        return deliveries
    }

    private func failed(_ delivery: Delivery, alert: PlanAlert, plan: Plan) {
        let dimensions = [("provider", alert.providerName)]
        if let metrics {
            Counter(label: Self.failedMetric, dimensions: dimensions, factory: metrics).increment()
        } else {
            Counter(label: Self.failedMetric, dimensions: dimensions).increment()
        }
        logger.warning("alert not delivered", metadata: [
            "rollout": "\(plan.namespace)/\(plan.name)", "alert": "\(alert.name)", "provider": "\(alert.providerNamespace)/\(alert.providerName)",
            "reason": "\(delivery.message)",
        ])
    }

    static func payload(for type: String, _ notification: RolloutNotification, plan: Plan, revision: String?,
                        provider: AlertProviderSpec) -> Data {
        let title = "\(plan.name).\(plan.namespace)"
        let text = "\(notification.phase.rawValue): \(notification.message)"
        let color = notification.severity == .error ? "danger" : notification.severity == .warn ? "warning" : "good"
        let object: [String: Any]
        switch type {
        case "slack", "discord", "rocket":
            object = [
                "channel": provider.channel ?? "general", "username": provider.username ?? "serin",
                "text": title,
                "attachments": [["color": color, "title": title, "text": text, "fields": [
                    ["title": "Revision", "value": revision ?? "-", "short": true],
                    ["title": "Phase", "value": notification.phase.rawValue, "short": true],
                ]]],
            ]
        case "msteams":
            object = [
                "@type": "MessageCard", "@context": "http://schema.org/extensions",
                "themeColor": notification.severity == .error ? "FF0000" : "0076D7", "summary": title,
                "sections": [["activityTitle": title, "text": text, "facts": [
                    ["name": "Revision", "value": revision ?? "-"], ["name": "Phase", "value": notification.phase.rawValue],
                ]]],
            ]
        case "gchat":
            object = ["text": "*\(title)*\n\(text)"]
        default:
            object = [
                "name": plan.name, "namespace": plan.namespace, "phase": notification.phase.rawValue,
                "severity": notification.severity.rawValue, "message": notification.message, "revision": revision ?? "",
            ]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
