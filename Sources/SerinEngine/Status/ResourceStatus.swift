/// One condition of a source or workload, as Kubernetes and Flux write
/// them: `Ready` (`True`, `False`, `Unknown`), `Reconciling`, `Stalled`.
public struct Condition: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case `true` = "True"
        case `false` = "False"
        case unknown = "Unknown"
    }

    public var type: String
    public var status: Status
    /// CamelCase, for machines: `Succeeded`, `ValidationFailed`, `FetchFailed`…
    public var reason: String
    /// For people: with file:line:column where a manifest is at fault.
    public var message: String
    /// Seconds since 1970 of the last change of `status` (not of the message).
    /// In JSON an RFC 3339 time in UTC (`2026-01-02T15:04:05Z`), as
    /// Kubernetes and Flux write it.
    public var lastTransitionTime: Double
    /// The revision the condition speaks of (the one attempted).
    public var observedRevision: String?

    public init(type: String, status: Status, reason: String, message: String, lastTransitionTime: Double,
                observedRevision: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.observedRevision = observedRevision
    }

    private enum CodingKeys: String, CodingKey {
        case type, status, reason, message, lastTransitionTime, observedRevision
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        status = try container.decode(Status.self, forKey: .status)
        reason = try container.decode(String.self, forKey: .reason)
        message = try container.decode(String.self, forKey: .message)
        observedRevision = try container.decodeIfPresent(String.self, forKey: .observedRevision)
        // Seconds since 1970 in what earlier versions saved.
        if let seconds = try? container.decode(Double.self, forKey: .lastTransitionTime) {
            lastTransitionTime = seconds
        } else {
            let text = try container.decode(String.self, forKey: .lastTransitionTime)
            guard let seconds = RFC3339.seconds(text) else {
                throw DecodingError.dataCorruptedError(forKey: .lastTransitionTime, in: container,
                                                       debugDescription: "not an RFC 3339 time: \(text)")
            }
            lastTransitionTime = seconds
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(status, forKey: .status)
        try container.encode(reason, forKey: .reason)
        try container.encode(message, forKey: .message)
        try container.encode(RFC3339.string(lastTransitionTime), forKey: .lastTransitionTime)
        try container.encodeIfPresent(observedRevision, forKey: .observedRevision)
    }
}

extension [Condition] {
    public subscript(type: String) -> Condition? { first { $0.type == type } }

    /// Sets condition `new.type`; the transition time is kept when the
    /// status is unchanged, as Kubernetes' `meta.SetStatusCondition` does.
    public mutating func set(_ new: Condition) {
        guard let index = firstIndex(where: { $0.type == new.type }) else {
            append(new)
            return
        }
        var new = new
        if self[index].status == new.status { new.lastTransitionTime = self[index].lastTransitionTime }
        self[index] = new
    }

    public mutating func remove(type: String) { removeAll { $0.type == type } }

    /// `Ready` is `True`.
    public var isReady: Bool { self["Ready"]?.status == .true }
}

/// A commit as the API shows it.
public struct CommitSummary: Sendable, Codable, Equatable {
    public var id: String
    /// The first line of the message.
    public var subject: String
    public var author: String
    /// Seconds since 1970 (the author's date).
    public var time: Double

    public init(id: String, subject: String, author: String, time: Double) {
        self.id = id
        self.subject = subject
        self.author = author
        self.time = time
    }
}

/// What `GET /api/v1/sources` shows of one Git source.
public struct SourceStatusReport: Sendable, Codable, Equatable {
    public var name: String
    public var url: String
    /// `branch main`, `tag v1`, `semver >=1.0`, `commit <sha>`.
    public var ref: String
    public var path: String
    /// The revision the operator acts on (the last good one); nil before the first.
    public var revision: String?
    /// Its commit.
    public var commit: CommitSummary?
    /// The newest revision tried, when it is not `revision` (a refused commit).
    public var lastAttemptedRevision: String?
    /// Seconds since 1970 of the last poll that answered (good or refused).
    public var lastSyncTime: Double?
    public var conditions: [Condition]
    /// Problems of the last attempt, one line each (`file:line:column: error: …`).
    public var errors: [String]
    /// Warnings of the revision in force.
    public var warnings: [String]
    /// The last revision every target applied; nil in answers of operators older than it.
    public var lastAppliedRevision: String?
    /// Set while the source is suspended.
    public var suspension: SourceSuspension?
    /// Set while the source is pinned to an earlier revision.
    public var pin: SourcePin?
    /// Objects the source applied to the cluster (its inventory); nil on the local platform.
    public var inventory: Int?
    /// A staged source's waves: where its newest revision stands.
    public var waves: WaveStatus?
    /// With several targets (clusters): the revision each holds and how.
    public var targets: [String: TargetReport]?

    public init(name: String, url: String, ref: String, path: String, revision: String?, commit: CommitSummary?,
                lastAttemptedRevision: String?, lastSyncTime: Double?, conditions: [Condition], errors: [String], warnings: [String],
                lastAppliedRevision: String? = nil, suspension: SourceSuspension? = nil, pin: SourcePin? = nil, inventory: Int? = nil) {
        self.lastAppliedRevision = lastAppliedRevision
        self.suspension = suspension
        self.pin = pin
        self.inventory = inventory
        self.name = name
        self.url = url
        self.ref = ref
        self.path = path
        self.revision = revision
        self.commit = commit
        self.lastAttemptedRevision = lastAttemptedRevision
        self.lastSyncTime = lastSyncTime
        self.conditions = conditions
        self.errors = errors
        self.warnings = warnings
    }
}

/// What `GET /api/v1/workloads` shows of one workload (a `Workload` on the
/// local platform, a `Deployment` on Kubernetes).
public struct WorkloadStatusReport: Sendable, Codable, Equatable {
    public var name: String
    public var namespace: String
    /// `Workload` or `Deployment`.
    public var kind: String
    /// The Git source that declares it.
    public var source: String
    /// The revision the primary runs; nil until it first ran.
    public var primaryRevision: String?
    /// The revision Git declares (differs from the primary's during a release).
    public var desiredRevision: String?
    public var replicas: Int
    public var readyReplicas: Int
    /// The canary's revision while one runs.
    public var canaryRevision: String?
    /// The Canary that releases it, if any.
    public var rollout: String?
    /// For the local platform: the port its listener serves.
    public var port: Int?
    public var conditions: [Condition]
    /// The cluster it runs in, when the operator has several; nil otherwise.
    public var cluster: String?

    public init(name: String, namespace: String, kind: String, source: String, primaryRevision: String?, desiredRevision: String?,
                replicas: Int, readyReplicas: Int, canaryRevision: String?, rollout: String?, port: Int?, conditions: [Condition]) {
        self.name = name
        self.namespace = namespace
        self.kind = kind
        self.source = source
        self.primaryRevision = primaryRevision
        self.desiredRevision = desiredRevision
        self.replicas = replicas
        self.readyReplicas = readyReplicas
        self.canaryRevision = canaryRevision
        self.rollout = rollout
        self.port = port
        self.conditions = conditions
    }
}
