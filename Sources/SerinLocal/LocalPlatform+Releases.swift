import Foundation
import SerinEngine
import SerinRouter
import SerinSpec

/// The engine's platform on one host: a `Workload` runs as supervised
/// processes behind Serin's router, primary and canary side by side.
extension LocalPlatform: Platform {
    public typealias Revision = LocalRevision

    public nonisolated var targetKinds: Set<String> { ["Workload"] }

    /// The router's and the supervisor's name for a workload: its name in
    /// the default namespace, `name.namespace` elsewhere (both name files).
    public nonisolated static func key(_ workload: WorkloadID) -> String {
        workload.namespace == ResourceKey.defaultNamespace ? workload.name : "\(workload.name).\(workload.namespace)"
    }

    nonisolated static func workloadID(key: String) -> WorkloadID {
        guard let dot = key.firstIndex(of: ".") else { return WorkloadID(name: key) }
        return WorkloadID(namespace: String(key[key.index(after: dot)...]), name: String(key[..<dot]))
    }

    public nonisolated func revisions(in desired: DesiredState) async throws -> PlatformSelection<LocalRevision> {
        guard let checkout = desired.checkout else {
            throw SupervisorError("\(desired.revision) has no checkout: the local platform runs workloads from their revision's files")
        }
        var selection = PlatformSelection<LocalRevision>(revisions: [])
        for workload in desired.manifests.workloads {
            guard let template = workload.spec.template, let port = workload.spec.service?.port else {
                selection.refused.append((workload.key, "has no template or service.port, so there is nothing to run"))
                continue
            }
            selection.revisions.append(LocalRevision(workload: WorkloadID(namespace: workload.namespace, name: workload.name), template: template,
                                                     replicas: workload.spec.replicas ?? 1, port: port, snapshot: checkout, origin: desired.origin))
        }
        for canary in desired.manifests.canaries {
            guard let kind = canary.spec.targetRef?.kind, !targetKinds.contains(kind) else { continue }
            selection.refused.append((canary.key, "targets a \(kind), which runs on the kubernetes platform; this operator runs the local one"))
        }
        return selection
    }

    public func restore() async throws -> String {
        let report = try await start()
        return "router \(report.routerAdopted ? "adopted" : "started"); processes adopted \(report.processes.adopted.count), restarted \(report.processes.restarted.count)"
    }

    public func deployPrimary(_ revision: LocalRevision) async throws {
        try await deploy(revision, role: .primary)
    }

    public func startCanary(_ revision: LocalRevision) async throws {
        do {
            try await deploy(revision, role: .canary)
        } catch let error as SupervisorError where error.cannotStart {
            throw RevisionCannotStart(error.description)
        }
    }

    private func deploy(_ revision: LocalRevision, role: Role) async throws {
        try await deploy(workload: Self.key(revision.workload), role: role, revision: revision.id, template: revision.template,
                         replicas: revision.replicas, snapshot: URL(fileURLWithPath: revision.snapshot), port: revision.port)
    }

    public func scaleCanaryToZero(_ workload: WorkloadID) async throws {
        try await scaleCanary(workload: Self.key(workload), replicas: 0)
    }

    /// Without `keepingCanary`, the canary's processes become the primary's
    /// and take all the traffic. With it (stepWeightPromotion), new primary
    /// processes of the canary's revision replace the old ones while the
    /// canary's go on serving their share, which the rollout then moves to
    /// the primary step by step.
    public func promote(_ revision: LocalRevision, keepingCanary: Bool) async throws {
        if keepingCanary {
            try await deploy(revision, role: .primary)
        } else {
            try await promote(workload: Self.key(revision.workload))
        }
    }

    public func remove(_ workload: WorkloadID) async throws {
        try await remove(workload: Self.key(workload))
    }

    /// The router honours every request condition but those about the
    /// mesh (`sourceLabels`, `sourceNamespace`, `gateways`, `port`), which
    /// validation refuses for the local platform.
    public func setRoutes(_ routes: TrafficRoutes, for workload: WorkloadID) async throws {
        let match = routes.match.map(MatchCondition.init)
        let affinity = routes.sessionAffinity.map {
            SessionAffinity(cookieName: $0.cookieName, primaryCookieName: $0.primaryCookieName, maxAge: $0.maxAge)
        }
        try await setTraffic(Traffic(canaryWeight: routes.canaryWeight, mirrorWeight: routes.mirrorWeight, match: match, sessionAffinity: affinity),
                             workload: Self.key(workload))
    }

    public func isReady(_ revision: String, as role: WorkloadRole, of workload: WorkloadID) async -> Bool {
        await supervisor.isReady(workload: Self.key(workload), role: Role(role), revision: revision)
    }

    public func running(_ workload: WorkloadID) async -> RunningRevisions {
        await running(key: Self.key(workload))
    }

    /// The revision each role's processes run; while they disagree (a
    /// replacement in progress), the one started last.
    func running(key: String) async -> RunningRevisions {
        let instances = await supervisor.status().filter { $0.workload == key }.sorted { $0.replica < $1.replica }
        return RunningRevisions(primary: instances.last { $0.role == .primary }?.revision,
                                canary: instances.last { $0.role == .canary }?.revision)
    }

    /// The primary's replicas of the revision it runs, the canary's, the
    /// listener's port, and a route the router refused.
    public func health(of workload: WorkloadID) async -> WorkloadHealth {
        let key = Self.key(workload)
        let instances = await supervisor.status().filter { $0.workload == key && $0.state != .stopping }
        let running = await running(key: key)
        let primary = instances.filter { $0.role == .primary && $0.revision == running.primary }
        let canary = instances.filter { $0.role == .canary && $0.revision == running.canary }
        return WorkloadHealth(replicas: primary.count, readyReplicas: primary.filter(\.ready).count,
                              canaryReplicas: canary.count, canaryReadyReplicas: canary.filter(\.ready).count,
                              port: listenerPort(key), problem: routeRefusal(key).map { ("RouteRefused", $0) })
    }

    public nonisolated func readinessChanges() -> AsyncStream<ReadinessChange> { readiness.stream }
}

extension Role {
    init(_ role: WorkloadRole) {
        switch role {
        case .primary: self = .primary
        case .canary: self = .canary
        }
    }
}

extension MatchCondition {
    init(_ request: HTTPMatchRequest) {
        func map(_ matches: [String: SerinSpec.StringMatch]?) -> [String: SerinRouter.StringMatch] {
            (matches ?? [:]).mapValues(SerinRouter.StringMatch.init)
        }
        self.init(uri: request.uri.map(SerinRouter.StringMatch.init), ignoreUriCase: request.ignoreUriCase ?? false,
                  scheme: request.scheme.map(SerinRouter.StringMatch.init), method: request.method.map(SerinRouter.StringMatch.init),
                  authority: request.authority.map(SerinRouter.StringMatch.init), headers: map(request.headers),
                  queryParams: map(request.queryParams), withoutHeaders: map(request.withoutHeaders))
    }
}

extension SerinRouter.StringMatch {
    init(_ match: SerinSpec.StringMatch) {
        self.init(exact: match.exact, prefix: match.prefix, suffix: match.suffix, regex: match.regex)
    }
}
