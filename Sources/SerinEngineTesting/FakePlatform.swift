import Foundation
import SerinEngine
import SerinSpec
import Synchronization

/// A revision of the in-memory fake platform: its id is what tests name.
public struct FakeRevision: PlatformRevision {
    public var id: String
    public var workload: WorkloadID
    public var origin: RevisionOrigin

    public init(_ id: String, workload: WorkloadID = WorkloadID(name: "web"), commit: String = "0000000", author: String? = nil) {
        self.id = id
        self.workload = workload
        origin = RevisionOrigin(source: "test", commit: commit, author: author)
    }
}

/// An in-memory platform, a fake for the engine's tests and benchmarks: it
/// runs nothing and records what it is asked, in order. What runs becomes
/// ready at once unless a test holds it back, and every change is reported
/// on `readinessChanges()` as a real platform would.
public final class FakePlatform: Platform, Sendable {
    public typealias Revision = FakeRevision

    public struct Workload: Sendable, Equatable {
        public var running = RunningRevisions()
        public var routes = TrafficRoutes.allPrimary
    }

    private struct State {
        var calls: [String] = []
        var weights: [Int] = []
        var routes: [TrafficRoutes] = []
        var workloads: [WorkloadID: Workload] = [:]
        var notReady: Set<String> = []
        var cannotStart: [String: String] = [:]
        var failingRoutes = 0
        var restores = 0
        var holds: [String: Hold] = [:]
    }

    /// A call held back until a test lets it go: `reached` opens when the
    /// call arrives, the call returns once `release()` is called.
    public final class Hold: Sendable {
        public let reached = Gate()
        private let released = Gate()

        public init() {}

        public func release() { released.open() }

        /// What the held call does: says it arrived, then waits to be let go.
        public func pass() async {
            reached.open()
            await released.wait()
        }
    }

    /// What a platform out of reach answers.
    public struct Unreachable: Error, CustomStringConvertible {
        public var description: String { "the fake platform is out of reach" }
    }

    public nonisolated let targetKinds: Set<String>
    private let state = Mutex(State())
    private let readiness = AsyncStream<ReadinessChange>.makeStream()

    public init(targetKinds: Set<String> = ["Workload"], running: [WorkloadID: RunningRevisions] = [:]) {
        self.targetKinds = targetKinds
        state.withLock { state in
            for (workload, revisions) in running { state.workloads[workload] = Workload(running: revisions) }
        }
    }

    // MARK: what tests look at and steer

    /// Every call, as `deployPrimary r1`, `startCanary r2`, `promote r2`,
    /// `scaleCanaryToZero`, `remove default/web`.
    public var calls: [String] { state.withLock { $0.calls } }
    /// The canary weight of every `setRoutes`, in order.
    public var weights: [Int] { state.withLock { $0.weights } }
    public var routes: [TrafficRoutes] { state.withLock { $0.routes } }
    public var restores: Int { state.withLock { $0.restores } }
    public func workload(_ id: WorkloadID) -> Workload? { state.withLock { $0.workloads[id] } }

    /// Holds back the next call recorded as `call` (`startCanary r2`, or a
    /// prefix such as `startCanary`), after it is recorded and before it takes effect.
    public func hold(_ call: String) -> Hold {
        let hold = Hold()
        state.withLock { $0.holds[call] = hold }
        return hold
    }

    private func pass(_ call: String) async {
        let hold = state.withLock { state -> Hold? in
            guard let key = state.holds.keys.first(where: { call.hasPrefix($0) }) else { return nil }
            return state.holds.removeValue(forKey: key)
        }
        await hold?.pass()
    }

    /// Makes `startCanary` of a revision throw `RevisionCannotStart` with `reason`.
    public func refuseToStart(_ revision: String, because reason: String) {
        state.withLock { $0.cannotStart[revision] = reason }
    }

    /// Makes the next `count` `setRoutes` calls throw `Unreachable` (recorded
    /// as `setRoutes failed`), as an apiserver out of reach would.
    public func failRoutes(_ count: Int) {
        state.withLock { $0.failingRoutes = count }
    }

    /// Holds back (or lets go) the readiness of a revision.
    public func setReady(_ revision: String, _ ready: Bool) {
        state.withLock { state in
            if ready { state.notReady.remove(revision) } else { state.notReady.insert(revision) }
        }
        for (id, workload) in state.withLock({ $0.workloads }) {
            for role in WorkloadRole.allCases where workload.running[role] == revision {
                readiness.continuation.yield(ReadinessChange(workload: id, role: role, revision: revision, ready: ready))
            }
        }
    }

    // MARK: Platform

