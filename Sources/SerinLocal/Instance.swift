/// `workload` + `replica`: replica numbers are unique within a workload, so
/// an instance keeps its identity when promotion changes its role.
struct InstanceID: Hashable, Sendable, Comparable {
    var workload: String
    var replica: Int

    static func < (lhs: InstanceID, rhs: InstanceID) -> Bool {
        (lhs.workload, lhs.replica) < (rhs.workload, rhs.replica)
    }
}

/// The supervisor's view of one process: its record plus what the monitor
/// tracks between ticks.
struct Instance: Sendable {
    enum Phase: Sendable, Equatable {
        case running
        /// Liveness failed: to be terminated by the monitor, then restarted.
        case killRequested
        case killing
        /// Exited; started again at the given time.
        case restarting(at: ContinuousClock.Instant)
        /// Being drained and stopped for good; the monitor leaves it alone.
        case stopping
    }

    /// Consecutive results of one probe and when it runs next.
    struct ProbeProgress: Sendable {
        var successes = 0
        var failures = 0
        var nextDue: ContinuousClock.Instant
        var inFlight = false
    }

    var record: ProcessRecord
    var phase: Phase
    var ready: Bool
    /// Until the first success, readiness is polled fast.
    var everReady: Bool
    var readiness: ProbeProgress
    var liveness: ProbeProgress
    /// The delay before the next restart.
    var backoff: Duration
    var startedAt: ContinuousClock.Instant

    init(record: ProcessRecord, ready: Bool, backoff: Duration, now: ContinuousClock.Instant) {
        self.record = record
        phase = .running
        self.ready = ready
        everReady = ready
        self.backoff = backoff
        startedAt = now
        // An adopted ready instance is probed at once but stays ready until
        // failureThreshold probes fail; a new one waits its initial delay.
        readiness = ProbeProgress(nextDue: ready ? now : now + .seconds(record.launch.readiness.initialDelaySeconds))
        liveness = ProbeProgress(nextDue: now + .seconds(record.launch.liveness?.initialDelaySeconds ?? 0))
    }

    var id: InstanceID { InstanceID(workload: record.workload, replica: record.replica) }

    var isActive: Bool { phase != .stopping }

    var status: InstanceStatus.State {
        switch phase {
        case .running: .running
        case .killRequested, .killing, .restarting: .restarting
        case .stopping: .stopping
        }
    }
}
