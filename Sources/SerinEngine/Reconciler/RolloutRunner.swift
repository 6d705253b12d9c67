import Foundation
import Logging
import Metrics
import SerinSpec
import Synchronization

/// Drives one rollout: a single loop feeds its worker every input (new
/// revisions, commands, readiness, interval ticks), so the machine sees
/// events one at a time and in order even though the worker awaits I/O.
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
    private let mailbox = Mailbox<Input>()
    /// Opened when the runner is done for good (its job returned): a
    /// successor for the same rollout waits for it, so two workers never
    /// act on, or save, one rollout at once.
    public let finished = Gate()
    /// Set when a decision was not carried out; the loop reasserts the saved state first.
    private let unsettledFlag = Mutex(false)
    private var unsettled: Bool {
        get { unsettledFlag.withLock { $0 } }
        set { unsettledFlag.withLock { $0 = newValue } }
    }
    private let pollInterval: Duration
    private let clock: C
    /// Wall time at `origin` on `clock`: events carry seconds since 1970.
    private let origin: C.Instant
    private let wallOrigin: Double
    /// Flagger's canary_duration_seconds: how long each analysis run took
    /// (its checks, webhooks and the routing they lead to).
    private let analysisDuration: Timer
    private let logger: Logger
    private let onError: @Sendable (String) -> Void

    public init(worker: RolloutWorker<P>, plan: Plan, pollInterval: Duration, clock: C, wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 },
                logger: Logger, onError: @escaping @Sendable (String) -> Void) {
        id = worker.id
        target = worker.target
        self.worker = worker
        self.plan = plan
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
    public func submit(_ input: Input) -> Bool { mailbox.send(input) }

    /// After a restart: what the saved state runs is made so again.
    public func reassert() async throws {
        try await worker.reassert(at: now())
    }

    /// The platform says the workload's readiness changed.
    public func readinessChanged() { mailbox.send(.readinessChanged) }

    /// Ends `run()` after the input in hand.
    public func stop() { mailbox.close() }

    func now() -> Double {
        let elapsed = origin.duration(to: clock.now).components
        return wallOrigin + Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    /// Until stopped or cancelled. Ticks at the plan's interval. Readiness
    /// is looked at when the platform says it changed, and polled in between
    /// as a safety net, so a ready canary starts its analysis without
    /// waiting a tick.
    public func run() async {
        let interval = Double(plan.interval.components.seconds) + Double(plan.interval.components.attoseconds) / 1e18
        // The first tick comes soon: after a restart the interval that was
        // running is lost, and waiting a whole new one would stall a rollout
        // whose operator restarts often.
        var nextTick = now() + min(interval, 1)
        var wait = pollInterval
        while let inputs = await mailbox.take(waitingAtMost: wait, on: clock) {
            for input in inputs { await handle(input) }
            let now = self.now()
            do {
                // A decision the platform did not carry out (the apiserver
                // out of reach, say) is carried out before anything else is
                // judged: no step is analysed on traffic it never got.
                if unsettled {
                    wait = .seconds(1)
                    try await worker.reassert(at: now)
                    unsettled = false
                    wait = pollInterval
                }
                let waiting = await worker.state.waiting
                // Readiness is also polled; otherwise nothing happens before
                // the next tick but an input, which wakes the mailbox at
                // once: a steady rollout sleeps an interval, not a poll period.
                switch waiting {
                case .canaryReady, .primaryReady:
                    wait = pollInterval
                    // tick() reports readiness first; only a due tick analyses.
                    if now >= nextTick {
                        try await analyse(at: now)
                        nextTick = now + interval
                    } else if let readiness = await worker.readinessEvent(at: now) {
                        try await worker.send(readiness)
                    }
                default:
                    // A check due before the next tick (a step that began
                    // between ticks, a schedule saved before a restart) moves
                    // the tick to it.
                    if let due = await worker.state.nextCheckAt, due < nextTick { nextTick = max(due, now) }
                    if now >= nextTick {
                        try await analyse(at: now)
                        nextTick = now + interval
                        if let due = await worker.state.nextCheckAt, due > now, due < nextTick { nextTick = due }
                        wait = .milliseconds(Int64(max(0, nextTick - now) * 1000))
                    } else {
                        wait = max(.milliseconds(1), .milliseconds(Int64((nextTick - now) * 1000)))
                    }
                }
            } catch {
                report(error)
            }
        }
    }

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
                break // the loop looks at readiness next
            }
        } catch {
            if case .command(_, _, let reply) = input { reply(nil, "\(error)") }
            report(error)
        }
    }

    private func report(_ error: any Error) {
        logger.error("\(error)", metadata: ["rollout": "\(id)"])
        onError("\(id): \(error)")
        unsettled = true
    }
}
