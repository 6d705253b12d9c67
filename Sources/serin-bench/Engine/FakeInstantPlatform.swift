import SerinEngine
import SerinEngineTesting
import SerinSpec
import Synchronization

/// An in-memory platform for the engine's benchmark, a fake: it runs
/// nothing, everything it is asked to run is ready at once and reported
/// as such, and it keeps no record of its calls (the tests' `FakePlatform`
/// keeps every call, which would be counted as the engine's memory). Its
/// targets are Deployments, one revision per Deployment's `VERSION`.
final class FakeInstantPlatform: Platform, Sendable {
    typealias Revision = FakeRevision

    private let running = Mutex<[WorkloadID: RunningRevisions]>([:])
    private let readiness = AsyncStream<ReadinessChange>.makeStream()
    /// Route changes, for the report.
    let routeChanges = Atomic<Int>(0)

    var targetKinds: Set<String> { ["Deployment"] }
    var reportsEveryReadinessChange: Bool { true }

    func revisions(in desired: DesiredState) async throws -> PlatformSelection<FakeRevision> {
        var revisions: [FakeRevision] = []
        revisions.reserveCapacity(desired.manifests.plain.count)
        for manifest in desired.manifests.plain where manifest.kind == "Deployment" {
            let version = manifest.spec["spec"]?["template"]?["metadata"]?["labels"]?["version"]?.stringValue ?? "v0"
            let workload = WorkloadID(namespace: manifest.namespace, name: manifest.name)
            revisions.append(FakeRevision(version, workload: workload, commit: desired.commit, author: desired.author))
        }
        return PlatformSelection(revisions: revisions)
    }

    func restore() async throws -> String { "nothing runs" }

    func deployPrimary(_ revision: FakeRevision) async throws {
        running.withLock { $0[revision.workload, default: RunningRevisions()].primary = revision.id }
        readiness.continuation.yield(ReadinessChange(workload: revision.workload, role: .primary, revision: revision.id, ready: true))
    }

    func startCanary(_ revision: FakeRevision) async throws {
        running.withLock { $0[revision.workload, default: RunningRevisions()].canary = revision.id }
        readiness.continuation.yield(ReadinessChange(workload: revision.workload, role: .canary, revision: revision.id, ready: true))
    }

    func scaleCanaryToZero(_ workload: WorkloadID) async throws {
        running.withLock { $0[workload]?.canary = nil }
    }

    func promote(_ revision: FakeRevision, keepingCanary: Bool) async throws {
        running.withLock { $0[revision.workload, default: RunningRevisions()].primary = revision.id }
        readiness.continuation.yield(ReadinessChange(workload: revision.workload, role: .primary, revision: revision.id, ready: true))
    }

    func remove(_ workload: WorkloadID) async throws {
        _ = running.withLock { $0.removeValue(forKey: workload) }
    }

    func setRoutes(_ routes: TrafficRoutes, for workload: WorkloadID) async throws {
        routeChanges.add(1, ordering: .relaxed)
    }

    func isReady(_ revision: String, as role: WorkloadRole, of workload: WorkloadID) async -> Bool {
        let now = running.withLock { $0[workload] }
        return (role == .primary ? now?.primary : now?.canary) == revision
    }

    func running(_ workload: WorkloadID) async -> RunningRevisions {
        running.withLock { $0[workload] } ?? RunningRevisions()
    }

    func health(of workload: WorkloadID) async -> WorkloadHealth {
        WorkloadHealth(replicas: 1, readyReplicas: 1)
    }

    func readinessChanges() -> AsyncStream<ReadinessChange> { readiness.stream }
}
