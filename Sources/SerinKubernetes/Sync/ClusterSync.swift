import Foundation
import Logging
import SerinSpec

/// Git applied to the cluster as Flux's kustomize-controller applies it:
/// every object with server-side apply under Serin's field manager,
/// Namespaces and CRDs first; an inventory per source (a ConfigMap) of what
/// was applied, so an object removed from Git is pruned, and only one Serin
/// applied; an object changed by hand is drift, put back and reported.
///
/// An object is applied only when the cluster's copy does not already hold
/// every field Git declares, so a steady cluster sees no writes; the copies
/// are read with one list per kind and namespace (by the source's label),
/// not one GET per object. Objects the platform releases itself (the
/// Deployments) are kept in the inventory but not applied here.
public actor ClusterSync {
    public struct Report: Sendable, Equatable {
        /// `Kind namespace/name` of what was created or changed by Git.
        public var applied: [String] = []
        /// Changed in the cluster by someone else, and put back.
        public var drifted: [String] = []
        public var pruned: [String] = []
        /// One line each: the object and the apiserver's answer.
        public var failures: [String] = []

        public init() {}
    }

    /// One object Serin applied, as the inventory lists it.
    struct Entry: Codable, Hashable, Sendable {
        var apiVersion: String
        var kind: String
        var namespace: String?
        var name: String
        /// Of the object as Git declared it, to tell drift from a change in Git.
        var digest: String

        var id: String { "\(apiVersion)/\(kind)/\(namespace ?? "")/\(name)" }
        var description: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
    }

    public static let fieldManager = "serin"
    public static let sourceLabel = "serin.dev/source"

    private let client: KubeClient
    private let inventoryNamespace: String
    /// False for a namespaced operator: its namespace is made by an admin
    /// (a namespaced Role cannot read or create Namespaces).
    private let createsInventoryNamespace: Bool
    private let logger: Logger
    /// Per source, a client acting as the source's ServiceAccount: its
    /// objects are listed, applied and pruned with that account's rights
    /// (RBAC decides); the inventory is still read and written as Serin.
    private let sourceClients: [String: KubeClient]
    private var inventories: [String: [String: Entry]] = [:]

    public init(client: KubeClient, inventoryNamespace: String, createsInventoryNamespace: Bool = true,
                sourceClients: [String: KubeClient] = [:], logger: Logger = Logger(label: "serin.sync")) {
        self.client = client
        self.sourceClients = sourceClients
        self.inventoryNamespace = inventoryNamespace
        self.createsInventoryNamespace = createsInventoryNamespace
        self.logger = logger
    }

    /// Installs Flagger's CRDs where the cluster has none and waits until they are served.
    public func ensureFlaggerCRDs() async throws {
        let crds = client.resources(CustomResourceDefinition.self)
        for definition in try FlaggerCRDs.definitions() where try await crds.getIfPresent(definition.metadata.name ?? "") == nil {
            _ = try await client.resources(CustomResourceDefinition.resourceKind).apply(definition, fieldManager: Self.fieldManager)
        }
        for name in FlaggerCRDs.names { try await waitUntilEstablished(name) }
    }

    /// Makes the cluster hold `objects` for `source`; `releasedByPlatform`
    /// objects are only recorded in the inventory.
    public func sync(source: String, objects: [KubeObject], releasedByPlatform: @Sendable (KubeObject) -> Bool) async -> Report {
        var report = Report()
        let previous: [String: Entry]
        let trusted: Bool
        do {
            (previous, trusted) = try await checkedInventory(of: source, report: &report)
        } catch {
            report.failures.append("the inventory of \(source) cannot be read: \(error)")
            return report
        }
        var current: [String: Entry] = [:]
        let writer = sourceClients[source] ?? client
        // What the cluster holds of this source, one list per kind and
        // namespace (by the source's label) rather than a GET per object.
        var listed: [String: [String: KubeObject]] = [:]
        for var object in Self.ordered(objects) {
            object.metadata.labels = (object.metadata.labels ?? [:]).merging([Self.sourceLabel: source]) { _, new in new }
            let kind: ResourceKind
            do {
                kind = try await client.resourceKind(of: object)
            } catch {
                report.failures.append("\(object.kind) \(object.metadata.name ?? ""): \(error)")
                continue
            }
            if kind.namespaced && object.metadata.namespace == nil { object.metadata.namespace = client.config.namespace }
            if !kind.namespaced { object.metadata.namespace = nil }
            let entry = Entry(apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace,
                              name: object.metadata.name ?? "", digest: Self.digest(object))
            if let reason = reservation(of: entry) {
                report.failures.append("\(entry.description) is refused from Git: \(reason); rename it or leave it out of the source")
                if let old = previous[entry.id] { current[entry.id] = old }
                continue
            }
            current[entry.id] = entry
            if releasedByPlatform(object) { continue }
            do {
                let resource = writer.resources(kind)
                let group = "\(kind.apiVersion)/\(kind.plural)/\(entry.namespace ?? "")"
                if listed[group] == nil {
                    let items = try await resource.list(namespace: entry.namespace, labelSelector: "\(Self.sourceLabel)=\(source)").items
                    listed[group] = Dictionary(items.map { ($0.metadata.name ?? "", $0) }) { first, _ in first }
                }
                let live = listed[group]?[entry.name]
                if let live, Self.holds(Self.json(live), Self.json(object)) { continue }
                let written = try await resource.apply(object, fieldManager: Self.fieldManager, force: true)
                if live != nil, previous[entry.id]?.digest == entry.digest {
                    report.drifted.append(entry.description)
                } else {
                    report.applied.append(entry.description)
                }
                if kind == CustomResourceDefinition.resourceKind { try await waitUntilEstablished(entry.name, from: written) }
            } catch {
                report.failures.append("\(entry.description): \(error)")
                // Not applied: whatever was there before stays listed, so it is never pruned by mistake.
                if let old = previous[entry.id] { current[entry.id] = old }
            }
        }
        for (id, entry) in previous where current[id] == nil {
            do {
                let kind = try await client.resourceKind(apiVersion: entry.apiVersion, kind: entry.kind)
                if try await writer.resources(kind).deleteIfPresent(entry.name, namespace: entry.namespace, propagationPolicy: .background) {
                    report.pruned.append(entry.description)
                }
            } catch {
                report.failures.append("\(entry.description) not pruned: \(error)")
                current[id] = entry
            }
        }
        if current != previous || !trusted {
            do {
                try await save(current, of: source)
            } catch {
                report.failures.append("the inventory of \(source) is not saved: \(error)")
            }
        }
        return report
    }

    // MARK: the inventory

    /// The Canaries the inventories of `sources` list, as rollout keys
    /// (`namespace.name`): the rollouts of this operator, not of another
    /// one on the same cluster.
    public func appliedCanaries(of sources: [String]) async throws -> Set<String> {
        var keys: Set<String> = []
        for source in sources {
            guard case .trusted(let entries) = try await inventory(of: source) else { continue }
            for entry in entries.values where entry.kind == "Canary" {
                keys.insert("\(entry.namespace ?? "default").\(entry.name)")
            }
        }
        return keys
    }

    static func inventoryName(_ source: String) -> String { "serin-inventory-" + source.lowercased() }

    /// Why Git may not declare this object: Serin trusts its inventories,
    /// rollout states, their signing key, its records of waves and its
    /// leader lease by name and place, so a source that wrote them could
    /// forge what Serin prunes, restores, which clusters a revision reaches
    /// or who leads (issue 21, item 5; issue 26).
    func reservation(of entry: Entry) -> String? {
        let core = entry.apiVersion == "v1"
        if core && entry.kind == "ConfigMap" && (entry.name.hasPrefix("serin-inventory-") || entry.name.hasPrefix("serin-state-")) {
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

    /// The inventory, and whether it can be trusted; an untrusted one is
    /// reported and taken as empty (nothing it lists is pruned), and written
    /// anew by the sync.
    private func checkedInventory(of source: String, report: inout Report) async throws -> (entries: [String: Entry], trusted: Bool) {
        switch try await inventory(of: source) {
        case .trusted(let entries):
            return (entries, true)
        case .untrusted(let reason):
            report.failures.append("the inventory \(inventoryNamespace)/\(Self.inventoryName(source)) is not trusted: \(reason); "
                + "nothing it lists is pruned, and Serin writes it anew")
            return ([:], false)
        }
    }

    private enum Inventory {
        case trusted([String: Entry])
        case untrusted(String)
    }

    /// Read only at its own name in Serin's namespace, and trusted only
    /// with Serin's labels and its entries written by Serin's field manager.
    private func inventory(of source: String) async throws -> Inventory {
        if let known = inventories[source] { return .trusted(known) }
        let map = try await client.resources(InventoryRecord.self).getIfPresent(Self.inventoryName(source), namespace: inventoryNamespace)
        var entries: [String: Entry] = [:]
        if let map {
            if let reason = map.distrust(source: source, fieldManager: Self.fieldManager, sourceLabel: Self.sourceLabel) {
                logger.warning("inventory not trusted", metadata: ["source": "\(source)", "reason": "\(reason)"])
                return .untrusted(reason)
            }
            if let text = map.data?["entries"] {
                for entry in try JSONDecoder().decode([Entry].self, from: Data(text.utf8)) { entries[entry.id] = entry }
            }
        }
        inventories[source] = entries
        return .trusted(entries)
    }

    private func save(_ entries: [String: Entry], of source: String) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let text = String(decoding: try encoder.encode(entries.values.sorted { $0.id < $1.id }), as: UTF8.self)
        let namespaces = client.resources(Namespace.self)
        if createsInventoryNamespace, try await namespaces.getIfPresent(inventoryNamespace) == nil {
            _ = try await namespaces.apply(Namespace(name: inventoryNamespace), fieldManager: Self.fieldManager)
        }
        let map = ConfigMap(metadata: ObjectMeta(name: Self.inventoryName(source), namespace: inventoryNamespace,
                                                 labels: ["app.kubernetes.io/managed-by": "serin", Self.sourceLabel: source]),
                            data: ["entries": text])
        _ = try await client.resources(ConfigMap.self).apply(map, fieldManager: Self.fieldManager, force: true)
        inventories[source] = entries
    }

    // MARK: helpers

    /// Until the apiserver serves the definition's kind (its `Established`
    /// condition), followed on a watch of the definition.
    private func waitUntilEstablished(_ name: String, from written: KubeObject? = nil) async throws {
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
        (try? JSONValue(encoding: object)) ?? .null
    }

    static func digest(_ object: KubeObject) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(object)) ?? Data()
        let hash = data.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return String(hash, radix: 16)
    }

    /// True when `live` holds every field of `desired` with the same value
    /// (fields the apiserver adds or defaults are not a difference; a
    /// status is never Git's business).
    static func holds(_ live: JSONValue, _ desired: JSONValue, top: Bool = true) -> Bool {
        switch (live, desired) {
        case (.object(let have), .object(let want)):
            want.allSatisfy { key, value in
                if top && key == "status" { return true }
                guard let present = have[key] else { return value == .null }
                return holds(present, value, top: false)
            }
        case (.array(let have), .array(let want)):
            have.count == want.count && zip(have, want).allSatisfy { holds($0, $1, top: false) }
        case (.int(let have), .double(let want)):
            Double(have) == want
        case (.double(let have), .int(let want)):
            have == Double(want)
        default:
            live == desired
        }
    }
}
