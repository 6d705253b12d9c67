import Foundation

/// Starting, replacing, relabelling and stopping processes; callers hold
/// the workload.
extension LocalSupervisor {
    func applyLocked(_ key: RoleKey, _ wanted: Desired) async throws {
        let current = activeIDs(key.workload, key.role).compactMap { instances[$0] }
        let outdated = current.filter { $0.record.revision != wanted.revision }
        let previous = desired[key]
        desired[key] = wanted
        guard !outdated.isEmpty else {
            try await matchReplicas(key)
            return
        }
        let alreadyThere = current.count - outdated.count
        var started: [InstanceID] = []
        do {
            for _ in 0..<max(0, wanted.replicas - alreadyThere) {
                started.append(try await startInstance(key, wanted))
            }
            if outdated.contains(where: \.ready) && wanted.replicas > 0 {
                try await waitUntilReady(key, revision: wanted.revision, count: wanted.replicas)
            }
        } catch {
            // Keep what served before; the new revision did not make it.
            report("\(key.workload) \(key.role): revision \(wanted.revision) not taken: \(error)")
            desired[key] = previous
            await retire(started)
            throw error
        }
        await retire(outdated.map(\.id))
        try await matchReplicas(key)
    }

    /// Starts or stops processes of the desired revision until the role has
    /// as many as it wants; those of other revisions are left to `apply`.
    func matchReplicas(_ key: RoleKey) async throws {
        guard let wanted = desired[key] else { return }
        let current = activeIDs(key.workload, key.role).compactMap { instances[$0] }.filter { $0.record.revision == wanted.revision }
        if current.count < wanted.replicas {
            for _ in current.count..<wanted.replicas { _ = try await startInstance(key, wanted) }
        } else if current.count > wanted.replicas {
            // Not-ready ones go first, then the highest numbers.
            let extra = current.sorted { a, b in
                a.ready != b.ready ? !a.ready : a.record.replica > b.record.replica
            }.prefix(current.count - wanted.replicas)
            await retire(extra.map(\.id))
        }
    }

    func promoteLocked(_ workload: String) async throws {
        let canaryKey = RoleKey(workload: workload, role: .canary), primaryKey = RoleKey(workload: workload, role: .primary)
        let canary = activeIDs(workload, .canary).compactMap { instances[$0] }
        guard let canaryDesired = desired[canaryKey], canary.contains(where: \.ready) else {
            throw SupervisorError("\(workload) has no ready canary to promote: wait until isReady(canary) is true")
        }
        let oldPrimary = activeIDs(workload, .primary)
        let primaryReplicas = desired[primaryKey]?.replicas ?? canary.count

        for instance in canary { await relabel(instance.id, as: .primary) }
        desired[primaryKey] = Desired(revision: canaryDesired.revision, launch: canaryDesired.launch,
                                      snapshot: canaryDesired.snapshot, replicas: primaryReplicas)
        desired[canaryKey] = nil
        report("\(workload): promoted revision \(canaryDesired.revision) to primary")
        await notifyBackendsChanged(workload)

        // Top up before the old primary goes, so capacity does not dip more
        // than it must; if the new ones do not get ready in time, the
        // promoted ones serve alone.
        if canary.count < primaryReplicas {
            for _ in canary.count..<primaryReplicas { _ = try? await startInstance(primaryKey, desired[primaryKey]!) }
            try? await waitUntilReady(primaryKey, revision: canaryDesired.revision, count: primaryReplicas)
        }
        await retire(oldPrimary)
        try await matchReplicas(primaryKey)
    }

    /// Gives a canary process the primary role: new record first, then the
    /// old one removed (adoption keeps the primary one of two records of the
    /// same process), and its logs renamed; the process keeps writing to the
    /// same file through its descriptor.
    private func relabel(_ id: InstanceID, as role: Role) async {
        guard var instance = instances[id] else { return }
        let oldName = instance.record.name
        instance.record.role = role
        instances[id] = instance
        let newName = instance.record.name
        for suffix in [""] + (1...max(1, options.rotatedLogsKept)).map({ ".\($0)" }) {
            rename(logPath(oldName) + suffix, logPath(newName) + suffix)
        }
        await persist(instance.record)
        await forget(oldName)
    }

