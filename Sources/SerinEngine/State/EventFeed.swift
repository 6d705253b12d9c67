import Synchronization

extension EventLog {
    /// What a subscriber receives: an entry, or word that it fell behind.
    public enum Delivery: Sendable, Equatable {
        case entry(Entry)
        /// Entries `gap.first` through `gap.last` were not delivered; read
        /// them from the log (`EventLog.entries(from:through:)`, or the API's
        /// `/api/v1/events?after=\(gap.first - 1)`).
        case gap(Gap)
    }

    /// A run of entries a subscriber did not get: it read more slowly than
    /// they were written and its buffer was full, or it asked to start
    /// before the oldest entry kept in memory.
    public struct Gap: Sendable, Equatable, Codable {
        public var first: Int
        public var last: Int
        public var count: Int { last - first + 1 }

        public init(first: Int, last: Int) {
            self.first = first
            self.last = last
        }
    }

    /// One subscriber's deliveries, in order; at most `limit` wait unread, past
    /// that the next ones are counted into a gap, delivered once the reader
    /// has caught up with what was buffered (never dropped silently).
    public struct Subscription: AsyncSequence, Sendable {
        public typealias Element = Delivery
        let channel: EventChannel

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: channel.stream.makeAsyncIterator(), channel: channel)
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: AsyncStream<Delivery>.AsyncIterator
            let channel: EventChannel

            public mutating func next() async -> Delivery? {
                if let gap = channel.takeGap() { return .gap(gap) }
                guard let delivery = await base.next() else { return channel.takeGap(finished: true).map(Delivery.gap) }
                channel.consumed()
                return delivery
            }
        }
    }
}

/// Hands each new entry to every subscriber. The caller publishes in order
/// and makes a subscription's backlog and its registration atomic with
/// publishing (one lock of its own around both), so nothing is missed or
/// sent twice; no lock here is held while an entry is handed over, because
/// a subscriber cancelled meanwhile removes itself from inside the
/// stream's termination handler.
public final class EventFeed: Sendable {
    private let subscribers = Mutex<[Int: EventChannel]>([:])
    private let nextID = Atomic<Int>(0)
    /// Unread deliveries a subscriber may hold before its gap starts.
    public let limit: Int

    public init(limit: Int = 1000) {
        self.limit = limit
    }

    public var count: Int { subscribers.withLock { $0.count } }

    public func publish(_ entry: EventLog.Entry) {
        for channel in subscribers.withLock({ Array($0.values) }) { channel.offer(entry) }
    }

    /// A subscription that first gets `backlog` (after a gap marker for
    /// `missing`, when entries it asked for are no longer in memory).
    public func subscribe(missing: EventLog.Gap? = nil, backlog: some Sequence<EventLog.Entry>) -> EventLog.Subscription {
        let channel = EventChannel(limit: limit)
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        if let missing { channel.offer(gap: missing) }
        for entry in backlog { channel.offer(entry) }
        channel.continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = channel }
        return EventLog.Subscription(channel: channel)
    }

    /// Ends every subscription (the log is going away).
    public func finish() {
        for channel in subscribers.withLock({ Array($0.values) }) { channel.continuation.finish() }
    }
}

/// One subscriber's buffer and the count of what waits in it.
final class EventChannel: Sendable {
    private struct State {
        var buffered = 0
        var gap: EventLog.Gap?
    }

    let limit: Int
    let stream: AsyncStream<EventLog.Delivery>
    let continuation: AsyncStream<EventLog.Delivery>.Continuation
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
        (stream, continuation) = AsyncStream<EventLog.Delivery>.makeStream()
    }

    func offer(_ entry: EventLog.Entry) {
        state.withLock { state in
            // A gap not yet told goes first, as soon as there is room for it.
            if let gap = state.gap, state.buffered < limit {
                continuation.yield(.gap(gap))
                state.gap = nil
                state.buffered += 1
            }
            if var gap = state.gap {
                gap.last = entry.sequence
                state.gap = gap
            } else if state.buffered >= limit {
                state.gap = EventLog.Gap(first: entry.sequence, last: entry.sequence)
            } else {
                continuation.yield(.entry(entry))
                state.buffered += 1
            }
        }
    }

    func offer(gap: EventLog.Gap) {
        state.withLock { state in
            continuation.yield(.gap(gap))
            state.buffered += 1
        }
    }

    /// The pending gap, once everything buffered before it was read (or the stream ended).
    func takeGap(finished: Bool = false) -> EventLog.Gap? {
        state.withLock { state in
            guard state.buffered == 0 || finished, let gap = state.gap else { return nil }
            state.gap = nil
            return gap
        }
    }

    func consumed() {
        state.withLock { $0.buffered -= 1 }
    }
}
