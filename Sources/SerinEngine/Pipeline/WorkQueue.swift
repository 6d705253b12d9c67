import DequeModule
import Synchronization

/// Work on keys, with at most one item in flight per key, as client-go's
/// workqueue: an item added for a key that is already waiting is merged
/// into it (`coalesce`); one added while its key is in flight waits until
/// that is done, then runs; a failed item comes back after a backoff that
/// grows per key, unless a newer one arrived meanwhile. So a resync never
/// interleaves with a sync of the same source, and the last word on a key
/// is always the newest item's. Backoffs pass on `clock`.
public final class WorkQueue<Key: Hashable & Sendable, Item: Sendable, C: Clock>: Sendable where C.Duration == Duration {
    /// What processing an item came to.
    public enum Outcome: Sendable {
        case done
        /// Try the item again after the key's backoff (unless a newer one arrives first).
        case retry
    }

    private struct State {
        var waiting: [Key: Item] = [:]
        var order = Deque<Key>()
        var processing: Set<Key> = []
        /// Added while their key was in flight: they run once it is done.
        var next: [Key: Item] = [:]
        /// Failures in a row per key, for the backoff.
        var failures: [Key: Int] = [:]
        /// Failed items waiting out their backoff.
        var retries: [Key: (item: Item, due: C.Instant)] = [:]
        var running = 0
    }

    private let state = Mutex(State())
    private let wakeup = Mailbox<Void>()
    private let clock: C
    private let concurrency: Int
    private let coalesce: @Sendable (_ waiting: Item, _ new: Item) -> Item
    private let backoff: @Sendable (_ failures: Int) -> Duration

    /// `concurrency`: keys in flight at once. `coalesce`: the item that
    /// stands for both when one is added while another waits (the newest
    /// alone, by default).
    public init(clock: C, concurrency: Int = 1,
                coalesce: @escaping @Sendable (_ waiting: Item, _ new: Item) -> Item = { _, new in new },
                backoff: @escaping @Sendable (_ failures: Int) -> Duration = WorkQueueBackoff.exponential) {
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.coalesce = coalesce
        self.backoff = backoff
    }

    /// Queues `item` for `key`; false once the queue is closed.
    @discardableResult
    public func add(_ key: Key, _ item: Item) -> Bool {
        state.withLock { state in
            state.retries[key] = nil
            if state.processing.contains(key) {
                state.next[key] = state.next[key].map { coalesce($0, item) } ?? item
            } else if let waiting = state.waiting[key] {
                state.waiting[key] = coalesce(waiting, item)
            } else {
                state.waiting[key] = item
                state.order.append(key)
            }
        }
        return wakeup.send(())
    }

    /// True while `key` has an item waiting, in flight, or waiting out a backoff.
    public func isBusy(_ key: Key) -> Bool {
        state.withLock { $0.waiting[key] != nil || $0.processing.contains(key) || $0.next[key] != nil || $0.retries[key] != nil }
    }

    /// Failures in a row of `key`'s items.
    public func failures(of key: Key) -> Int { state.withLock { $0.failures[key] ?? 0 } }

    /// Processes items until cancelled or closed; returns once the items
    /// in flight are done.
    public func run(_ process: @escaping @Sendable (Key, Item) async -> Outcome) async {
        await withDiscardingTaskGroup { group in
            while true {
                while let (key, item) = take() {
                    group.addTask {
                        let outcome = await process(key, item)
                        self.finish(key, item, outcome)
                    }
                }
                guard await wakeup.take(waitingAtMost: nextRetry(), on: clock) != nil else { break }
            }
        }
    }

    /// Ends `run()` once the items in flight are done; nothing is added after.
    public func close() { wakeup.close() }

    /// The first waiting item whose key is free, once a slot is; due retries join the waiting first.
    private func take() -> (Key, Item)? {
        let now = clock.now
        return state.withLock { state -> (Key, Item)? in
            for (key, retry) in state.retries where retry.due <= now && state.waiting[key] == nil {
                state.retries[key] = nil
                state.waiting[key] = retry.item
                state.order.append(key)
            }
            guard state.running < concurrency else { return nil }
            while let key = state.order.popFirst() {
                guard let item = state.waiting.removeValue(forKey: key) else { continue }
                state.processing.insert(key)
                state.running += 1
                return (key, item)
            }
            return nil
        }
    }

    private func nextRetry() -> Duration? {
        let now = clock.now
        return state.withLock { state in
            state.retries.values.map { now.duration(to: $0.due) }.min().map { max($0, .zero) }
        }
    }

    private func finish(_ key: Key, _ item: Item, _ outcome: Outcome) {
        let now = clock.now
        state.withLock { state in
            state.running -= 1
            state.processing.remove(key)
            switch outcome {
            case .done:
                state.failures[key] = nil
            case .retry:
                let failures = (state.failures[key] ?? 0) + 1
                state.failures[key] = failures
                // Newer work for the key replaces a retry of the old.
                if state.next[key] == nil { state.retries[key] = (item, now.advanced(by: backoff(failures))) }
            }
            if let next = state.next.removeValue(forKey: key) {
                state.waiting[key] = next
                state.order.append(key)
            }
        }
        wakeup.send(())
    }
}

public enum WorkQueueBackoff {
    /// 1 s, doubling per failure in a row, at most 5 minutes (the order of Flux's retry interval).
    @Sendable public static func exponential(_ failures: Int) -> Duration {
        .seconds(min(300, 1 << min(max(failures - 1, 0), 9)))
    }
}
