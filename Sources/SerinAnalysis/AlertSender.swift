import Foundation
import Logging
import Metrics
import SerinEngine
import SerinHTTP
import SerinSpec

public struct AlertProviderProblem: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}

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
    /// The Secrets of providers' `secretRef` (the cluster's); nil on the local platform.
    let secrets: (any SecretReader)?

    let policy: OutboundPolicy

    public init(logger: Logger = Logger(label: "serin.alerts"), metrics: (any MetricsFactory)? = nil, secrets: (any SecretReader)? = nil,
                policy: OutboundPolicy = OutboundPolicy()) {
        self.logger = logger
        self.metrics = metrics
        self.secrets = secrets
        self.policy = policy
    }

    /// Where a provider's messages go, as Flagger reads it: `address`, or
    /// the Secret's `address` (required then), its `token` sent as a bearer
    /// token, and a proxy (`proxy`, or the Secret's).
    struct Destination {
        var address: String
        var token: String?
        var proxy: String?
    }

    func destination(_ provider: AlertProviderSpec, namespace: String, name: String) async -> Result<Destination, AlertProviderProblem> {
        guard let secretName = provider.secretRef?.name else {
            guard let address = provider.address, !address.isEmpty else { return .failure(.init("AlertProvider \(name) has no address")) }
            return .success(Destination(address: address, proxy: provider.proxy))
        }
        guard let secrets else {
            return .failure(.init("AlertProvider \(name)'s secretRef names Secret \(secretName), which only the kubernetes platform can read"))
        }
        let data: [String: Data]?
        do {
            data = try await secrets.secret(secretName, namespace: namespace)
        } catch {
            return .failure(.init("AlertProvider \(name): Secret \(namespace)/\(secretName) cannot be read: \(error)"))
        }
        guard let data else { return .failure(.init("AlertProvider \(name): Secret \(namespace)/\(secretName) does not exist")) }
        let text = data.mapValues { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let address = text["address"], !address.isEmpty else {
            return .failure(.init("AlertProvider \(name): Secret \(namespace)/\(secretName) has no key address"))
        }
        return .success(Destination(address: address, token: text["token"], proxy: text["proxy"] ?? provider.proxy))
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
            guard let provider = providers["\(alert.providerNamespace)/\(alert.providerName)"] else {
                let delivery = Delivery(alert: alert.name, status: nil, message: "AlertProvider \(alert.providerNamespace)/\(alert.providerName) is not in the manifests")
                failed(delivery, alert: alert, plan: plan)
                deliveries.append(delivery)
                continue
            }
            let found = await destination(provider, namespace: alert.providerNamespace, name: alert.providerName)
            guard case .success(let destination) = found, var url = URL(string: destination.address) else {
                let reason = if case .failure(let problem) = found { problem.message } else { "AlertProvider \(alert.providerName) has no usable address" }
                let delivery = Delivery(alert: alert.name, status: nil, message: reason)
                failed(delivery, alert: alert, plan: plan)
                deliveries.append(delivery)
                continue
            }
            // The allow-list covers where a Secret points as well, and its proxy.
            if let refusal = policy.refusal(for: destination.address) ?? destination.proxy.flatMap({ policy.refusal(for: $0) }) {
                let delivery = Delivery(alert: alert.name, status: nil, message: "not sent to \(alert.providerName): \(refusal)")
                failed(delivery, alert: alert, plan: plan)
                deliveries.append(delivery)
                continue
            }
            let type = provider.type ?? "generic"
            // Discord takes Slack's payload at <hook>/slack (Flagger's notifier).
            if type == "discord" && !url.path.hasSuffix("/slack") { url.appendPathComponent("slack") }
            let body = Self.payload(for: type, notification, plan: plan, revision: revision, provider: provider)
            var headers = [("Content-Type", "application/json")]
            if let token = destination.token, !token.isEmpty { headers.append(("Authorization", "Bearer \(token)")) }
            let delivery: Delivery
            do {
                let reply = try await HTTPExchange.send(.POST, url.absoluteString, headers: headers, body: body, timeout: .seconds(10),
                                                        followRedirects: false, options: HTTPExchange.Options(proxy: destination.proxy))
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
        let object: [String: Any]
        switch type {
        case "slack", "discord", "rocket":
            // Flagger's SlackPayload: one attachment, the workload as its author.
            object = [
                "channel": provider.channel ?? "general", "username": provider.username ?? "flagger", "icon_emoji": ":rocket:",
                "attachments": [["color": notification.severity == .error ? "danger" : "good", "author_name": title, "text": text,
                                 "mrkdwn_in": ["text"], "fields": [
                                     ["title": "Revision", "value": revision ?? "-", "short": false],
                                     ["title": "Phase", "value": notification.phase.rawValue, "short": false],
                                 ]]],
            ]
        case "msteams":
            object = [
                "@type": "MessageCard", "@context": "http://schema.org/extensions",
                "themeColor": notification.severity == .error ? "FF0000" : "0076D7", "summary": title,
                "sections": [["activityTitle": text, "activitySubtitle": title, "facts": [
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
