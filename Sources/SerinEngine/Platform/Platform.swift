import SerinSpec

/// Where a revision came from, for the audit trail and `serin history`.
public struct RevisionOrigin: Sendable, Codable, Hashable {
    /// The Git source that declared it.
    public var source: String
    /// The commit's full id.
    public var commit: String
    public var author: String?

    public init(source: String, commit: String, author: String?) {
        self.source = source
        self.commit = commit
        self.author = author
    }
}

/// A revision that cannot run as written (its command does not exist, its
/// working directory is missing): the release fails at once with this
/// reason instead of waiting out the progress deadline for a canary that
/// will never be ready.
public struct RevisionCannotStart: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// One revision of one workload, as the platform that runs it understands
/// it: what to run (a process template and its checkout, a pod template),
/// with an id that changes exactly when what runs changes.
public protocol PlatformRevision: Sendable, Codable, Hashable {
    var id: String { get }
    var workload: WorkloadID { get }
    var origin: RevisionOrigin { get }
    /// The kind of workload it is (`Workload`, `Deployment`, `DaemonSet`), for the API.
    var targetKind: String { get }
}

extension PlatformRevision {
    public var targetKind: String { "Workload" }
}

/// A readiness change of one revision of a workload, as the platform sees it.
public struct ReadinessChange: Sendable, Equatable {
    public var workload: WorkloadID
    public var role: WorkloadRole
    /// The revision the role runs now (nil when it runs nothing).
    public var revision: String?
    public var ready: Bool

    public init(workload: WorkloadID, role: WorkloadRole, revision: String?, ready: Bool) {
        self.workload = workload
        self.role = role
        self.revision = revision
        self.ready = ready
    }
}

/// What a workload runs now, by role.
public struct RunningRevisions: Sendable, Equatable {
    public var primary: String?
    public var canary: String?

    public init(primary: String? = nil, canary: String? = nil) {
        self.primary = primary
        self.canary = canary
    }

    public subscript(role: WorkloadRole) -> String? {
        switch role {
        case .primary: primary
        case .canary: canary
        }
    }
}

/// How a workload stands on its platform, for `GET /api/v1/workloads`.
public struct WorkloadHealth: Sendable, Equatable {
    /// Replicas of the primary wanted, and ready.
    public var replicas: Int
    public var readyReplicas: Int
    /// Replicas of the canary running, and ready (0 without a canary).
    public var canaryReplicas: Int
    public var canaryReadyReplicas: Int
    /// Where the workload is served (the local platform's listener port).
    public var port: Int?
    /// What keeps it from serving as declared, if anything: a CamelCase
    /// reason (`RouteRefused`) and a message naming the cause (the port and
    /// the system's error).
    public var problem: (reason: String, message: String)?

    public init(replicas: Int, readyReplicas: Int, canaryReplicas: Int = 0, canaryReadyReplicas: Int = 0, port: Int? = nil,
                problem: (reason: String, message: String)? = nil) {
        self.replicas = replicas
        self.readyReplicas = readyReplicas
        self.canaryReplicas = canaryReplicas
        self.canaryReadyReplicas = canaryReadyReplicas
        self.port = port
        self.problem = problem
    }

    public static func == (a: WorkloadHealth, b: WorkloadHealth) -> Bool {
        a.replicas == b.replicas && a.readyReplicas == b.readyReplicas && a.canaryReplicas == b.canaryReplicas
            && a.canaryReadyReplicas == b.canaryReadyReplicas && a.port == b.port
            && a.problem?.reason == b.problem?.reason && a.problem?.message == b.problem?.message
    }
}

/// What a platform makes of one source's desired state: the workloads it
/// runs, each as a revision it understands, and what it cannot run.
public struct PlatformSelection<Revision: PlatformRevision>: Sendable {
    public var revisions: [Revision]
    /// Resources of this revision the platform cannot run, with why.
    public var refused: [(resource: ResourceKey, reason: String)]
    /// What people should know about how a resource is run (a Canary's
    /// target found in the cluster rather than in Git), one line each.
    public var notes: [(resource: ResourceKey, note: String)]

    public init(revisions: [Revision], refused: [(resource: ResourceKey, reason: String)] = [],
                notes: [(resource: ResourceKey, note: String)] = []) {
        self.revisions = revisions
        self.refused = refused
        self.notes = notes
    }
}

/// Everything the reconciler and the rollout workers need from a platform
/// (supervised processes behind Serin's router locally; Deployments,
/// Services and a traffic provider on Kubernetes). Every call is
/// idempotent: after a restart the engine re-asserts what its saved state
/// says, and a call that finds its effect in place does nothing.
public protocol Platform: Sendable {
    associatedtype Revision: PlatformRevision

    /// The kinds a Canary's `targetRef` may name on this platform.
    var targetKinds: Set<String> { get }

    /// The workloads of one source's desired state, as revisions this
    /// platform runs.
    func revisions(in desired: DesiredState) async throws -> PlatformSelection<Revision>

    /// Adopts what runs from before a restart; the returned line is for the
    /// audit trail.
    func restore() async throws -> String

    /// Makes the primary run `revision` (a first deploy, a plain replacement
    /// without a Canary, or a primary restored after a restart), with no
    /// moment without a ready primary when one ran before.
    func deployPrimary(_ revision: Revision) async throws
    /// Starts (or restarts) the canary running `revision`. Throws
    /// `RevisionCannotStart` when it can never run as written.
    func startCanary(_ revision: Revision) async throws
    /// Traffic leaves the canary, then its replicas stop.
    func scaleCanaryToZero(_ workload: WorkloadID) async throws
    /// The canary's `revision` becomes the primary's, with no moment without
    /// a ready primary. Without `keepingCanary`, traffic returns to the
    /// primary at once. With it (stepWeightPromotion), the canary keeps
    /// running and keeps its share of the traffic: the rollout moves that
    /// share to the primary step by step with `setRoutes`, then calls
    /// `scaleCanaryToZero`.
    func promote(_ revision: Revision, keepingCanary: Bool) async throws
    /// Stops everything of a workload that left the desired state.
    func remove(_ workload: WorkloadID) async throws
    /// How the workload's requests are split, as the rollout decided.
    func setRoutes(_ routes: TrafficRoutes, for workload: WorkloadID) async throws

    /// Whether `role` of the workload runs `revision` and is ready.
    func isReady(_ revision: String, as role: WorkloadRole, of workload: WorkloadID) async -> Bool
    /// What the workload runs now.
    func running(_ workload: WorkloadID) async -> RunningRevisions
    /// Its replicas and anything that keeps it from serving.
    func health(of workload: WorkloadID) async -> WorkloadHealth
    /// Readiness changes of every workload, as they happen. One consumer.
    func readinessChanges() -> AsyncStream<ReadinessChange>
    /// Whether those changes are complete (false by default).
    var reportsEveryReadinessChange: Bool { get }
    /// The revision a workload's primary already runs when a rollout with
    /// no saved state starts (a cluster taken over from another operator),
    /// to adopt rather than deploy again; nil when there is none to adopt.
    func adoptablePrimary(of workload: WorkloadID) async -> String?
}

extension Platform {
    /// Whether `readinessChanges()` reports every change of what `isReady`
    /// answers (an informer's watch does): then nothing polls readiness
    /// between ticks. A platform that may miss one says no, and its
    /// rollouts also poll every `pollInterval`.
    public var reportsEveryReadinessChange: Bool { false }
    public func adoptablePrimary(of workload: WorkloadID) async -> String? { nil }
}
