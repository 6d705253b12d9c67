import Foundation
import Logging
import Metrics
import SerinSpec
import Synchronization

/// Drives one rollout: feeds its worker every input (new revisions,
/// commands, readiness, interval ticks) one at a time and in order, even
/// though the worker awaits I/O. It has no task of its own: the
/// reconciler's `RolloutScheduler` runs its steps when an input arrives or
/// its next tick is due, so an idle rollout costs memory, not a task.
/// Time passes on `clock`, so tests step it instead of sleeping.
public final class RolloutRunner<P: Platform, C: Clock>: Sendable where C.Duration == Duration {
    public enum Input: Sendable {
        case release(P.Revision)
        case command(RolloutCommand, by: String?, reply: @Sendable (RolloutMachine.CommandResult?, String?) -> Void)
        /// The workload's readiness changed: readiness is looked at now.
        case readinessChanged
    }

    public let id: RolloutID
    public let target: WorkloadID
    public let worker: RolloutWorker<P>
    public let plan: Plan
    /// Opened when the runner is done for good (stopped, and its last step
    /// returned): a successor for the same rollout waits for it, so two
    /// workers never act on, or save, one rollout at once.
    public let finished = Gate()

    /// What the steps share; one step runs at a time.
    private struct Loop {
        var inputs: [Input] = []
        var stopped = false
        /// Set when a decision was not carried out; the next step reasserts the saved state first.
        var unsettled = false
        /// When the next tick is due (seconds since 1970); nil before the
        /// first step and after a rest.
        var nextTick: Double?
        /// How long the last step asked to sleep, kept when a step fails.
        var wait: Duration?
    }

    private let loop = Mutex(Loop())
    private let scheduler: RolloutScheduler<C>
    /// Readiness polled this often while the machine waits for it, besides
    /// the platform's reports; nil: only the reports (and each tick) count.
    private let pollInterval: Duration?
    private let clock: C
    /// Wall time at `origin` on `clock`: events carry seconds since 1970.
    private let origin: C.Instant
    private let wallOrigin: Double
    /// Flagger's canary_duration_seconds: how long each analysis run took
    /// (its checks, webhooks and the routing they lead to).
    private let analysisDuration: Timer
    private let logger: Logger
    private let onError: @Sendable (String) -> Void

    init(worker: RolloutWorker<P>, plan: Plan, scheduler: RolloutScheduler<C>, pollInterval: Duration?, clock: C,
         wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }, logger: Logger, onError: @escaping @Sendable (String) -> Void) {
        id = worker.id
        target = worker.target
        self.worker = worker
        self.plan = plan
        self.scheduler = scheduler
        self.pollInterval = pollInterval
        self.clock = clock
        origin = clock.now
        wallOrigin = wallClock()
        self.logger = logger
        self.onError = onError
        analysisDuration = Timer(label: "serin_canary_duration_seconds", dimensions: [("name", id.name), ("namespace", id.namespace)])
    }

    /// False once the runner is stopped (the input is dropped).
    @discardableResult
    public func submit(_ input: Input) -> Bool {
        let accepted = loop.withLock { loop -> Bool in
            guard !loop.stopped else { return false }
            loop.inputs.append(input)
            return true
        }
        if accepted { scheduler.wake(self) }
        return accepted
    }

    /// After a restart: what the saved state runs is made so again.
    public func reassert() async throws {
        try await worker.reassert(at: now())
    }

    /// The platform says the workload's readiness changed.
    public func readinessChanged() { submit(.readinessChanged) }

    /// No more inputs; what was submitted is still handled, then `finished` opens.
    public func stop() {
        loop.withLock { $0.stopped = true }
        scheduler.stop(self)
    }

    func now() -> Double {
        let elapsed = origin.duration(to: clock.now).components
        return wallOrigin + Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    private var interval: Double { Double(plan.interval.components.seconds) + Double(plan.interval.components.attoseconds) / 1e18 }

    private func analyse(at now: Double) async throws {
        let started = DispatchTime.now()
        defer { analysisDuration.recordInterval(since: started) }
        try await worker.tick(at: now)
    }

    private func handle(_ input: Input) async {
        do {
            switch input {
            case .release(let revision):
                try await worker.release(revision, at: now())
            case .command(let command, let caller, let reply):
                let result = try await worker.command(command, by: caller, at: now())
                reply(result, nil)
            case .readinessChanged:
                break // the step looks at readiness next
            }
        } catch {
            if case .command(_, _, let reply) = input { reply(nil, "\(error)") }
            report(error)
        }
    }

    private func report(_ error: any Error) {
        logger.error("\(error)", metadata: ["rollout": "\(id)"])
        onError("\(id): \(error)")
        loop.withLock { $0.unsettled = true }
    }
}

