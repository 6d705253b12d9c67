import Logging
import SerinSpec
import Synchronization

/// Something Serin wrote, changed or deleted by someone else.
public struct DriftEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Changed, and put back as written.
        case changed
        /// Deleted, and made again.
        case deleted
        /// Its `serin.dev/source` label now names another source, or none:
        /// left to whoever took it (not corrected, not pruned).
        case handedOver
        /// Could not be put back.
        case failed
    }

    /// The source it belongs to, when known.
    public var source: String?
    public var object: WrittenObjects.Key
    public var kind: Kind
    /// The fields that differed (`spec.replicas: 1 → 3`).
    public var fields: [String]
    /// The field managers that wrote it meanwhile (`kubectl-set`, `kubectl-edit`).
    public var by: [String]
    /// One line, for the audit trail and alerts.
    public var message: String
}

/// Drift found from the caches, not by comparing everything at every
/// interval: each change of an object Serin wrote (the Git sync's objects,
/// through `ClusterCache`; the platform's Deployments and the DaemonSets
/// the caches cannot see, a `-primary` among them, through its informers)
/// is looked at when it comes. A change of generation, labels or
/// annotations (or, for kinds without a generation, any change), compared
/// with what each of Serin's field managers wrote (`WrittenObjects`), is
/// put back with the same manager; a deleted object is made again. The
/// object's source hears of it (`report`). Objects of a suspended source
/// (`isHeld`) are left as they are.
public final class DriftWatch: Sendable {
    private let client: KubeClient
    /// Per source, the client acting as its ServiceAccount: a source's
    /// objects are read and put back with its rights (issue 21, item 5);
    /// the platform's Deployments are Serin's.
    private let sourceClients: [String: KubeClient]
    private let cache: ClusterCache
    private let deployments: Informer<Deployment>?
    private let daemonSets: Informer<DaemonSet>?
    private let written: WrittenObjects
    private let isHeld: @Sendable (String?) -> Bool
    private let report: @Sendable (DriftEvent) async -> Void
    private let logger: Logger
    /// Deployments an autoscaler scales: their replicas are its, not drift.
    private let autoscaled = Mutex<[String: Set<WrittenObjects.Key>]>([:])
    /// Serin's own field managers: their writes are never drift.
    static let ownManagers: Set<String> = [ClusterSync.fieldManager, KubernetesPlatform.rolloutFieldManager, "serin-status"]

    public init(client: KubeClient, cache: ClusterCache, deployments: Informer<Deployment>?, daemonSets: Informer<DaemonSet>? = nil,
                written: WrittenObjects,
                isHeld: @escaping @Sendable (String?) -> Bool = { _ in false }, sourceClients: [String: KubeClient] = [:],
                logger: Logger = Logger(label: "serin.drift"), report: @escaping @Sendable (DriftEvent) async -> Void) {
        self.client = client
        self.sourceClients = sourceClients
        self.cache = cache
        self.deployments = deployments
        self.daemonSets = daemonSets
        self.written = written
        self.isHeld = isHeld
        self.logger = logger
        self.report = report
    }

    /// The Deployments of `source` an autoscaler scales (`scaleTargetRef`).
    public func setAutoscaled(_ keys: Set<WrittenObjects.Key>, of source: String) {
        autoscaled.withLock { $0[source] = keys }
    }

