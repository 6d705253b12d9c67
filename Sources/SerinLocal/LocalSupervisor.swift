import Dispatch
import Foundation
import SerinSpec

/// Runs a host's workload processes: the local platform's data plane.
///
/// Each workload has a primary and possibly a canary role; each role runs
/// one revision with some number of replicas. Processes run in sessions of
/// their own and are recorded in `<stateDir>/local/processes/`, so they keep
/// serving when the supervisor dies, and a new supervisor adopts them
/// (`adopt()`) instead of restarting them.
///
/// Calls that change a workload (`apply`, `scale`, `stop`, `promote`) are
/// serialized per workload; `run()` probes, restarts and rotates logs
/// meanwhile. Whenever a workload's ready backends change,
/// `Options.onBackendsChanged` is awaited, so the router's table follows.
public actor LocalSupervisor {
    /// What a role was last asked to run.
    struct Desired: Sendable {
        var revision: String
        var launch: ProcessLaunch
        var snapshot: String
        var replicas: Int
    }

    struct RoleKey: Hashable, Sendable {
        var workload: String
        var role: Role
    }

    public let stateDirectory: String
    let options: Options
    let records: ProcessRecordStore
    let logDirectory: String
    let rotation: LogRotation
    /// Record writes go through one serial queue, in the order the actor
    /// issued them, so an older write never lands after a newer one.
    let recordQueue = DispatchQueue(label: "serin.local.records")

    var instances: [InstanceID: Instance] = [:]
    var desired: [RoleKey: Desired] = [:]
    /// Workloads with a change in progress, and who waits for each.
    private var busyWorkloads: Set<String> = []
    private var workloadWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init(stateDirectory: String, options: Options = Options()) throws {
        self.stateDirectory = stateDirectory
        self.options = options
        records = try ProcessRecordStore(stateDirectory: stateDirectory)
        logDirectory = stateDirectory + "/local/logs"
        do {
            // Workloads' output is the operator's to read, and to show (`serin logs`).
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(stateDirectory + "/local", 0o700)
            chmod(logDirectory, 0o700)
        } catch {
            throw SupervisorError("cannot create \(logDirectory): \(error.localizedDescription); check the state directory's permissions")
        }
        rotation = LogRotation(limit: options.logSizeLimit, kept: options.rotatedLogsKept)
    }

    // MARK: Changing what runs

    /// Makes `role` of `workload` run `revision` with `replicas` processes
    /// started from `snapshot` (the revision's read-only checkout).
    ///
    /// Same revision: starts or stops processes to match `replicas`. Another
    /// revision: starts the new processes, waits until they are all ready
    /// (when any old one was ready), then drains and stops the old ones, so
    /// a role that had a ready instance always has one. When the new ones
    /// are not ready within `Options.readinessTimeout` they are stopped, the
    /// old ones keep running, and this throws. Readiness comes from the
    /// monitor's probes: `run()` must be running for a replacement to finish.
    public func apply(workload: String, role: Role, revision: String, template: ProcessTemplate, replicas: Int, snapshot: URL) async throws {
        let launch = try ProcessLaunch(template)
        guard replicas >= 0 else { throw SupervisorError("replicas of \(workload) is \(replicas): give 0 or more") }
        try Self.checkName(workload)
        await acquire(workload)
        do {
            try await applyLocked(RoleKey(workload: workload, role: role),
                                  Desired(revision: revision, launch: launch, snapshot: snapshot.path, replicas: replicas))
        } catch {
            release(workload)
            throw error
        }
        release(workload)
    }

    /// Changes the number of processes of a role that was applied before.
    public func scale(workload: String, role: Role, replicas: Int) async throws {
        guard replicas >= 0 else { throw SupervisorError("replicas of \(workload) is \(replicas): give 0 or more") }
        await acquire(workload)
        let key = RoleKey(workload: workload, role: role)
        guard desired[key] != nil else {
            release(workload)
            throw SupervisorError("\(workload) has no \(role) to scale: apply a revision to it first")
        }
        desired[key]!.replicas = replicas
        do {
            try await matchReplicas(key)
        } catch {
            release(workload)
            throw error
        }
        release(workload)
    }

    /// Drains and stops every process of the role.
    public func stop(workload: String, role: Role) async {
        await acquire(workload)
        desired[RoleKey(workload: workload, role: role)] = nil
        await retire(activeIDs(workload, role))
        release(workload)
    }

    /// Drains and stops everything this supervisor knows about.
    public func stopAll() async {
        let workloads = Set(instances.keys.map(\.workload)).union(desired.keys.map(\.workload))
        await withTaskGroup(of: Void.self) { group in
            for workload in workloads {
                group.addTask {
                    await self.stop(workload: workload, role: .canary)
                    await self.stop(workload: workload, role: .primary)
                }
            }
        }
    }

    /// Makes the canary's processes the primary's, without a moment with no
    /// ready primary: they are relabelled (records, log names) and announced
    /// as primary backends first; the primary is topped up to its replica
    /// count with the new revision; only then are the old primary processes
    /// drained and stopped. Their `SERIN_ROLE` stays `canary`: a running
    /// process's environment cannot change.
    public func promote(workload: String) async throws {
        await acquire(workload)
        do {
            try await promoteLocked(workload)
        } catch {
            release(workload)
            throw error
        }
        release(workload)
    }

    // MARK: What runs

    /// `127.0.0.1:PORT` of the role's ready processes, by replica number.
    public func readyBackends(workload: String, role: Role) -> [String] {
        instances.values
            .filter { $0.record.workload == workload && $0.record.role == role && $0.ready && $0.isActive }
            .sorted { $0.record.replica < $1.record.replica }
            .map { "127.0.0.1:\($0.record.port)" }
    }

    /// Whether the role runs `revision` with as many ready processes as it
    /// was asked for (at least one).
    public func isReady(workload: String, role: Role, revision: String) -> Bool {
        let key = RoleKey(workload: workload, role: role)
        let wanted = desired[key].map { $0.revision == revision ? max(1, $0.replicas) : 1 } ?? 1
        let ready = instances.values.filter {
            $0.record.workload == workload && $0.record.role == role && $0.record.revision == revision && $0.ready && $0.isActive
        }
        return ready.count >= wanted
    }

    public func status() -> [InstanceStatus] {
        instances.values.sorted { $0.id < $1.id }.map { instance in
            let record = instance.record
            return InstanceStatus(workload: record.workload, role: record.role, replica: record.replica, revision: record.revision,
                                  pid: record.pid, port: record.port, ready: instance.ready, restarts: record.restarts,
                                  state: instance.status, logPath: logPath(record.name))
        }
    }

    public func logPath(workload: String, role: Role, replica: Int) -> String {
        logPath("\(workload)-\(role.rawValue)-\(replica)")
    }

    // MARK: Internals shared by the extensions

    func logPath(_ name: String) -> String { "\(logDirectory)/\(name).log" }

    func activeIDs(_ workload: String, _ role: Role) -> [InstanceID] {
        instances.values.filter { $0.record.workload == workload && $0.record.role == role && $0.isActive }.map(\.id).sorted()
    }

    func report(_ message: String) {
        options.log?(message)
    }

    func notifyBackendsChanged(_ workload: String) async {
        await options.onBackendsChanged?(workload)
    }

    /// Writes a record on the record queue; an error is reported, since the
    /// process runs either way and the next write will try again.
    func persist(_ record: ProcessRecord) async {
        let store = records
        let failure: SupervisorError? = await offPool(on: recordQueue) {
            do throws(SupervisorError) { try store.save(record) } catch { return error }
            return nil
        }
        if let failure { report(failure.description) }
    }

    func forget(_ name: String) async {
        let store = records
        await offPool(on: recordQueue) { store.remove(name) }
    }

    /// Workload names become file names.
    static func checkName(_ workload: String) throws(SupervisorError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !workload.isEmpty, !workload.hasPrefix("."), workload.allSatisfy(allowed.contains) else {
            throw SupervisorError("workload name \"\(workload)\" cannot name files: use letters, digits, '.', '_' and '-'")
        }
    }

    private func acquire(_ workload: String) async {
        if busyWorkloads.insert(workload).inserted { return }
        await withCheckedContinuation { workloadWaiters[workload, default: []].append($0) }
    }

    /// Hands the workload to the next waiter, if any, without releasing it
    /// in between.
    private func release(_ workload: String) {
        if var waiters = workloadWaiters[workload], !waiters.isEmpty {
            let next = waiters.removeFirst()
            workloadWaiters[workload] = waiters.isEmpty ? nil : waiters
            next.resume()
        } else {
            busyWorkloads.remove(workload)
        }
    }
}