extension RolloutRunner: ScheduledWork {
    var isStopped: Bool { loop.withLock { $0.stopped } }

    func ended() { finished.open() }

    /// The inputs that arrived, in order, then the tick if it is due. A
    /// ready canary starts its analysis at once (the platform's report
    /// wakes the runner); readiness is also polled every `pollInterval`
    /// when there is one. A rollout at rest (nothing released, nothing to
    /// wait for) asks for no tick at all: only an input wakes it.
    func step() async -> Duration? {
        let (inputs, stopped) = loop.withLock { loop -> ([Input], Bool) in
            defer { loop.inputs.removeAll() }
            return (loop.inputs, loop.stopped)
        }
        for input in inputs { await handle(input) }
        if stopped { return nil }
        let now = self.now()
        let interval = self.interval
        let (firstTick, lastWait, unsettled) = loop.withLock { loop in
            // The first tick comes soon: after a restart (or a rest) the
            // interval that was running is lost, and waiting a whole new
            // one would stall a rollout whose operator restarts often.
            (loop.nextTick ?? now + min(interval, 1), loop.wait, loop.unsettled)
        }
        var nextTick = firstTick, wait = lastWait
        var resting = false
        defer { loop.withLock { $0.nextTick = resting ? nil : nextTick; $0.wait = wait } }
        do {
            // A decision the platform did not carry out (the apiserver
            // out of reach, say) is carried out before anything else is
            // judged: no step is analysed on traffic it never got.
            if unsettled {
                wait = .seconds(1)
                try await worker.reassert(at: now)
                loop.withLock { $0.unsettled = false }
            }
            let schedule = await worker.schedule
            switch schedule.waiting {
            case .canaryReady, .primaryReady:
                // tick() reports readiness first; only a due tick analyses.
                if now >= nextTick {
                    try await analyse(at: now)
                    nextTick = now + interval
                } else if let readiness = await worker.readinessEvent(at: now) {
                    try await worker.send(readiness)
                }
                let untilTick = Self.until(nextTick, from: now)
                wait = pollInterval.map { min($0, untilTick) } ?? untilTick
            default:
                // A check due before the next tick (a step that began
                // between ticks, a schedule saved before a restart) moves
                // the tick to it.
                if let due = schedule.nextCheckAt, due < nextTick { nextTick = max(due, now) }
                var atRest = schedule.atRest
                if now >= nextTick {
                    try await analyse(at: now)
                    nextTick = now + interval
                    let after = await worker.schedule
                    atRest = after.atRest
                    if let due = after.nextCheckAt, due > now, due < nextTick { nextTick = due }
                }
                if atRest {
                    resting = true
                    wait = nil
                } else {
                    wait = Self.until(nextTick, from: now)
                }
            }
        } catch {
            report(error)
            if wait == nil { wait = .seconds(1) }
        }
        return wait
    }

    /// At least a millisecond: a tick due now is not run twice in one step.
    private static func until(_ time: Double, from now: Double) -> Duration {
        max(.milliseconds(1), .milliseconds(Int64(max(0, time - now) * 1000)))
    }
}
