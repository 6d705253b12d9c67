import SerinHTTP
import Foundation
import SerinEngine
import SerinSpec

/// Calls a Canary's webhooks with Flagger's payload
/// (`{"name","namespace","phase","checksum","metadata"}`) as a JSON POST;
/// 200, 201 and 202 pass (Flagger fails anything above 202). Connection
/// errors and 5xx answers are retried `retries` times; every attempt has
/// the hook's timeout; `disableTLS` skips the certificate check.
public struct WebhookCaller: Sendable {
    public struct Result: Sendable, Equatable {
        public var name: String
        public var type: WebhookType
        /// The last HTTP status, nil when no answer came.
        public var status: Int?
        public var passed: Bool
        public var message: String
    }

    let policy: OutboundPolicy

    public init(policy: OutboundPolicy = OutboundPolicy()) {
        self.policy = policy
    }

    /// Calls every hook of `type` in the plan, in order.
    public func call(_ type: WebhookType, of plan: Plan, phase: RolloutPhase, checksum: String,
                     extraMetadata: [String: String] = [:]) async -> [Result] {
        var results: [Result] = []
        for hook in plan.webhooks where hook.type == type {
            results.append(await call(hook, name: plan.name, namespace: plan.namespace, phase: phase, checksum: checksum,
                                      metadata: hook.metadata.merging(extraMetadata) { $1 }))
        }
        return results
    }

    /// An `event` webhook, as Flagger's `CallEventWebhook`: the event's
    /// message, type (Normal or Warning) and time in milliseconds in the
    /// metadata, the hook's own metadata beside them (never over them).
    public func event(_ message: String, warning: Bool, of plan: Plan, phase: RolloutPhase, checksum: String,
                      now: Double = Date().timeIntervalSince1970) async -> [Result] {
        var results: [Result] = []
        for hook in plan.webhooks where hook.type == .event {
            var metadata = ["eventMessage": message, "eventType": warning ? "Warning" : "Normal", "timestamp": String(Int64(now * 1000))]
            metadata.merge(hook.metadata) { event, _ in event }
            results.append(await call(hook, name: plan.name, namespace: plan.namespace, phase: phase, checksum: checksum, metadata: metadata))
        }
        return results
    }

    public func call(_ hook: PlanWebhook, name: String, namespace: String, phase: RolloutPhase, checksum: String,
                     metadata: [String: String]) async -> Result {
        struct Payload: Encodable {
            var name: String
            var namespace: String
            var phase: String
            var checksum: String
            var metadata: [String: String]?
        }
        let body = (try? JSONEncoder().encode(Payload(name: name, namespace: namespace, phase: phase.rawValue, checksum: checksum,
                                                      metadata: metadata.isEmpty ? nil : metadata))) ?? Data()
        guard let url = URL(string: hook.url), url.scheme == "http" || url.scheme == "https" else {
            return Result(name: hook.name, type: hook.type, status: nil, passed: false, message: "\(hook.url) is not an http(s) URL")
        }
        if let refusal = policy.refusal(for: hook.url) {
            return Result(name: hook.name, type: hook.type, status: nil, passed: false,
                          message: "\(hook.type.rawValue) webhook \(hook.name) not called: \(refusal)")
        }
        var last = Result(name: hook.name, type: hook.type, status: nil, passed: false, message: "not called")
        for attempt in 0...max(0, hook.retries) {
            do {
                let reply = try await HTTPExchange.send(.POST, url.absoluteString, headers: [("Content-Type", "application/json")],
                                                        body: body, timeout: hook.timeout, followRedirects: false,
                                                        options: HTTPExchange.Options(verifiesCertificates: !hook.disableTLS))
                let status = reply.status
                // The status only: the message reaches the event log and the
                // API, and a body may hold whatever the called service says.
                // Passed as Flagger counts it: 200 to 202.
                last = Result(name: hook.name, type: hook.type, status: status, passed: (200...202).contains(status),
                              message: "\(hook.type.rawValue) webhook \(hook.name) answered \(status)")
                if status < 500 { return last }
            } catch {
                last = Result(name: hook.name, type: hook.type, status: nil, passed: false,
                              message: "\(hook.type.rawValue) webhook \(hook.name) did not answer: \(error)")
            }
            if attempt < hook.retries { try? await Task.sleep(for: .milliseconds(200 * (1 << min(attempt, 5)))) }
        }
        return last
    }
}
