import Foundation
import Metrics
import SerinEngine
import SerinSpec
import Synchronization

/// Drives one rollout: a single loop feeds its worker every input (new
/// revisions, commands, readiness, interval ticks), so the machine sees
/// events one at a time and in order even though the worker awaits I/O.
final class RolloutRunner: Sendable {
    enum Input: Sendable {
        case revision(String, author: String?)
        case command(RolloutCommand, reply: @Sendable (RolloutMachine.CommandResult?, String?) -> Void)
        /// The workload's ready processes changed: readiness is looked at now.
        case readinessChanged
    }

    let id: RolloutID
    let workload: String
    let worker: RolloutWorker
    let plan: Plan
    private let inbox = Inbox()
    private let pollInterval: Duration
    /// Flagger's canary_duration_seconds: how long each analysis run took
    /// (its checks, webhooks and the routing they lead to).
    private let analysisDuration: Timer
    private let onError: @Sendable (String) -> Void

    init(id: RolloutID, workload: String, plan: Plan, worker: RolloutWorker, pollInterval: Duration,
         onError: @escaping @Sendable (String) -> Void) {
        self.id = id
        self.workload = workload
        self.plan = plan
        self.worker = worker
        self.pollInterval = pollInterval
        self.onError = onError
        analysisDuration = Timer(label: "serin_canary_duration_seconds", dimensions: [("name", id.name), ("namespace", id.namespace)])
    }

    func submit(_ input: Input) { inbox.put(input) }

    /// The platform says the workload's ready processes changed.
    func readinessChanged() { inbox.put(.readinessChanged) }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Until cancelled. Ticks at the plan's interval. Readiness is looked at
    /// when the platform says it changed, and polled in between as a
    /// safety net, so a ready canary starts its analysis without waiting a
    /// tick.
    func run() async {
        let interval = Double(plan.interval.components.seconds) + Double(plan.interval.components.attoseconds) / 1e18
        // The first tick comes soon: after a restart the interval that was
        // running is lost, and waiting a whole new one would stall a rollout
        // whose operator restarts often.
        var nextTick = Self.now() + min(interval, 1)
        var wait = pollInterval
        while !Task.isCancelled {
            for input in await inbox.take(waitingAtMost: wait) {
                await handle(input)
            }
            if Task.isCancelled { break }
            let now = Self.now()
            do {
                let waiting = await worker.state.waiting
                // Readiness is also polled; otherwise nothing happens before
                // the next tick but an input, which wakes the inbox at once:
                // a steady rollout sleeps an interval, not a poll period.
                switch waiting {
                case .canaryReady, .primaryReady: wait = pollInterval
                default: wait = max(pollInterval, .milliseconds(Int64(max(0, nextTick - now) * 1000)))
                }
                switch waiting {
                case .canaryReady, .primaryReady:
                    // tick() reports readiness first; only a due tick analyses.
                    if now >= nextTick {
                        try await analyse(at: now)
                        nextTick = now + interval
                    } else {
                        try await reportReadiness(at: now)
                    }
                default:
                    if now >= nextTick {
                        try await analyse(at: now)
                        nextTick = now + interval
                        wait = pollInterval
                    }
                }
            } catch {
                onError("\(id): \(error)")
            }
        }
    }

    private func analyse(at now: Double) async throws {
        let started = DispatchTime.now()
        defer { analysisDuration.recordInterval(since: started) }
        try await worker.tick(at: now)
    }

    private func reportReadiness(at now: Double) async throws {
        let state = await worker.state
        switch state.waiting {
        case .canaryReady:
            if await worker.platformIsCanaryReady() { try await worker.send(.canaryReady(at: now)) }
        case .primaryReady:
            if let revision = state.phase == .initializing ? state.primaryRevision : state.canaryRevision,
               await worker.platformIsPrimaryReady(revision) {
                try await worker.send(.primaryReady(at: now))
            }
        default:
            break
        }
    }

    private func handle(_ input: Input) async {
        do {
            switch input {
            case .revision(let revision, let author):
                await worker.setAuthor(author)
                try await worker.send(.newRevision(revision, at: Self.now()))
            case .command(let command, let reply):
                let result = try await worker.command(command, at: Self.now())
                reply(result, nil)
            case .readinessChanged:
                break // the loop looks at readiness next
            }
        } catch {
            if case .command(_, let reply) = input { reply(nil, "\(error)") }
            onError("\(id): \(error)")
        }
    }
}

/// Inputs waiting for a runner's loop, and a sleep they cut short.
final class Inbox: Sendable {
    private struct State {
        var items: [RolloutRunner.Input] = []
        var waiter: CheckedContinuation<Void, Never>?
        /// The runner's task was cancelled: no more waiting.
        var cancelled = false
        /// Tells a timer whether the waiter it would wake is still its own.
        var generation = 0
    }

    private let state = Mutex(State())

    func put(_ item: RolloutRunner.Input) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.items.append(item)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// What is waiting, or what arrives within `duration` (maybe nothing);
    /// returns at once when the task is cancelled.
    func take(waitingAtMost duration: Duration) async -> [RolloutRunner.Input] {
        await withTaskCancellationHandler {
            await wait(atMost: duration)
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        return state.withLock { state in
            defer { state.items.removeAll() }
            return state.items
        }
    }

    private func wait(atMost duration: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let generation = state.withLock { state -> Int? in
                if !state.items.isEmpty || state.cancelled { return nil }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let generation else { return continuation.resume() }
            let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
                let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation else { return nil }
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        }
    }
}