    /// Until cancelled.
    public func run() async {
        let deploymentChanges = deployments?.changes()
        let daemonSetChanges = daemonSets?.changes()
        let cacheChanges = cache.changes
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await change in cacheChanges { await self.examine(change.resource, change.change) }
            }
            if let deploymentChanges {
                group.addTask {
                    for await change in deploymentChanges {
                        let converted: InformerChange<KubeObject>? = switch change {
                        case .added: nil
                        case .updated(let old, let new): ClusterSync.object(old).flatMap { old in ClusterSync.object(new).map { .updated(old: old, new: $0) } }
                        case .deleted(let old): ClusterSync.object(old).map { .deleted($0) }
                        }
                        if let converted { await self.examine(Deployment.resourceKind, converted) }
                    }
                }
            }
            if let daemonSetChanges {
                group.addTask {
                    for await change in daemonSetChanges {
                        // A DaemonSet with Serin's source label is the caches' (Git's), seen there; the rest
                        // (the platform's `-primary`) only here.
                        let converted: InformerChange<KubeObject>? = switch change {
                        case .added: nil
                        case .updated(let old, let new):
                            Self.labelled(old) || Self.labelled(new) ? nil
                                : ClusterSync.object(old).flatMap { old in ClusterSync.object(new).map { .updated(old: old, new: $0) } }
                        case .deleted(let old): Self.labelled(old) ? nil : ClusterSync.object(old).map { .deleted($0) }
                        }
                        if let converted { await self.examine(DaemonSet.resourceKind, converted) }
                    }
                }
            }
        }
    }

    /// One change of the cluster's copy of an object.
    func examine(_ resource: ResourceKind, _ change: InformerChange<KubeObject>) async {
        let object = change.object
        let key = WrittenObjects.Key(resource, namespace: object.metadata.namespace, name: object.metadata.name ?? "")
        guard !written.writes(of: key).isEmpty else { return }
        switch change {
        case .added:
            return
        case .updated(let old, let new):
            if written.isWrittenSince(key, resourceVersion: new.metadata.resourceVersion) { return }
            // A status written, a controller's bookkeeping: the spec did not move.
            if let generation = new.metadata.generation, generation == old.metadata.generation,
               new.metadata.labels == old.metadata.labels, new.metadata.annotations == old.metadata.annotations { return }
            await compare(key, resource, live: new, by: Self.writers(old: old, new: new))
        case .deleted:
            await deleted(key, resource)
        }
    }

    /// The live copy against each write; what does not hold is put back.
    private func compare(_ key: WrittenObjects.Key, _ resource: ResourceKind, live: KubeObject, by writers: [String]) async {
        let source = owner(of: key)
        if isHeld(source) { return }
        let liveValue = ClusterSync.json(live)
        var differences: [String] = []
        var failing: [WrittenObjects.Write] = []
        for write in written.writes(of: key) {
            let fields = fields(of: write, key)
            if let declared = fields["metadata"]?["labels"]?[ClusterSync.sourceLabel]?.stringValue,
               live.metadata.labels?[ClusterSync.sourceLabel] != declared {
                let now = live.metadata.labels?[ClusterSync.sourceLabel]
                written.forget(key)
                await report(DriftEvent(source: source, object: key, kind: .handedOver, fields: [], by: writers,
                                        message: "\(key) is now labelled \(ClusterSync.sourceLabel)=\(now ?? "(none)"): left to it, not put back or pruned"))
                return
            }
            guard !DeclaredFields.holds(liveValue, fields) else { continue }
            differences += DeclaredFields.differences(liveValue, fields)
            failing.append(write)
        }
        guard !failing.isEmpty else { return }
        let by = writers.isEmpty ? "" : " by \(writers.joined(separator: ", "))"
        do {
            try await put(failing, of: key, liveVersion: live.metadata.resourceVersion)
            await report(DriftEvent(source: source, object: key, kind: .changed, fields: differences, by: writers,
                                    message: "\(key) was changed in the cluster\(by) (\(differences.joined(separator: "; "))); put back as Serin wrote it"))
        } catch {
            await report(DriftEvent(source: source, object: key, kind: .failed, fields: differences, by: writers,
                                    message: "\(key) was changed in the cluster\(by) and cannot be put back: \(ClusterSync.reason(error))"))
        }
    }

    /// Gone from the cache: deleted, or (a label-selected cache) its label
    /// taken away. Deleted is made again.
    private func deleted(_ key: WrittenObjects.Key, _ resource: ResourceKind) async {
        let source = owner(of: key)
        if isHeld(source) { return }
        if resource != Deployment.resourceKind {
            let live = try? await client(for: source, resource).resources(resource).getIfPresent(key.name, namespace: key.namespace)
            if let live, live.metadata.deletionTimestamp == nil {
                written.forget(key)
                await report(DriftEvent(source: source, object: key, kind: .handedOver, fields: [], by: Array(live.metadata.managers.subtracting(Self.ownManagers)).sorted(),
                                        message: "\(key) lost its \(ClusterSync.sourceLabel) label: left as it is, not put back or pruned"))
                return
            }
        }
        let writes = written.writes(of: key)
        guard !writes.isEmpty else { return } // Serin deleted it meanwhile
        do {
            try await put(writes, of: key, liveVersion: nil)
            await report(DriftEvent(source: source, object: key, kind: .deleted, fields: [], by: [],
                                    message: "\(key) was deleted in the cluster; made again as Serin wrote it"))
        } catch {
            await report(DriftEvent(source: source, object: key, kind: .failed, fields: [], by: [],
                                    message: "\(key) was deleted in the cluster and cannot be made again: \(ClusterSync.reason(error))"))
        }
    }

    /// Writes `writes` again, each with its own field manager, unless a
    /// newer write of the object came meanwhile (the platform's, say).
    private func put(_ writes: [WrittenObjects.Write], of key: WrittenObjects.Key, liveVersion: String?) async throws {
        let written = self.written
        try await written.serialized(key) {
            // Under the object's lock: a write since the change was seen has put it in order.
            if let liveVersion, written.isWrittenSince(key, resourceVersion: liveVersion) { return }
            let managers = Set(writes.map(\.manager))
            for write in written.writes(of: key) where managers.contains(write.manager) {
                let fields = self.fields(of: write, key)
                let object = try KubeObject(json: fields)
                let client = self.client(for: write.source, write.resource)
                let answer = try await client.resources(write.resource).apply(object, fieldManager: write.manager, force: true)
                written.record(key, resource: write.resource, manager: write.manager, sent: fields, answer: answer, source: write.source)
            }
        }
    }

    /// Who writes an object of `source`: its ServiceAccount's client, but
    /// for the platform's Deployments and DaemonSets (Serin's own writes).
    private func client(for source: String?, _ resource: ResourceKind) -> KubeClient {
        guard resource != Deployment.resourceKind, resource != DaemonSet.resourceKind, let source, let sourceClient = sourceClients[source] else {
            return client
        }
        return sourceClient
    }

    /// A write's fields; an autoscaled Deployment's replicas left out.
    private func fields(of write: WrittenObjects.Write, _ key: WrittenObjects.Key) -> JSONValue {
        var fields = write.fields
        let scaled = autoscaled.withLock { $0.values.contains { $0.contains(key) } }
        if scaled, case .object(var spec)? = fields["spec"] {
            spec["replicas"] = nil
            fields["spec"] = .object(spec)
        }
        return fields
    }

    /// The source of the object, or of the Deployment or DaemonSet a `-primary` copies.
    private func owner(of key: WrittenObjects.Key) -> String? {
        if let source = written.source(of: key) { return source }
        guard key.kind == "Deployment" || key.kind == "DaemonSet", key.name.hasSuffix("-primary") else { return nil }
        return written.source(of: WrittenObjects.Key(group: key.group, kind: key.kind, namespace: key.namespace,
                                                     name: String(key.name.dropLast("-primary".count))))
    }

    static func labelled<R: KubeResource>(_ object: R) -> Bool {
        object.metadata.labels?[ClusterSync.sourceLabel] != nil
    }

    /// The field managers whose entries are new or newer in `new`: who changed it.
    static func writers(old: KubeObject, new: KubeObject) -> [String] {
        let before = Set((old.metadata.managedFields ?? []).map { "\($0.manager)@\($0.time ?? "")" })
        let changed = (new.metadata.managedFields ?? []).filter { !before.contains("\($0.manager)@\($0.time ?? "")") && $0.subresource != "status" }
        return Array(Set(changed.map(\.manager)).subtracting(ownManagers)).sorted()
    }
}
