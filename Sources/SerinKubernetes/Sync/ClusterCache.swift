import Logging
import SerinSpec
import Synchronization

/// The cluster's copies of what Git sources declare, kind by kind: one
/// informer per kind, of the objects labelled `serin.dev/source` (in the
/// operator's namespace when it has one), started the first time the kind
/// is met. The sync compares Git with it and the drift watch follows its
/// changes, so a steady cluster costs no request but the watches.
/// Deployments are the platform's informer's (`deployments`), not a second one.
public final class ClusterCache: Sendable {
    public struct Change: Sendable {
        public var resource: ResourceKind
        public var change: InformerChange<KubeObject>
    }

    private let client: KubeClient
    private let namespace: String?
    private let logger: Logger
    private let informers = Mutex<[ResourceKind: Informer<KubeObject>]>([:])
    /// Kinds whose informer did not list in time: readers do not wait for them again.
    private let unavailable = Mutex<Set<ResourceKind>>([])
    private let started = AsyncStream<Informer<KubeObject>>.makeStream()
    private let merged = AsyncStream<Change>.makeStream()
    /// How long a new informer may take to list before readers go to the apiserver.
    private let syncTimeout: Duration

    public init(client: KubeClient, namespace: String?, syncTimeout: Duration = .seconds(20), logger: Logger = Logger(label: "serin.sync.cache")) {
        self.client = client
        self.namespace = namespace
        self.syncTimeout = syncTimeout
        self.logger = logger
    }

    /// Runs every informer, those made later included, until cancelled.
    public func run() async {
        let merged = self.merged.continuation
        await withDiscardingTaskGroup { group in
            for await informer in started.stream {
                let changes = informer.changes()
                group.addTask { await informer.run() }
                group.addTask {
                    for await change in changes { merged.yield(Change(resource: informer.resources.kind, change: change)) }
                }
            }
        }
        merged.finish()
    }

    /// Ends `run()` (its informers too, once cancelled).
    public func finish() {
        started.continuation.finish()
    }

    /// Every change of every informer, as it comes (each informer first
    /// replays its cache as `.added`). One reader: the drift watch.
    public var changes: AsyncStream<Change> { merged.stream }

    /// The informer of `resource`, made and started if new.
    @discardableResult
    public func informer(for resource: ResourceKind) -> Informer<KubeObject> {
        let (informer, new) = informers.withLock { informers -> (Informer<KubeObject>, Bool) in
            if let known = informers[resource] { return (known, false) }
            let made = Informer(client.resources(resource), namespace: resource.namespaced ? namespace : nil,
                                labelSelector: ClusterSync.sourceLabel, logger: logger)
            informers[resource] = made
            return (made, true)
        }
        if new { started.continuation.yield(informer) }
        return informer
    }

    /// The informer of `resource` once it has listed; nil when it has not
    /// within the sync timeout (the kind cannot be listed or watched: the
    /// caller asks the apiserver instead).
    public func synced(_ resource: ResourceKind) async -> Informer<KubeObject>? {
        let informer = informer(for: resource)
        if informer.hasSynced { return informer }
        if unavailable.withLock({ $0.contains(resource) }) { return nil }
        let timeout = syncTimeout
        let synced = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await informer.waitForSync()) != nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        if !synced {
            unavailable.withLock { _ = $0.insert(resource) }
            logger.warning("\(resource) is not cached after \(timeout): read from the apiserver instead (can Serin list and watch it?)")
        }
        return synced ? informer : nil
    }

    /// Every informer's statistics (tests, benchmarks).
    public var statistics: [ResourceKind: Informer<KubeObject>.Statistics] {
        informers.withLock { $0.mapValues(\.statistics) }
    }
}