    /// One revision per `Workload` in the manifests; its id is the workload's
    /// name and a digest of its template, so an unchanged template keeps it.
    public func revisions(in desired: DesiredState) async throws -> PlatformSelection<FakeRevision> {
        let revisions = desired.manifests.workloads.map { workload in
            let digest = (try? ContentDigest.hex(of: workload.spec.template)) ?? ""
            return FakeRevision("\(workload.name)-\(digest.prefix(8))",
                                workload: WorkloadID(namespace: workload.namespace, name: workload.name),
                                commit: desired.commit, author: desired.author)
        }
        return PlatformSelection(revisions: revisions)
    }

    public func restore() async throws -> String {
        let count = state.withLock { state -> Int in
            state.restores += 1
            return state.workloads.count
        }
        return "fake platform: \(count) workloads adopted"
    }

    public func deployPrimary(_ revision: FakeRevision) async throws {
        await pass("deployPrimary \(revision.id)")
        run(revision, as: .primary, call: "deployPrimary \(revision.id)")
    }

    public func startCanary(_ revision: FakeRevision) async throws {
        if let reason = state.withLock({ $0.cannotStart[revision.id] }) { throw RevisionCannotStart(reason) }
        await pass("startCanary \(revision.id)")
        run(revision, as: .canary, call: "startCanary \(revision.id)")
    }

    public func scaleCanaryToZero(_ workload: WorkloadID) async throws {
        state.withLock { state in
            state.calls.append("scaleCanaryToZero")
            state.workloads[workload, default: Workload()].running.canary = nil
            state.workloads[workload]?.routes = .allPrimary
        }
        readiness.continuation.yield(ReadinessChange(workload: workload, role: .canary, revision: nil, ready: false))
    }

    /// Recorded as `promote r2`, or `promote r2 keeping the canary`, which
    /// leaves the canary running and the routes as they were.
    public func promote(_ revision: FakeRevision, keepingCanary: Bool) async throws {
        await pass("promote \(revision.id)")
        if keepingCanary {
            run(revision, as: .primary, call: "promote \(revision.id) keeping the canary")
            return
        }
        run(revision, as: .primary, call: "promote \(revision.id)") { workload in
            workload.running.canary = nil
            workload.routes = .allPrimary
        }
    }

    public func remove(_ workload: WorkloadID) async throws {
        state.withLock { state in
            state.calls.append("remove \(workload)")
            state.workloads[workload] = nil
        }
    }

    public func setRoutes(_ routes: TrafficRoutes, for workload: WorkloadID) async throws {
        let failed = state.withLock { state in
            guard state.failingRoutes > 0 else { return false }
            state.failingRoutes -= 1
            state.calls.append("setRoutes failed")
            return true
        }
        if failed { throw Unreachable() }
        state.withLock { state in
            state.weights.append(routes.canaryWeight)
            state.routes.append(routes)
            state.workloads[workload, default: Workload()].routes = routes
        }
    }

    public func isReady(_ revision: String, as role: WorkloadRole, of workload: WorkloadID) async -> Bool {
        state.withLock { $0.workloads[workload]?.running[role] == revision && !$0.notReady.contains(revision) }
    }

    public func running(_ workload: WorkloadID) async -> RunningRevisions {
        state.withLock { $0.workloads[workload]?.running ?? RunningRevisions() }
    }

    /// One replica per role that runs a revision; ready unless held back.
    public func health(of workload: WorkloadID) async -> WorkloadHealth {
        state.withLock { state in
            let running = state.workloads[workload]?.running ?? RunningRevisions()
            let notReady = state.notReady
            let ready = { (revision: String?) in revision.map { notReady.contains($0) ? 0 : 1 } ?? 0 }
            return WorkloadHealth(replicas: running.primary == nil ? 0 : 1, readyReplicas: ready(running.primary),
                                  canaryReplicas: running.canary == nil ? 0 : 1, canaryReadyReplicas: ready(running.canary))
        }
    }

    public func readinessChanges() -> AsyncStream<ReadinessChange> { readiness.stream }

    private func run(_ revision: FakeRevision, as role: WorkloadRole, call: String,
                     also: (inout Workload) -> Void = { _ in }) {
        let ready = state.withLock { state -> Bool in
            state.calls.append(call)
            var workload = state.workloads[revision.workload] ?? Workload()
            switch role {
            case .primary: workload.running.primary = revision.id
            case .canary: workload.running.canary = revision.id
            }
            also(&workload)
            state.workloads[revision.workload] = workload
            return !state.notReady.contains(revision.id)
        }
        readiness.continuation.yield(ReadinessChange(workload: revision.workload, role: role, revision: revision.id, ready: ready))
    }
}