    /// Starts one process for the role and records it.
    func startInstance(_ key: RoleKey, _ wanted: Desired) async throws -> InstanceID {
        let used = Set(instances.keys.filter { $0.workload == key.workload }.map(\.replica))
        let replica = (0...).first { !used.contains($0) }!
        let port = try LoopbackPort.pick()
        let request = ProcessSpawner.Request(launch: wanted.launch, workload: key.workload, revision: wanted.revision, role: key.role,
                                             replica: replica, port: port, snapshot: wanted.snapshot,
                                             logPath: logPath("\(key.workload)-\(key.role.rawValue)-\(replica)"),
                                             inherited: options.inheritedEnvironment,
                                             allowRoot: options.allowRootWorkloads)
        let identity = try ProcessSpawner.spawn(request)
        let record = ProcessRecord(workload: key.workload, role: key.role, replica: replica, revision: wanted.revision,
                                   pid: identity.pid, startTime: identity.startTime, port: port, snapshot: wanted.snapshot,
                                   launch: wanted.launch, restarts: 0, ready: false)
        let instance = Instance(record: record, ready: false, backoff: options.restartBackoff, now: .now)
        instances[instance.id] = instance
        report("\(record.name): started revision \(record.revision), pid \(record.pid), port \(port)")
        await persist(record)
        return instance.id
    }

    /// Polls until the role has `count` ready processes of `revision`; the
    /// monitor (`run()`) is what makes them ready.
    func waitUntilReady(_ key: RoleKey, revision: String, count: Int) async throws {
        let deadline = ContinuousClock.now + options.readinessTimeout
        while true {
            let ready = activeIDs(key.workload, key.role).compactMap { instances[$0] }.filter { $0.record.revision == revision && $0.ready }
            if ready.count >= count { return }
            try Task.checkCancellation()
            guard ContinuousClock.now < deadline else {
                throw SupervisorError("\(key.workload) \(key.role) revision \(revision): \(ready.count) of \(count) processes ready after \(options.readinessTimeout); see their logs in \(logDirectory) and the readiness probe")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops processes for good, in the order that loses no request: out
    /// of the ready backends, router told (awaited), drain delay, SIGTERM to
    /// the process group, SIGKILL after the grace period, record removed.
    func retire(_ ids: [InstanceID]) async {
        var draining = false
        var workloads: Set<String> = []
        var targets: [Instance] = []
        for id in ids {
            guard var instance = instances[id], instance.isActive else { continue }
            if instance.ready { draining = true; workloads.insert(id.workload) }
            instance.ready = false
            instance.phase = .stopping
            instances[id] = instance
            targets.append(instance)
        }
        guard !targets.isEmpty else { return }
        for workload in workloads.sorted() { await notifyBackendsChanged(workload) }
        if draining { await pause(options.drainDelay) }
        await withTaskGroup(of: Void.self) { group in
            for instance in targets {
                let identity = instance.record.identity
                let grace = Duration.seconds(instance.record.launch.terminationGracePeriodSeconds)
                group.addTask { await Self.terminate(identity, grace: grace) }
            }
        }
        for instance in targets {
            instances[instance.id] = nil
            report("\(instance.record.name): stopped pid \(instance.record.pid)")
            await forget(instance.record.name)
        }
    }

    /// SIGTERM to the process group, SIGKILL when the process outlives the
    /// grace period. A process that is already gone is not signalled: its
    /// pid may belong to someone else by now.
    static func terminate(_ identity: ProcessIdentity, grace: Duration) async {
        guard identity.isRunning() else { return }
        if kill(-identity.pid, SIGTERM) != 0 { kill(identity.pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while identity.isRunning() && ContinuousClock.now < deadline { await pause(.milliseconds(20)) }
        guard identity.isRunning() else { return }
        if kill(-identity.pid, SIGKILL) != 0 { kill(identity.pid, SIGKILL) }
        let killDeadline = ContinuousClock.now + .seconds(5)
        while identity.isRunning() && ContinuousClock.now < killDeadline { await pause(.milliseconds(10)) }
    }
}
