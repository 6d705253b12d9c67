import Foundation

/// The monitor: exits, restarts with backoff, probes, log rotation.
extension LocalSupervisor {
    /// Watches the processes until the task is cancelled. Cancelling stops
    /// the watching, not the processes: they keep serving, and a later
    /// `run()` (or another supervisor's `adopt()`) takes them up again.
    public func run() async {
        var nextLogCheck = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = ContinuousClock.now
                var changed: Set<String> = []
                for id in instances.keys.sorted() {
                    guard let instance = instances[id] else { continue }
                    switch instance.phase {
                    case .running:
                        if !instance.record.identity.isRunning() {
                            exited(id, now: now)
                            if instance.ready { changed.insert(id.workload) }
                        } else {
                            startDueProbes(id, now: now, in: &group)
                        }
                    case .killRequested:
                        instances[id]?.phase = .killing
                        let identity = instance.record.identity
                        let grace = Duration.seconds(instance.record.launch.terminationGracePeriodSeconds)
                        group.addTask {
                            await Self.terminate(identity, grace: grace)
                            await self.killed(id, identity)
                        }
                    case .restarting(let at) where at <= now:
                        await restart(id)
                    case .killing, .restarting, .stopping:
                        break
                    }
                }
                if now >= nextLogCheck {
                    nextLogCheck = now + options.logCheckInterval
                    let paths = instances.values.filter(\.isActive).map { logPath($0.record.name) }
                    let rotation = rotation
                    group.addTask {
                        let problems = await offPool {
                            paths.compactMap { path -> String? in
                                do throws(SupervisorError) { try rotation.rotateIfNeeded(path) } catch { return error.description }
                                return nil
                            }
                        }
                        for problem in problems { await self.report(problem) }
                    }
                }
                for workload in changed.sorted() { await notifyBackendsChanged(workload) }
                try? await Task.sleep(for: options.monitorInterval)
            }
        }
    }

    private func period(_ probe: ProbeSettings) -> Duration {
        options.probeInterval ?? .seconds(probe.periodSeconds)
    }

    private func startDueProbes(_ id: InstanceID, now: ContinuousClock.Instant, in group: inout DiscardingTaskGroup) {
        guard var instance = instances[id] else { return }
        let identity = instance.record.identity, port = instance.record.port
        if !instance.readiness.inFlight && instance.readiness.nextDue <= now {
            instance.readiness.inFlight = true
            let probe = instance.record.launch.readiness
            group.addTask {
                let passed = await HealthCheck.run(probe.check, defaultPort: port, timeout: .seconds(probe.timeoutSeconds))
                await self.readinessProbed(id, identity, passed: passed)
            }
        }
        // Liveness is probed only once the instance was ready: the local
        // platform has no startupProbe, and a slow starter must not be
        // killed for not answering before it listens.
        if let probe = instance.record.launch.liveness, instance.everReady, !instance.liveness.inFlight, instance.liveness.nextDue <= now {
            instance.liveness.inFlight = true
            group.addTask {
                let passed = await HealthCheck.run(probe.check, defaultPort: port, timeout: .seconds(probe.timeoutSeconds))
                await self.livenessProbed(id, identity, passed: passed)
            }
        }
        instances[id] = instance
    }

    private func readinessProbed(_ id: InstanceID, _ identity: ProcessIdentity, passed: Bool) async {
        guard var instance = instances[id], instance.record.identity == identity, instance.phase == .running else { return }
        let probe = instance.record.launch.readiness
        instance.readiness.inFlight = false
        if passed {
            instance.readiness.successes += 1
            instance.readiness.failures = 0
        } else {
            instance.readiness.failures += 1
            instance.readiness.successes = 0
        }
        var becameReady: Bool?
        if !instance.ready && instance.readiness.successes >= probe.successThreshold {
            becameReady = true
        } else if instance.ready && instance.readiness.failures >= probe.failureThreshold {
            becameReady = false
        }
        if let becameReady {
            instance.ready = becameReady
            instance.everReady = instance.everReady || becameReady
            instance.record.ready = becameReady
        }
        instance.readiness.nextDue = .now + (instance.everReady ? period(probe) : options.firstReadinessPoll)
        instances[id] = instance
        if let becameReady {
            report("\(instance.record.name): \(becameReady ? "ready" : "not ready (readiness probe failed \(probe.failureThreshold) times)")")
            await persist(instance.record)
            await notifyBackendsChanged(id.workload)
        }
    }

    private func livenessProbed(_ id: InstanceID, _ identity: ProcessIdentity, passed: Bool) async {
        guard var instance = instances[id], instance.record.identity == identity, instance.phase == .running,
              let probe = instance.record.launch.liveness else { return }
        instance.liveness.inFlight = false
        instance.liveness.failures = passed ? 0 : instance.liveness.failures + 1
        instance.liveness.nextDue = .now + period(probe)
        let failed = instance.liveness.failures >= probe.failureThreshold
        let wasReady = instance.ready
        if failed {
            report("\(instance.record.name): liveness probe failed \(probe.failureThreshold) times; restarting pid \(instance.record.pid)")
            instance.phase = .killRequested
            instance.ready = false
        }
        instances[id] = instance
        if failed && wasReady { await notifyBackendsChanged(id.workload) }
    }

    /// The process is gone: it is restarted after the backoff, which grows
    /// with each failure in a row.
    private func exited(_ id: InstanceID, now: ContinuousClock.Instant) {
        guard var instance = instances[id] else { return }
        // Whatever the process left in its group goes with it.
        kill(-instance.record.pid, SIGKILL)
        report("\(instance.record.name): pid \(instance.record.pid) exited; restarting in \(nextBackoff(&instance, now: now, peek: true))")
        instance.ready = false
        instance.phase = .restarting(at: now + nextBackoff(&instance, now: now))
        instances[id] = instance
    }

    private func killed(_ id: InstanceID, _ identity: ProcessIdentity) {
        guard var instance = instances[id], instance.record.identity == identity, instance.phase == .killing else { return }
        let now = ContinuousClock.now
        instance.phase = .restarting(at: now + nextBackoff(&instance, now: now))
        instances[id] = instance
    }

    /// The delay before the next restart; a process that ran for
    /// `Options.restartBackoffReset` starts the sequence over.
    private func nextBackoff(_ instance: inout Instance, now: ContinuousClock.Instant, peek: Bool = false) -> Duration {
        var delay = instance.backoff
        if now - instance.startedAt >= options.restartBackoffReset { delay = options.restartBackoff }
        if !peek { instance.backoff = min(delay * 2, options.restartBackoffLimit) }
        return delay
    }

    /// Starts the process of a record again: same port when it is still
    /// free (the router's table stays valid), otherwise a new one.
    func restart(_ id: InstanceID) async {
        // Only a process waiting for its restart: one that is being stopped
        // meanwhile stays stopped.
        guard var instance = instances[id], case .restarting = instance.phase else { return }
        var record = instance.record
        let port = LoopbackPort.isFree(record.port) ? record.port : ((try? LoopbackPort.pick()) ?? record.port)
        let request = ProcessSpawner.Request(launch: record.launch, workload: record.workload, revision: record.revision,
                                             role: record.role, replica: record.replica, port: port, snapshot: record.snapshot,
                                             logPath: logPath(record.name), inherited: options.inheritedEnvironment,
                                             allowRoot: options.allowRootWorkloads)
        let now = ContinuousClock.now
        do {
            let identity = try ProcessSpawner.spawn(request)
            record.pid = identity.pid
            record.startTime = identity.startTime
            record.port = port
            record.restarts += 1
            record.ready = false
            let backoff = instance.backoff
            instance = Instance(record: record, ready: false, backoff: backoff, now: now)
            instances[id] = instance
            report("\(record.name): restarted (\(record.restarts) restarts), pid \(record.pid), port \(port)")
            await persist(record)
        } catch {
            report("\(record.name): restart failed: \(error)")
            instance.phase = .restarting(at: now + nextBackoff(&instance, now: now))
            instances[id] = instance
        }
    }
}
