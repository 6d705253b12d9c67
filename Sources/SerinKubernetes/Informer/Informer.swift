import Logging
import NIOConcurrencyHelpers

/// client-go's informer: lists a resource, then watches it from the list's
/// resourceVersion, keeping a local cache by namespace/name that readers
/// ask instead of the apiserver. A watch that ends is resumed from the
/// last resourceVersion seen (bookmarks included); a 410 Gone (the resume
/// point was compacted away) relists. When the apiserver cannot be reached
/// it retries with backoff and keeps the cache as it was.
///
/// `run()` does all the work and returns when its task is cancelled.
public final class Informer<Object: KubeAPIObject>: Sendable {
    /// What `run()` did so far, for tests and benchmarks.
    public struct Statistics: Sendable, Hashable {
        public var lists = 0
        public var watches = 0
        public var relistsOnGone = 0
        public var failures = 0
    }

    private struct State {
        var store = InformerStore<Object>()
        var synced = false
        var resourceVersion: String?
        var statistics = Statistics()
        var subscribers: [Int: AsyncStream<InformerChange<Object>>.Continuation] = [:]
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<Int> = []
        var nextID = 0
        var finished = false
        /// Test hook: the next watch starts from this version.
        var resumeOverride: String?
    }

    public let resources: ResourceClient<Object>
    public let namespace: String?
    public let labelSelector: String?
    public let fieldSelector: String?
    private let watchTimeout: Duration
    private let allowBookmarks: Bool
    private let backoff: Backoff
    private let pageSize: Int
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - namespace: nil watches every namespace (of a namespaced resource).
    ///   - watchTimeout: each watch asks the apiserver to end it after a
    ///     random time between this and twice this, as client-go does, so
    ///     many informers do not reconnect together.
    public init(_ resources: ResourceClient<Object>, namespace: String? = nil, labelSelector: String? = nil,
                fieldSelector: String? = nil, watchTimeout: Duration = .seconds(300), allowBookmarks: Bool = true,
                backoff: Backoff = Backoff(base: .milliseconds(800), cap: .seconds(30)), pageSize: Int = 500,
                logger: Logger = Logger(label: "serin.kubernetes.informer")) {
        self.resources = resources
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.watchTimeout = watchTimeout
        self.allowBookmarks = allowBookmarks
        self.backoff = backoff
        self.pageSize = pageSize
        var logger = logger
        logger[metadataKey: "resource"] = "\(resources.kind)"
        self.logger = logger
    }

    // MARK: - Readers

    /// The first list has filled the cache.
    public var hasSynced: Bool { state.withLockedValue { $0.synced } }

    public var statistics: Statistics { state.withLockedValue { $0.statistics } }

    /// The resourceVersion of the last list or event the cache reflects.
    public var lastResourceVersion: String? { state.withLockedValue { $0.resourceVersion } }

    public func get(_ name: String, namespace: String? = nil) -> Object? {
        state.withLockedValue { $0.store[ObjectKey(namespace: namespace, name: name)] }
    }

    /// Every cached object, ordered by namespace, then name.
    public func list() -> [Object] {
        state.withLockedValue { $0.store.sorted }
    }

