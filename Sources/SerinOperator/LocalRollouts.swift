import Foundation
import SerinEngine
import SerinLocal
import SerinRouter
import SerinSpec

/// The engine's platform and traffic router on the local platform: maps a
/// rollout to its workload, a revision to what it runs, and the machine's
/// `Routes` to a router table entry (with the Canary's match conditions and
/// session affinity).
actor LocalRollouts: WorkloadPlatform, TrafficRouter {
    struct Binding: Sendable {
        var workload: String
        var match: [MatchCondition]
        var affinity: SerinRouter.SessionAffinity?
    }

    let platform: LocalPlatform
    private var catalog: RevisionCatalog
    private var bindings: [RolloutID: Binding] = [:]

    init(platform: LocalPlatform, stateDirectory: String) {
        self.platform = platform
        catalog = RevisionCatalog(stateDirectory: stateDirectory)
    }

    func bind(_ rollout: RolloutID, _ binding: Binding) { bindings[rollout] = binding }
    func unbind(_ rollout: RolloutID) { bindings[rollout] = nil }
    func record(_ revision: WorkloadRevision) throws { try catalog.insert(revision) }
    func revision(_ id: String) -> WorkloadRevision? { catalog[id] }
    func retain(_ ids: Set<String>) throws { try catalog.retain(ids) }

    private func spec(_ id: String, _ rollout: RolloutID) throws -> WorkloadRevision {
        guard let revision = catalog[id] else {
            throw OperatorError("revision \(id) of \(rollout) is not known any more; push it to Git again")
        }
        return revision
    }

    private func workload(_ rollout: RolloutID) throws -> String {
        guard let binding = bindings[rollout] else { throw OperatorError("\(rollout) has no workload") }
        return binding.workload
    }

    func deploy(_ revision: WorkloadRevision, role: SerinLocal.Role) async throws {
        try await platform.deploy(workload: revision.workload, role: role, revision: revision.id, template: revision.template,
                                  replicas: revision.replicas, snapshot: URL(fileURLWithPath: revision.snapshot), port: revision.port)
    }

    // MARK: WorkloadPlatform

    func deployPrimary(_ revision: String, for rollout: RolloutID) async throws {
        try await deploy(try spec(revision, rollout), role: .primary)
    }

    func startCanary(_ revision: String, for rollout: RolloutID) async throws {
        try await deploy(try spec(revision, rollout), role: .canary)
    }

    func scaleCanaryToZero(for rollout: RolloutID) async throws {
        try await platform.scaleCanary(workload: try workload(rollout), replicas: 0)
    }

    func promote(_ revision: String, for rollout: RolloutID) async throws {
        try await platform.promote(workload: try workload(rollout))
    }

    func isCanaryReady(for rollout: RolloutID) async -> Bool {
        guard let workload = try? workload(rollout) else { return false }
        let canary = await platform.supervisor.status().filter { $0.workload == workload && $0.role == .canary }
        guard let revision = canary.last?.revision else { return false }
        return await platform.supervisor.isReady(workload: workload, role: .canary, revision: revision)
    }

    func isPrimaryReady(_ revision: String, for rollout: RolloutID) async -> Bool {
        guard let workload = try? workload(rollout) else { return false }
        return await platform.supervisor.isReady(workload: workload, role: .primary, revision: revision)
    }

    // MARK: TrafficRouter

    func setRoutes(_ routes: Routes, for rollout: RolloutID) async throws {
        let binding = bindings[rollout]
        guard let binding else { throw OperatorError("\(rollout) has no workload") }
        let traffic = LocalPlatform.Traffic(canaryWeight: routes.canaryWeight, mirrorWeight: routes.mirrorWeight,
                                            match: routes.matchToCanary ? binding.match : [],
                                            sessionAffinity: routes.canaryWeight > 0 ? binding.affinity : nil)
        try await platform.setTraffic(traffic, workload: binding.workload)
    }
}

public struct OperatorError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
