import Synchronization
import SerinEngine

/// The one writer of every Canary's status. Whoever learns that a rollout
/// moved (its decisions, a delivery of its source) marks it; the reporter
/// writes what is marked, batched, through `CanaryStatusWriter` (which
/// skips a status that did not change). A rollout whose status is not
/// settled (a release runs: its weight and step move between decisions)
/// is written again every `period`, and a status that could not be
/// written (the apiserver away, a conflict) is tried again until taken.
public final class CanaryStatusReporter: Sendable {
    private struct State {
        var marked: Set<RolloutID> = []
        /// Rollouts whose last status was not a settled phase, or not written.
        var unsettled: Set<RolloutID> = []
    }

    private let writer: CanaryStatusWriter
    private let status: @Sendable (RolloutID) async -> RolloutStatus?
    private let period: Duration
    private let failed: @Sendable (RolloutID, any Error) -> Void
    private let state = Mutex(State())
    private let wakeup = Mailbox<Void>()

    public init(writer: CanaryStatusWriter, period: Duration = .seconds(2),
                status: @escaping @Sendable (RolloutID) async -> RolloutStatus?,
                failed: @escaping @Sendable (RolloutID, any Error) -> Void = { _, _ in }) {
        self.writer = writer
        self.period = period
        self.status = status
        self.failed = failed
    }

    /// The rollout's status is to be written (soon, with others marked meanwhile).
    public func mark(_ id: RolloutID) {
        state.withLock { _ = $0.marked.insert(id) }
        wakeup.send(())
    }

    public func mark(_ ids: some Sequence<RolloutID>) {
        state.withLock { $0.marked.formUnion(ids) }
        wakeup.send(())
    }

    /// Until cancelled.
    public func run<C: Clock>(clock: C) async where C.Duration == Duration {
        var next = clock.now.advanced(by: period)
        while !Task.isCancelled {
            let now = clock.now
            var due = state.withLock { state -> Set<RolloutID> in
                defer { state.marked.removeAll() }
                return state.marked
            }
            if now >= next {
                due.formUnion(state.withLock { $0.unsettled })
                next = now.advanced(by: period)
            }
            for id in due.sorted(by: { $0.description < $1.description }) where !Task.isCancelled {
                await write(id)
            }
            let waiting = state.withLock { $0.unsettled.isEmpty } ? nil : now.duration(to: next)
            guard await wakeup.take(waitingAtMost: waiting.map { max($0, .zero) }, on: clock) != nil else { return }
        }
    }

    private func write(_ id: RolloutID) async {
        guard let rollout = await status(id) else {
            state.withLock { _ = $0.unsettled.remove(id) }
            return
        }
        let settled: Set<RolloutPhase> = [.initialized, .succeeded, .failed]
        do {
            try await writer.write(rollout)
            state.withLock { state in
                if settled.contains(rollout.phase) { state.unsettled.remove(id) } else { state.unsettled.insert(id) }
            }
        } catch {
            state.withLock { _ = $0.unsettled.insert(id) }
            failed(id, error)
        }
    }
}
