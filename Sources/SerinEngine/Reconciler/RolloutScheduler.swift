import DequeModule
import HeapModule
import Synchronization

/// What the scheduler runs: one step at a time per work.
protocol ScheduledWork: AnyObject, Sendable {
    /// One pass over what arrived and what is due; returns how long until
    /// the next pass if nothing arrives meanwhile (nil: only an arrival
    /// wakes it).
    func step() async -> Duration?
    /// Stopped for good (or the scheduler ended): called once.
    func ended()
    /// Whether it was stopped before it was started.
    var isStopped: Bool { get }
}

/// Runs every rollout runner of a reconciler from one task. A runner has
/// no task of its own: while it waits (for its next tick, for an input)
/// it is an entry in a table and, when it has a next tick, in a heap of
/// due times. The scheduler sleeps until the earliest due time or an
/// arrival, then runs the due runners' steps as child tasks, at most
/// `concurrency` at once and one at a time per runner. So 100,000 idle
/// rollouts cost 100,000 entries, not 100,000 sleeping tasks with a
/// timer each. Time passes on `clock`: tests step it.
final class RolloutScheduler<C: Clock>: Sendable where C.Duration == Duration {
    private struct Entry {
        let work: any ScheduledWork
        /// A step is in flight.
        var running = false
        /// In `ready`, not yet started.
        var queued = false
        /// Woken while its step was in flight: it runs again right after.
        var pending = false
        var stopped = false
        /// The sequence number of its timer in the heap (0: none); older ones are stale.
        var timer: UInt64 = 0
    }

    private struct Due: Comparable {
        var at: C.Instant
        var sequence: UInt64
        var key: ObjectIdentifier

        static func < (lhs: Due, rhs: Due) -> Bool { (lhs.at, lhs.sequence) < (rhs.at, rhs.sequence) }
        static func == (lhs: Due, rhs: Due) -> Bool { lhs.sequence == rhs.sequence }
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var ready = Deque<ObjectIdentifier>()
        var timers = Heap<Due>()
        var sequence: UInt64 = 0
        var inFlight = 0
        /// `run()` returned: nothing is scheduled any more.
        var ended = false

        /// Queues `key` unless it is queued or in flight (then it runs again after).
        mutating func wake(_ key: ObjectIdentifier) {
            guard var entry = entries[key] else { return }
            if entry.running {
                entry.pending = true
            } else if !entry.queued {
                entry.queued = true
                ready.append(key)
            }
            entries[key] = entry
        }
    }

    private let state = Mutex(State())
    private let wakeup = Mailbox<Void>()
    private let clock: C
    private let concurrency: Int

    /// `concurrency`: steps in flight at once (a step may wait on the
    /// platform, a webhook, a metrics query).
    init(clock: C, concurrency: Int = 512) {
        self.clock = clock
        self.concurrency = max(1, concurrency)
    }

    /// From now on `work` is stepped: at once, then when it asks or is woken.
    func start(_ work: any ScheduledWork) {
        let key = ObjectIdentifier(work)
        let accepted = state.withLock { state -> Bool in
            guard !state.ended else { return false }
            state.entries[key] = Entry(work: work, queued: true, stopped: work.isStopped)
            state.ready.append(key)
            return true
        }
        if accepted { wakeup.send(()) } else { work.ended() }
    }

    /// Something arrived for `work`: it is stepped soon.
    func wake(_ work: any ScheduledWork) {
        state.withLock { $0.wake(ObjectIdentifier(work)) }
        wakeup.send(())
    }

    /// No timed steps any more; what is queued or in flight finishes, then `ended()`.
    func stop(_ work: any ScheduledWork) {
        let key = ObjectIdentifier(work)
        let idle = state.withLock { state -> Bool in
            guard var entry = state.entries[key] else { return false }
            entry.stopped = true
            entry.timer = 0
            guard entry.running || entry.queued else {
                state.entries[key] = nil
                return true
            }
            state.entries[key] = entry
            return false
        }
        if idle { work.ended() }
    }

    /// Until cancelled; then every work still scheduled has ended.
    func run() async {
        await withDiscardingTaskGroup { group in
            while true {
                let (batch, next) = due()
                for work in batch {
                    group.addTask {
                        let wait = await work.step()
                        self.finished(work, wait: wait)
                    }
                }
                let wait = next.map { max(.zero, clock.now.duration(to: $0)) }
                guard await wakeup.take(waitingAtMost: wait, on: clock) != nil else { break }
            }
        }
        let left = state.withLock { state -> [any ScheduledWork] in
            state.ended = true
            defer { state.entries = [:] }
            return state.entries.values.map(\.work)
        }
        for work in left { work.ended() }
    }

    /// Runners whose time came join the ready ones; as many as there are
    /// free places start. Returns them and the next due time.
    private func due() -> ([any ScheduledWork], C.Instant?) {
        let now = clock.now
        return state.withLock { state in
            while let first = state.timers.min, first.at <= now {
                state.timers.removeMin()
                guard var entry = state.entries[first.key], entry.timer == first.sequence else { continue }
                entry.timer = 0
                state.entries[first.key] = entry
                state.wake(first.key)
            }
            var batch: [any ScheduledWork] = []
            while state.inFlight < concurrency, let key = state.ready.popFirst() {
                guard var entry = state.entries[key], entry.queued else { continue }
                entry.queued = false
                entry.running = true
                entry.pending = false
                // The step decides the next time anew.
                entry.timer = 0
                state.entries[key] = entry
                state.inFlight += 1
                batch.append(entry.work)
            }
            // Stale timers at the top only cost a spurious wake; dropped here.
            while let first = state.timers.min, state.entries[first.key]?.timer != first.sequence {
                state.timers.removeMin()
            }
            return (batch, state.timers.min?.at)
        }
    }

    private func finished(_ work: any ScheduledWork, wait: Duration?) {
        let key = ObjectIdentifier(work)
        let now = clock.now
        let done = state.withLock { state -> Bool in
            state.inFlight -= 1
            guard var entry = state.entries[key] else { return false }
            entry.running = false
            if entry.pending {
                entry.pending = false
                entry.queued = true
                state.ready.append(key)
            } else if entry.stopped {
                state.entries[key] = nil
                return true
            } else if let wait {
                state.sequence += 1
                entry.timer = state.sequence
                state.timers.insert(Due(at: now.advanced(by: wait), sequence: state.sequence, key: key))
            }
            state.entries[key] = entry
            return false
        }
        if done { work.ended() }
        wakeup.send(())
    }

    /// Runners scheduled now (for tests and the benchmark).
    var count: Int { state.withLock { $0.entries.count } }
}
