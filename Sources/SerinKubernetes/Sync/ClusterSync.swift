import Foundation
import Logging
import SerinSpec

/// Git applied to the cluster as Flux's kustomize-controller applies it
/// (`fluxcd/pkg/ssa`, `ApplyAllStaged`): all or nothing. Every object of a
/// revision that differs from the cluster is first applied as a
/// server-side dry run, Namespaces and CRDs in a first stage; only when the
/// apiserver takes all of them is anything applied, so a refused object
/// leaves the cluster on the last revision applied and is named with the
/// apiserver's reason. (Objects in a namespace, or of a kind, that the
/// revision itself creates can only be tried once their Namespace or CRD
/// exists: those are tried after the first stage is applied.)
///
/// An inventory per source (`Inventory`) says what it applied, so what
/// leaves Git is pruned: only objects that still carry the source's label
/// and Serin's field manager, never one marked `serin.dev/prune: disabled`
/// (or Flux's `kustomize.toolkit.fluxcd.io/prune: disabled`), never a
/// Namespace or CRD that holds objects of another source.
///
/// Objects are compared with the cluster's copies in `ClusterCache` (one
/// informer per kind, no request per sync); what Serin wrote is kept in
/// `WrittenObjects` for `DriftWatch`, which puts back what is changed or
/// deleted by hand. Objects the platform releases itself (the Deployments)
/// are dry-run, kept in the inventory and judged for health, not applied here.
public actor ClusterSync {
    public struct Options: Sendable {
        /// The revision already applied, again: what differs from it in the
        /// cluster is drift, put back without a dry run; an object another
        /// source has taken over (its label) is left to it.
        public var resync: Bool
        /// False (`prune: false` on the source): nothing of it is deleted.
        public var prune: Bool
        /// Objects the platform writes itself: dry-run and recorded, not applied.
        public var releasedByPlatform: @Sendable (KubeObject) -> Bool

        public init(resync: Bool = false, prune: Bool = true, releasedByPlatform: @escaping @Sendable (KubeObject) -> Bool = { _ in false }) {
            self.resync = resync
            self.prune = prune
            self.releasedByPlatform = releasedByPlatform
        }
    }

    public struct Report: Sendable, Equatable {
        /// `Kind namespace/name` of what was created or changed by Git.
        public var applied: [String] = []
        /// Changed in the cluster by someone else, and put back.
        public var drifted: [String] = []
        public var pruned: [String] = []
        /// Not pruned, and why (`ConfigMap ns/x: labelled for source other`).
        public var kept: [String] = []
        /// Left to the source that now carries its label (a resync only).
        public var handedOver: [String] = []
        /// The dry run's refusals: nothing of the revision was applied
        /// (but Namespaces and CRDs it needed first, when `partial`).
        public var refused: [String] = []
        /// Refused after the first stage (Namespaces, CRDs) was applied.
        public var partial = false
        /// One line each: the object and the apiserver's answer.
        public var failures: [String] = []
        /// Objects in the source's inventory after the sync.
        public var inventory = 0
        /// What was written, for the inventory.
        var written: [Inventory.Entry] = []

        public init() {}

        public var problems: [String] { refused + failures }
    }

    public static let fieldManager = "serin"
    public static let sourceLabel = "serin.dev/source"
    /// `disabled` on an object: never pruned.
    public static let pruneAnnotations = ["serin.dev/prune", "kustomize.toolkit.fluxcd.io/prune"]

    let client: KubeClient
    let inventoryNamespace: String
    /// False for a namespaced operator: its namespace is made by an admin
    /// (a namespaced Role cannot read or create Namespaces).
    let createsInventoryNamespace: Bool
    public let cache: ClusterCache
    public let written: WrittenObjects
    /// The platform's Deployment informer: Deployments are read from it.
    let deployments: Informer<Deployment>?
    let logger: Logger
    var inventories: [String: Inventory] = [:]
    /// Which install this is (its leader Lease's name, or `unelected`):
    /// written on each inventory, so a source is taken for removed only by
    /// the install whose configuration dropped it.
    let install: String
    /// Objects left to another source (their label), said once.
    var handedOver: Set<String> = []
    /// Per source, a client acting as the source's ServiceAccount: its
    /// objects are dry-run, applied, read and pruned with that account's
    /// rights (RBAC decides); the inventory is still read and written as
    /// Serin, and the informers' reads stay Serin's (issue 21, item 5).
    let sourceClients: [String: KubeClient]
    /// Sources whose inventory read back was not trusted: written anew by their next sync.
    var distrusted: Set<String> = []

    public init(client: KubeClient, inventoryNamespace: String, createsInventoryNamespace: Bool = true, cache: ClusterCache? = nil,
                written: WrittenObjects = WrittenObjects(), deployments: Informer<Deployment>? = nil, install: String = "serin-leader",
                sourceClients: [String: KubeClient] = [:], logger: Logger = Logger(label: "serin.sync")) {
        self.install = install
        self.sourceClients = sourceClients
        self.client = client
        self.inventoryNamespace = inventoryNamespace
        self.createsInventoryNamespace = createsInventoryNamespace
        self.cache = cache ?? ClusterCache(client: client, namespace: nil, logger: logger)
        self.written = written
        self.deployments = deployments
        self.logger = logger
    }

    /// Who acts for `source`: its ServiceAccount's client, or Serin's.
    func writer(for source: String?) -> KubeClient {
        source.flatMap { sourceClients[$0] } ?? client
    }

    /// Installs Flagger's CRDs where the cluster has none and waits until they are served.
    public func ensureFlaggerCRDs() async throws {
        try await ensureCRDs(try FlaggerCRDs.definitions(), names: FlaggerCRDs.names)
    }

    /// Installs `definitions` the cluster lacks and waits until each is served.
    public func ensureCRDs(_ definitions: [KubeObject], names: [String]) async throws {
        let crds = client.resources(CustomResourceDefinition.self)
        for definition in definitions where try await crds.getIfPresent(definition.metadata.name ?? "") == nil {
            _ = try await client.resources(CustomResourceDefinition.resourceKind).apply(definition, fieldManager: Self.fieldManager)
        }
        for name in names { try await waitUntilEstablished(name) }
    }

    // MARK: one object of a revision

    /// An object of the revision, ready to be compared and applied.
    struct Item: Sendable {
        var object: KubeObject
        /// nil while its kind is one the revision's own CRD defines, not served yet.
        var resource: ResourceKind?
        var entry: Inventory.Entry
        var releasedByPlatform: Bool
        var stage: Int
        /// The cluster had a copy when it was compared.
        var wasLive = true

        var key: WrittenObjects.Key { entry.key }
        var description: String { entry.description }
    }

    // MARK: the sync

    /// Makes the cluster hold `objects` for `source`, all or nothing.
    public func sync(source: String, objects: [KubeObject], options: Options = Options()) async -> Report {
        var report = Report()
        var previous: Inventory
        let distrust: String?
        do {
            (previous, distrust) = try await checkedInventory(of: source)
        } catch {
            report.failures.append("the inventory of \(source) cannot be read: \(error)")
            return report
        }
        report = await staged(source: source, objects: objects, options: options, previous: previous)
        if let distrust {
            report.failures.append("the inventory \(inventoryNamespace)/\(Inventory.name(source)) is not trusted: \(distrust); "
                + "nothing it lists is pruned, and Serin writes it anew")
        }
        return report
    }

    /// The sync proper, from the inventory `previous`.
    private func staged(source: String, objects: [KubeObject], options: Options, previous: Inventory) async -> Report {
        var report = Report()
        var items: [Item] = []
        for object in Self.ordered(objects) {
            switch await prepare(object, source: source, revisionObjects: objects, releasedByPlatform: options.releasedByPlatform) {
            case .success(let item): items.append(item)
            case .failure(let refusal): report.refused.append(refusal.message)
            }
        }
        guard report.refused.isEmpty else { return report }
        var current = Inventory(prune: options.prune)
        for item in items { current.entries[item.entry.id] = item.entry }

        // What differs from the cluster (or from Git's last word) is tried.
        var candidates: [Item] = []
        var deferred: [Item] = []
        var creatingNamespaces: Set<String> = []
        for var item in items {
            guard let resource = item.resource else {
                deferred.append(item)
                continue
            }
            // What the platform writes is only looked at, not compared: its
            // metadata is enough (a Deployment is typed in the platform's
            // informer, and converting each at every resync was most of
            // the operator's CPU at rest).
            let live = item.releasedByPlatform ? nil : await live(resource, item)
            let liveMetadata = item.releasedByPlatform ? await metadata(resource, item) : live?.metadata
            item.wasLive = liveMetadata != nil
            if item.object.kind == "Namespace", liveMetadata == nil { creatingNamespaces.insert(item.entry.name) }
            if options.resync, let owner = liveMetadata?.labels?[Self.sourceLabel], owner != source {
                if handedOver.insert(item.entry.id).inserted {
                    report.handedOver.append("\(item.description) now carries \(Self.sourceLabel)=\(owner): left to it")
                }
                continue
            }
            handedOver.remove(item.entry.id)
            if item.releasedByPlatform {
                // The platform writes it; Git's word on it is tried when it changes.
                if !options.resync && previous.entries[item.entry.id]?.digest != item.entry.digest { candidates.append(item) }
                continue
            }
            if let live, unchanged(item, live: live, previous: previous) { continue }
            candidates.append(item)
        }

        if options.resync {
            // The revision was taken before: what differs is drift, put back.
            for item in candidates where !item.releasedByPlatform {
                do {
                    try await write(item, source: source)
                    record(item, previous: previous, in: &report)
                } catch {
                    report.failures.append("\(item.description): \(Self.reason(error))")
                }
            }
        } else {
            // The dry run: of everything that can be tried now.
            let (now, later) = candidates.partitioned { item in
                item.stage == 0 || !(item.entry.namespace.map(creatingNamespaces.contains) ?? false)
            }
            var changed = await dryRun(now, source: source, report: &report)
            guard report.refused.isEmpty else { return report }
            // The first stage: Namespaces and CRDs, then what needed them.
            for item in changed where item.stage == 0 {
                do {
                    let answer = try await write(item, source: source)
                    record(item, previous: previous, in: &report)
                    if item.object.kind == "CustomResourceDefinition" {
                        try await waitUntilEstablished(item.entry.name, from: answer)
                    }
                } catch {
                    report.failures.append("\(item.description): \(Self.reason(error))")
                }
            }
            guard report.failures.isEmpty else { return await finish(source, previous: previous, current: current, report: report, appliedAll: false) }
            var second = later
            for var item in deferred {
                switch await resolve(&item) {
                case .success: second.append(item)
                case .failure(let refusal): report.refused.append(refusal.message)
                }
            }
            if !second.isEmpty, report.refused.isEmpty {
                changed += await dryRun(second, source: source, report: &report)
            }
            if !report.refused.isEmpty {
                report.partial = !report.applied.isEmpty
                return await finish(source, previous: previous, current: current, report: report, appliedAll: false)
            }
            for item in changed where item.stage > 0 && !item.releasedByPlatform {
                do {
                    try await write(item, source: source)
                    record(item, previous: previous, in: &report)
                } catch {
                    report.failures.append("\(item.description): \(Self.reason(error))")
                }
            }
        }
        return await finish(source, previous: previous, current: current, report: report, appliedAll: report.failures.isEmpty)
    }

    /// An object written: Git's change, or (Git unchanged) drift put back.
    private func record(_ item: Item, previous: Inventory, in report: inout Report) {
        report.written.append(item.entry)
        guard previous.entries[item.entry.id]?.digest == item.entry.digest else {
            report.applied.append(item.description)
            return
        }
        report.drifted.append(item.wasLive ? "\(item.description) was changed in the cluster" : "\(item.description) was deleted in the cluster")
    }

    /// Prunes (once everything applied) and saves the inventory.
    private func finish(_ source: String, previous: Inventory, current: Inventory, report: Report, appliedAll: Bool) async -> Report {
        var report = report
        var current = current
        if appliedAll {
            let removed = previous.entries.values.filter { current.entries[$0.id] == nil }
            let (kept, outcome) = await prune(removed, of: source, allowed: current.prune)
            for entry in kept { current.entries[entry.id] = entry }
            report.pruned += outcome.pruned
            report.kept += outcome.kept
            report.failures += outcome.failures
        } else {
            // Not all applied: the inventory is what the cluster holds, what was written of this revision included.
            current.entries = previous.entries
            for entry in report.written { current.entries[entry.id] = entry }
            current.prune = previous.prune
        }
        if current != previous || distrusted.contains(source) {
            do {
                try await save(current, of: source)
            } catch {
                report.failures.append("the inventory of \(source) is not saved: \(error)")
            }
        }
        report.inventory = current.count
        return report
    }

    /// Dry-runs `items`; what the apiserver would store differently from
    /// the cluster is returned (to be applied), refusals go to the report.
    private func dryRun(_ items: [Item], source: String, report: inout Report) async -> [Item] {
        var changed: [Item] = []
        for item in items {
            guard let resource = item.resource else { continue }
            do {
                let answer = try await writer(for: source).resources(resource).dryRunApply(item.object, fieldManager: Self.fieldManager, force: true)
                let sent = Self.json(item.object)
                let would = DeclaredFields.projected(Self.json(answer), onto: sent)
                if !item.releasedByPlatform, let live = await live(resource, item), DeclaredFields.holds(Self.json(live), would) {
                    // Held already, once normalised as the apiserver stores it.
                    written.record(item.key, resource: resource, manager: Self.fieldManager, sent: sent, answer: live, source: source)
                    continue
                }
                changed.append(item)
            } catch {
                report.refused.append("\(item.description): \(Self.reason(error))")
            }
        }
        return changed
    }

    /// Applies `item` (one write of its object at a time) and records it.
    @discardableResult
    func write(_ item: Item, source: String) async throws -> KubeObject {
        guard let resource = item.resource else { throw KubernetesPlatformError(.unsupported, object: item.description, "\(item.description): kind not served") }
        let client = writer(for: source), written = self.written
        return try await written.serialized(item.key) {
            let answer = try await client.resources(resource).apply(item.object, fieldManager: Self.fieldManager, force: true)
            written.record(item.key, resource: resource, manager: Self.fieldManager, sent: Self.json(item.object), answer: answer, source: source)
            return answer
        }
    }

    /// Whether the cluster's copy holds what the revision declares: every
    /// field as written, or (for what Git did not change) as the apiserver
    /// stored Serin's last write of it.
    private func unchanged(_ item: Item, live: KubeObject, previous: Inventory) -> Bool {
        let liveValue = Self.json(live)
        let declared = Self.json(item.object)
        if DeclaredFields.holds(liveValue, declared) {
            // Held as written (after a restart, say): what the watch compares with from now on.
            if let resource = item.resource, !written.writes(of: item.key).contains(where: { $0.manager == Self.fieldManager }) {
                written.record(item.key, resource: resource, manager: Self.fieldManager, sent: declared, answer: live, source: item.object.metadata.labels?[Self.sourceLabel])
            }
            return true
        }
        guard previous.entries[item.entry.id]?.digest == item.entry.digest,
              let write = written.writes(of: item.key).first(where: { $0.manager == Self.fieldManager }) else { return false }
        return DeclaredFields.holds(liveValue, write.fields)
    }

    // MARK: preparing objects

    struct Refusal: Error {
        var message: String
    }

    /// The object labelled for its source, in its namespace, with its kind
    /// found; a kind the revision's own CRD defines is resolved after it is applied.
    private func prepare(_ original: KubeObject, source: String, revisionObjects: [KubeObject],
                         releasedByPlatform: @Sendable (KubeObject) -> Bool) async -> Result<Item, Refusal> {
        var object = original
        object.metadata.labels = (object.metadata.labels ?? [:]).merging([Self.sourceLabel: source]) { _, new in new }
        var resource: ResourceKind?
        var namespaced: Bool
        do {
            let found = try await client.resourceKind(of: object)
            resource = found
            namespaced = found.namespaced
        } catch {
            guard let scope = Self.definedScope(of: object, in: revisionObjects) else {
                return .failure(Refusal(message: "\(object.kind) \(object.metadata.namespace.map { "\($0)/" } ?? "")\(object.metadata.name ?? ""): "
                    + "\(Self.reason(error)) (is its CustomResourceDefinition installed?)"))
            }
            namespaced = scope
        }
        if namespaced && object.metadata.namespace == nil { object.metadata.namespace = client.config.namespace }
        if !namespaced { object.metadata.namespace = nil }
        let entry = Inventory.Entry(apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace,
                                    name: object.metadata.name ?? "", digest: Self.digest(object))
        if let reason = reservation(of: entry) {
            return .failure(Refusal(message: "\(entry.description) is refused from Git: \(reason); rename it or leave it out of the source"))
        }
        let stage = ["Namespace", "CustomResourceDefinition"].contains(object.kind) ? 0 : 1
        return .success(Item(object: object, resource: resource, entry: entry, releasedByPlatform: releasedByPlatform(object), stage: stage))
    }

    /// The kind of a deferred item, now that its CRD is served.
    private func resolve(_ item: inout Item) async -> Result<Void, Refusal> {
        do {
            item.resource = try await client.resourceKind(of: item.object)
            return .success(())
        } catch {
            return .failure(Refusal(message: "\(item.description): \(Self.reason(error))"))
        }
    }

    /// Whether a CRD among `objects` defines the object's kind: nil when
    /// none does, else whether it is namespaced.
    static func definedScope(of object: KubeObject, in objects: [KubeObject]) -> Bool? {
        let (group, version) = ResourceKind.split(apiVersion: object.apiVersion)
        for crd in objects where crd.kind == "CustomResourceDefinition" {
            let spec = crd["spec"] ?? .null
            guard spec["group"]?.stringValue == group, spec["names"]?["kind"]?.stringValue == object.kind,
                  (spec["versions"]?.arrayValue ?? []).contains(where: { $0["name"]?.stringValue == version }) else { continue }
            return spec["scope"]?.stringValue != "Cluster"
        }
        return nil
    }

    // MARK: the cluster's copies

    /// The cluster's copy of an item: from the platform's Deployment
    /// informer, the kind's informer, or (when that cannot list) the apiserver.
    func live(_ resource: ResourceKind, _ item: Item) async -> KubeObject? {
        await live(resource, namespace: item.entry.namespace, name: item.entry.name, source: item.object.metadata.labels?[Self.sourceLabel])
    }

    func live(_ resource: ResourceKind, namespace: String?, name: String, source: String? = nil) async -> KubeObject? {
        if resource == Deployment.resourceKind, let deployments, deployments.hasSynced {
            return deployments.get(name, namespace: namespace).flatMap(Self.object)
        }
        if let informer = await cache.synced(resource) {
            return informer.get(name, namespace: resource.namespaced ? namespace : nil)
        }
        return try? await writer(for: source).resources(resource).getIfPresent(name, namespace: namespace)
    }

    /// The live object's metadata: from the platform's Deployment informer
    /// as it is, without making an untyped object of it.
    func metadata(_ resource: ResourceKind, _ item: Item) async -> ObjectMeta? {
        if resource == Deployment.resourceKind, let deployments, deployments.hasSynced {
            return deployments.get(item.entry.name, namespace: item.entry.namespace)?.metadata
        }
        return await live(resource, item)?.metadata
    }

    /// A typed resource as an untyped object.
    static func object<R: KubeResource>(_ resource: R) -> KubeObject? {
        guard var object = try? KubeObject(json: {
            var value = (try? JSONValue(encoding: resource)) ?? .object([:])
            value["apiVersion"] = .string(R.resourceKind.apiVersion)
            value["kind"] = .string(R.resourceKind.kind)
            return value
        }()) else { return nil }
        object.metadata.managedFields = resource.metadata.managedFields
        return object
    }

    // MARK: the inventory

    /// The Canaries the inventories of `sources` list, as rollout keys
    /// (`namespace.name`): the rollouts of this operator, not of another
    /// one on the same cluster.
    public func appliedCanaries(of sources: [String]) async throws -> Set<String> {
        var keys: Set<String> = []
        for source in sources {
            for entry in try await inventory(of: source).entries.values where entry.kind == "Canary" {
                keys.insert("\(entry.namespace ?? "default").\(entry.name)")
            }
        }
        return keys
    }

    /// How many objects `source` applied (its inventory's size).
    public func inventorySize(of source: String) async -> Int? {
        try? await inventory(of: source).count
    }

    static func inventoryName(_ source: String) -> String { Inventory.name(source) }

    /// The inventory; one not trusted is taken as empty (nothing it lists is pruned).
    func inventory(of source: String) async throws -> Inventory {
        try await checkedInventory(of: source).inventory
    }

    /// Why Git may not declare this object: Serin trusts its inventories,
    /// rollout states, their signing key, its records of waves and its
    /// leader lease by name and place, so a source that wrote them could
    /// forge what Serin prunes, restores, which clusters a revision reaches
    /// or who leads (issue 21, item 5; issue 26).
    func reservation(of entry: Inventory.Entry) -> String? {
        let core = entry.apiVersion == "v1"
        if core && entry.kind == "ConfigMap" && (entry.name.hasPrefix(Inventory.prefix) || entry.name.hasPrefix("serin-state-")) {
            return "ConfigMaps named serin-inventory-* and serin-state-* are Serin's own inventories and rollout states"
        }
        if core && entry.kind == "ConfigMap" && entry.name.hasPrefix(ClusterWaveStore.namePrefix) {
            return "ConfigMaps named \(ClusterWaveStore.namePrefix)* are Serin's records of where each source's revision stands in its waves"
        }
        if core && entry.kind == "Secret" && entry.name == ClusterStateReplica.keySecret && entry.namespace == inventoryNamespace {
            return "the Secret \(inventoryNamespace)/\(entry.name) holds the key that signs Serin's rollout states"
        }
        if entry.apiVersion.hasPrefix("coordination.k8s.io/") && entry.kind == "Lease" && entry.namespace == inventoryNamespace {
            return "Leases in \(inventoryNamespace), Serin's own namespace, elect Serin's leader"
        }
        return nil
    }

    /// Read only at its own name in Serin's namespace (as Serin), and
    /// trusted only with Serin's labels and its entries written by Serin's
    /// field manager; one not trusted is empty here, with the reason, and
    /// the next save writes it anew.
    func checkedInventory(of source: String) async throws -> (inventory: Inventory, distrust: String?) {
        if let known = inventories[source] { return (known, nil) }
        let record = try await client.resources(InventoryRecord.self).getIfPresent(Inventory.name(source), namespace: inventoryNamespace)
        if let record, let reason = record.distrust(source: source, fieldManager: Self.fieldManager, sourceLabel: Self.sourceLabel) {
            logger.warning("inventory not trusted", metadata: ["source": "\(source)", "reason": "\(reason)"])
            distrusted.insert(source)
            return (Inventory(), reason)
        }
        let inventory = try Inventory(data: record?.data)
        inventories[source] = inventory
        return (inventory, nil)
    }

    func save(_ inventory: Inventory, of source: String) async throws {
        let namespaces = client.resources(Namespace.self)
        if createsInventoryNamespace, try await namespaces.getIfPresent(inventoryNamespace) == nil {
            _ = try await namespaces.apply(Namespace(name: inventoryNamespace), fieldManager: Self.fieldManager)
        }
        _ = try await client.resources(ConfigMap.self).apply(inventory.configMap(source: source, namespace: inventoryNamespace, install: install),
                                                             fieldManager: Self.fieldManager, force: true)
        inventories[source] = inventory
        distrusted.remove(source)
    }

    // MARK: helpers

    /// Until the apiserver serves the definition's kind (its `Established`
    /// condition), followed on a watch of the definition.
    func waitUntilEstablished(_ name: String, from written: KubeObject? = nil) async throws {
        let crds = client.resources(CustomResourceDefinition.self)
        guard try await crds.wait(for: name, from: try written?.converted(), timeout: .seconds(30), until: { $0.isEstablished }) != nil else {
            throw KubernetesPlatformError(.notEstablished, object: "CustomResourceDefinition \(name)",
                                          "the CustomResourceDefinition \(name) is not established after 30 s")
        }
    }

    /// Namespaces, then CRDs, then the rest, each group in Git's order.
    static func ordered(_ objects: [KubeObject]) -> [KubeObject] {
        func rank(_ object: KubeObject) -> Int {
            switch object.kind {
            case "Namespace": 0
            case "CustomResourceDefinition": 1
            default: 2
            }
        }
        return objects.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    static func json(_ object: KubeObject) -> JSONValue {
        object.json
    }

    static func digest(_ object: KubeObject) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(object)) ?? Data()
        let hash = data.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return String(hash, radix: 16)
    }

    /// The apiserver's own words for a refusal, without the request around them.
    static func reason(_ error: any Error) -> String {
        if let kube = error as? KubeError, kube.status != nil, !kube.message.isEmpty { return kube.message }
        return "\(error)"
    }

    /// True when `live` holds every field of `desired` with the same value.
    static func holds(_ live: JSONValue, _ desired: JSONValue) -> Bool {
        DeclaredFields.holds(live, desired)
    }
}

extension Array {
    /// The elements that satisfy `belongs`, then the others, each in order.
    func partitioned(by belongs: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = [], no: [Element] = []
        for element in self {
            if belongs(element) { yes.append(element) } else { no.append(element) }
        }
        return (yes, no)
    }
}
