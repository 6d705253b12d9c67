import Foundation

extension LocalSupervisor {
    /// Takes over the processes recorded in the state directory by an
    /// earlier supervisor. A process that still runs (same pid, same start
    /// time) is kept as it is, ready if it was ready, and probed from now
    /// on; one that is gone is started again. Each role is then taken to
    /// want what it runs (the revision started last, and how many of it).
    @discardableResult
    public func adopt() async -> AdoptionReport {
        var report = AdoptionReport()
        let (found, problems) = records.loadAll()
        report.problems = problems
        // A promotion interrupted between writing the primary record and
        // removing the canary one leaves two records of one process.
        var seen: [ProcessIdentity: ProcessRecord] = [:]
        var duplicates: [String] = []
        for record in found.sorted(by: { ($0.role == .primary ? 0 : 1, $0.name) < ($1.role == .primary ? 0 : 1, $1.name) }) {
            if seen[record.identity] != nil { duplicates.append(record.name) } else { seen[record.identity] = record }
        }
        for name in duplicates { await forget(name) }

        var workloads: Set<String> = []
        let now = ContinuousClock.now
        for record in seen.values.sorted(by: { $0.name < $1.name }) {
            let id = InstanceID(workload: record.workload, replica: record.replica)
            guard instances[id] == nil else { continue }
            workloads.insert(record.workload)
            if record.identity.isRunning() {
                instances[id] = Instance(record: record, ready: record.ready, backoff: options.restartBackoff, now: now)
                report.adopted.append(record.name)
                self.report("\(record.name): adopted pid \(record.pid), \(record.ready ? "ready" : "not ready yet")")
            } else {
                var instance = Instance(record: record, ready: false, backoff: options.restartBackoff, now: now)
                instance.phase = .restarting(at: now)
                instances[id] = instance
                await restart(id)
                if instances[id]?.phase == .running {
                    report.restarted.append(record.name)
                } else {
                    report.problems.append("\(record.name): its process is gone and could not be started again; see the supervisor's log")
                }
            }
        }
        for (key, group) in Dictionary(grouping: instances.values, by: { RoleKey(workload: $0.record.workload, role: $0.record.role) })
        where desired[key] == nil {
            guard let newest = group.max(by: { $0.record.startTime < $1.record.startTime }) else { continue }
            let record = newest.record
            desired[key] = Desired(revision: record.revision, launch: record.launch, snapshot: record.snapshot,
                                   replicas: group.filter { $0.record.revision == record.revision }.count)
        }
        for workload in workloads.sorted() { await notifyBackendsChanged(workload) }
        return report
    }
}
