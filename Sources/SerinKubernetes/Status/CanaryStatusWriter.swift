import Foundation
import SerinEngine

/// Flagger's status on each Canary, written through `/status` with
/// server-side apply, so `kubectl get canaries` shows what it shows with
/// Flagger; and each decision of a rollout as a Kubernetes Event on its
/// Canary (`kubectl describe canary`). A status is written only when it
/// changed: a steady rollout costs no request.
public actor CanaryStatusWriter {
    public static let fieldManager = "serin"
    private let client: KubeClient
    /// What the platform adds (tracked configs, session cookies).
    private let details: @Sendable (RolloutStatus) -> CanaryStatusDetails
    /// The last status written, by `namespace/name`.
    private var written: [String: Canary.Status] = [:]
    private var uids: [String: String] = [:]

    public init(client: KubeClient, details: @escaping @Sendable (RolloutStatus) -> CanaryStatusDetails = { _ in CanaryStatusDetails() }) {
        self.client = client
        self.details = details
    }

    public func write(_ rollout: RolloutStatus, now: Date = Date()) async throws {
        let key = "\(rollout.namespace)/\(rollout.name)"
        var previous = written[key]
        if previous == nil {
            let canary = try await client.resources(Canary.self).get(rollout.name, namespace: rollout.namespace)
            uids[key] = canary.metadata.uid
            previous = canary.status
        }
        let status = Self.status(of: rollout, previous: previous, now: now, details: details(rollout))
        guard status != previous else { return }
        let canaries = client.resources(Canary.self)
        _ = try await canaries.applyStatus(Canary(metadata: .init(name: rollout.name, namespace: rollout.namespace), status: status),
                                           fieldManager: Self.fieldManager, force: true)
        written[key] = status
    }

    /// The Canary an entry of the event log is about: a rollout's
    /// `namespace/name`, or the `Canary namespace/name` of a remark on one
    /// (a refusal, a note: a target only the cluster declares); nil for a
    /// remark on another kind of object, which has no Canary to show it on.
    public static func canary(of rollout: String) -> RolloutID? {
        guard let space = rollout.firstIndex(of: " ") else { return RolloutID(parsing: rollout) }
        guard rollout[..<space] == "Canary" else { return nil }
        return RolloutID(parsing: String(rollout[rollout.index(after: space)...]))
    }

    /// One decision of the event log as an Event on its Canary (none for a remark on another kind).
    public func record(_ entry: EventLog.Entry, now: Date = Date()) async throws {
        guard let id = Self.canary(of: entry.rollout) else { return }
        let key = id.description
        if uids[key] == nil {
            // A plain workload's rollout (no Canary releases it) has no object to carry its Events:
            // its decisions are in the audit trail (`serin events`) only.
            guard let canary = try await client.resources(Canary.self).getIfPresent(id.name, namespace: id.namespace) else { return }
            uids[key] = canary.metadata.uid
        }
        let warning = ["Failed", "rolledBack", "error", "canaryUnready", "unsupported"].contains(entry.decision)
        let time = Self.timestamp(Date(timeIntervalSince1970: entry.time))
        var event = Event(metadata: ObjectMeta(name: "\(id.name).\(String(UInt64(entry.time * 1_000_000), radix: 16)).\(entry.sequence)",
                                               namespace: id.namespace),
                          involvedObject: .init(apiVersion: Canary.resourceKind.apiVersion, kind: "Canary", name: id.name,
                                                namespace: id.namespace, uid: uids[key]),
                          reason: entry.decision, message: entry.revision.map { "\(entry.reason) (revision \($0))" } ?? entry.reason,
                          type: warning ? "Warning" : "Normal", source: .init(component: "serin"))
        event.firstTimestamp = time
        event.lastTimestamp = time
        event.count = 1
        _ = try await client.resources(Event.self).create(event)
    }

    /// Flagger's fields for the rollout; `lastTransitionTime` and the
    /// condition's times move only when the phase does. Only phases
    /// Flagger's CRD accepts: a paused rollout is `Waiting`, its condition
    /// says paused.
    static func status(of rollout: RolloutStatus, previous: Canary.Status?, now: Date,
                       details: CanaryStatusDetails = CanaryStatusDetails()) -> Canary.Status {
        let phase = rollout.phase == .paused ? RolloutPhase.waiting.rawValue : rollout.phase.rawValue
        let changed = previous?.phase != phase || (previous?.conditions?.first?.reason == "Paused") != (rollout.phase == .paused)
        let time = changed ? timestamp(now) : previous?.lastTransitionTime ?? timestamp(now)
        var promoted: (status: String, reason: String, message: String) = switch rollout.phase {
        case .initializing: ("Unknown", "Initializing", "Deployment initialization in progress.")
        case .initialized: ("True", "Initialized", "Deployment initialization completed.")
        case .succeeded: ("True", "Succeeded", "Canary analysis completed successfully, promotion finished.")
        case .failed: ("False", "Failed", "Canary analysis failed, Deployment scaled to zero.")
        case .waiting: ("Unknown", "Waiting", "Waiting for approval: \(rollout.message)")
        case .waitingPromotion: ("Unknown", "WaitingPromotion", "Waiting for approval to promote: \(rollout.message)")
        case .promoting, .finalising: ("Unknown", rollout.phase.rawValue, "Canary analysis completed, promotion in progress.")
        case .paused: ("Unknown", "Paused", "Paused by hand (serin pause): \(rollout.message)")
        case .progressing: ("Unknown", "Progressing", "New revision detected, progressing canary analysis.")
        }
        if rollout.suspended == true { promoted.message = "Suspended (spec.suspend): nothing moves until it is cleared. " + promoted.message }
        var status = Canary.Status(phase: phase, canaryWeight: rollout.canaryWeight, failedChecks: rollout.failedChecks,
                                   iterations: rollout.iterations ?? 0,
                                   lastAppliedSpec: rollout.canaryRevision ?? rollout.primaryRevision,
                                   lastPromotedSpec: rollout.primaryRevision, lastTransitionTime: time)
        status.trackedConfigs = details.trackedConfigs
        status.sessionAffinityCookie = details.sessionAffinityCookie
        status.previousSessionAffinityCookie = details.previousSessionAffinityCookie ?? previous?.previousSessionAffinityCookie
        status.conditions = [KubeCondition(type: "Promoted", status: promoted.status, reason: promoted.reason, message: promoted.message,
                                           lastTransitionTime: time, lastUpdateTime: time)]
        return status
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