    /// Returns once the cache is filled (at once if it is).
    public func waitForSync() async throws(CancellationError) {
        let id = state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { state in
                    if state.synced || state.finished || state.cancelledWaiters.remove(id) != nil { return true }
                    state.syncWaiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                let waiter = state.syncWaiters.removeValue(forKey: id)
                if waiter == nil { state.cancelledWaiters.insert(id) }
                return waiter
            }
            waiter?.resume()
        }
        state.withLockedValue { _ = $0.cancelledWaiters.remove(id) }
        if Task.isCancelled || !hasSynced { throw CancellationError() }
    }

    /// The changes of the cache from now on. A new subscriber first gets
    /// every cached object as `.added`, so it starts from the same state.
    /// The stream ends when `run()` returns.
    public func changes() -> AsyncStream<InformerChange<Object>> {
        let (stream, continuation) = AsyncStream<InformerChange<Object>>.makeStream()
        let id = state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        let subscribed = state.withLockedValue { state in
            guard !state.finished else { return false }
            state.subscribers[id] = continuation
            // Under the lock, so no change slips between the replay and the stream.
            for object in state.store.sorted { continuation.yield(.added(object)) }
            return true
        }
        if !subscribed { continuation.finish() }
        return stream
    }

    // MARK: - The loop

    /// Lists, watches, and keeps watching until the task is cancelled.
    public func run() async {
        var attempt = 0
        defer { finish() }
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                if state.withLockedValue({ $0.resourceVersion == nil }) { try await relist() }
                let events = try await watchOnce()
                // A watch the apiserver ends at once, with nothing in it, is a
                // failure in disguise; do not spin on it.
                if events == 0 && ContinuousClock.now - started < .seconds(1) {
                    try await Task.sleep(for: backoff.delay(attempt: attempt))
                    attempt += 1
                } else {
                    attempt = 0
                }
            } catch let error as KubeError where error.isGone {
                logger.debug("resume point expired, relisting", metadata: ["error": "\(error)"])
                state.withLockedValue {
                    $0.resourceVersion = nil
                    $0.statistics.relistsOnGone += 1
                }
            } catch {
                if Task.isCancelled { break }
                state.withLockedValue { $0.statistics.failures += 1 }
                let wait = backoff.delay(attempt: attempt)
                logger.debug("list or watch failed; the cache is kept", metadata: ["error": "\(error)", "retryIn": "\(wait)"])
                attempt += 1
                do { try await Task.sleep(for: wait) } catch { break }
            }
        }
    }

    private func relist() async throws(KubeError) {
        state.withLockedValue { $0.statistics.lists += 1 }
        let list = try await resources.listAll(namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                                               pageSize: pageSize)
        state.withLockedValue { state in
            let changes = state.store.replace(with: list.items)
            state.resourceVersion = list.resourceVersion
            for change in changes { publish(change, in: &state) }
            if !state.synced {
                state.synced = true
                for waiter in state.syncWaiters.values { waiter.resume() }
                state.syncWaiters = [:]
            }
        }
        logger.debug("listed", metadata: ["objects": "\(list.items.count)", "resourceVersion": "\(list.resourceVersion)"])
    }

    /// One watch, until the apiserver ends it; returns how many events came.
    private func watchOnce() async throws -> Int {
        let from = state.withLockedValue { state in
            state.statistics.watches += 1
            defer { state.resumeOverride = nil }
            return state.resumeOverride ?? state.resourceVersion
        }
        let seconds = Int(watchTimeout.components.seconds)
        let timeout = max(1, Int.random(in: seconds...max(seconds, 2 * seconds)))
        let watch = resources.watch(namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                                    resourceVersion: from, timeoutSeconds: timeout, allowBookmarks: allowBookmarks)
        // A connection that died without a word (no FIN: a NAT or a node
        // gone) would leave the watch waiting forever; the apiserver ends a
        // live one after `timeout`, so a watch well past it is abandoned.
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var events = 0
                for try await event in watch {
                    events += 1
                    if case .error(let status) = event {
                        throw KubeError.watchStatus(status, request: "watch \(self.resources.kind)")
                    }
                    self.state.withLockedValue { state in
                        if let change = state.store.apply(event) { self.publish(change, in: &state) }
                        if let version = event.resourceVersion, !version.isEmpty { state.resourceVersion = version }
                    }
                }
                return events
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout) + .seconds(30))
                throw KubeError.transport("the watch outlived its timeout by 30 s: the connection is presumed dead",
                                          request: "watch \(self.resources.kind)")
            }
            defer { group.cancelAll() }
            return try await group.next() ?? 0
        }
    }

    private func publish(_ change: InformerChange<Object>, in state: inout State) {
        for subscriber in state.subscribers.values { subscriber.yield(change) }
    }

    private func finish() {
        let (subscribers, waiters) = state.withLockedValue { state in
            state.finished = true
            defer {
                state.subscribers = [:]
                state.syncWaiters = [:]
            }
            return (Array(state.subscribers.values), Array(state.syncWaiters.values))
        }
        // Outside the lock: finishing runs onTermination, which takes it.
        for subscriber in subscribers { subscriber.finish() }
        for waiter in waiters { waiter.resume() }
    }

    /// Test hook: the next watch resumes from `resourceVersion` (an old
    /// one, to make the apiserver answer 410 Gone).
    func resumeNextWatch(from resourceVersion: String) {
        state.withLockedValue { $0.resumeOverride = resourceVersion }
    }
}
