import Synchronization

/// Inputs for one loop, and the sleeps they cut short: the one wake-up
/// primitive of the engine. Many senders, one receiver. A receiver waits
/// until something arrives, the mailbox closes, its task is cancelled, or a
/// duration passes on a clock (so tests step time instead of sleeping).
public final class Mailbox<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var closed = false
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextWait = 0
        /// A wait cancelled before it began waiting.
        var cancelledWait: Int?
    }

    private let state = Mutex(State())

    public init() {}

    /// Queues `item` and wakes the receiver; false (and dropped) once closed.
    @discardableResult
    public func send(_ item: Element) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (false, nil) }
            state.items.append(item)
            defer { state.waiter = nil }
            return (true, state.waiter?.continuation)
        }
        waiter?.resume()
        return accepted
    }

    /// Ends the receiver's loop: `take` returns what is queued, then nil.
    public func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    /// What is queued, or what arrives within `duration` on `clock` (maybe
    /// nothing); nil once the mailbox is closed and empty or the task is
    /// cancelled. With no duration, waits until something arrives.
    public func take<C: Clock>(waitingAtMost duration: C.Duration?, on clock: C) async -> [Element]? {
        switch drain() {
        case .items(let items): return items
        case .closed: return nil
        case .empty: break
        }
        if Task.isCancelled { return nil }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForItems() }
            if let duration {
                group.addTask { try? await clock.sleep(for: duration) }
            }
            await group.next()
            group.cancelAll()
        }
        if Task.isCancelled { return nil }
        switch drain() {
        case .items(let items): return items
        case .closed: return nil
        case .empty: return []
        }
    }

    private enum Drained {
        case items([Element])
        case closed
        case empty
    }

    private func drain() -> Drained {
        state.withLock { state -> Drained in
            if !state.items.isEmpty {
                defer { state.items.removeAll() }
                return .items(state.items)
            }
            return state.closed ? .closed : .empty
        }
    }

    private func waitForItems() async {
        let id = state.withLock { state -> Int in
            state.nextWait += 1
            return state.nextWait
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if !state.items.isEmpty || state.closed || state.cancelledWait == id { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter, waiter.id == id else {
                    state.cancelledWait = id
                    return nil
                }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }
    }
}
