import Foundation
import SerinSpec

extension ClusterSync {
    /// What a prune did.
    struct PruneOutcome: Sendable {
        var pruned: [String] = []
        var kept: [String] = []
        var failures: [String] = []
    }

    /// What a source taken out of the configuration left, and what became of it.
    public struct RemovedSource: Sendable, Equatable {
        public var source: String
        public var pruned: [String]
        public var kept: [String]
        public var failures: [String]
    }

    /// Deletes what `source` applied and no longer declares, when it is
    /// still the source's: labelled for it and written by Serin's field
    /// manager, not marked `prune: disabled`, and (a Namespace or a CRD)
    /// holding no object of another source. Returns the entries to keep in
    /// the inventory (a Namespace or CRD another source still uses, a
    /// delete that failed), and what was done.
    func prune(_ entries: [Inventory.Entry], of source: String, allowed: Bool) async -> (kept: [Inventory.Entry], PruneOutcome) {
        var outcome = PruneOutcome()
        var keep: [Inventory.Entry] = []
        guard !entries.isEmpty else { return (keep, outcome) }
        guard allowed else {
            outcome.kept = entries.map { "\($0.description): the source says prune: false" }.sorted()
            return (keep, outcome)
        }
        // What other sources applied: a Namespace or CRD of theirs is not ours to delete.
        var others: [(source: String, entry: Inventory.Entry)]?
        let client = writer(for: source)
        for entry in Self.pruneOrder(entries) {
            let resource: ResourceKind
            do {
                resource = try await self.client.resourceKind(apiVersion: entry.apiVersion, kind: entry.kind)
            } catch where error.isNotFound {
                continue // the kind is not served any more: nothing of it is left
            } catch {
                outcome.failures.append("\(entry.description) not pruned: \(Self.reason(error))")
                keep.append(entry)
                continue
            }
            let live: KubeObject?
            do {
                // The apiserver's word, not the cache's: a delete is for good.
                live = try await client.resources(resource).getIfPresent(entry.name, namespace: entry.namespace)
            } catch {
                outcome.failures.append("\(entry.description) not pruned: \(Self.reason(error))")
                keep.append(entry)
                continue
            }
            guard let live, live.metadata.deletionTimestamp == nil else {
                written.forget(entry.key)
                continue
            }
            if let owner = live.metadata.labels?[Self.sourceLabel], owner != source {
                outcome.kept.append("\(entry.description): labelled \(Self.sourceLabel)=\(owner), not \(source)")
                written.forget(entry.key)
                continue
            }
            if live.metadata.labels?[Self.sourceLabel] == nil {
                outcome.kept.append("\(entry.description): no \(Self.sourceLabel) label any more")
                written.forget(entry.key)
                continue
            }
            if live.metadata.managedFields != nil, !live.metadata.managers.contains(Self.fieldManager) {
                outcome.kept.append("\(entry.description): not written by field manager \(Self.fieldManager) any more")
                written.forget(entry.key)
                continue
            }
            if let annotation = Self.pruneAnnotations.first(where: { live.metadata.annotations?[$0] == "disabled" }) {
                outcome.kept.append("\(entry.description): \(annotation): disabled")
                written.forget(entry.key)
                continue
            }
            if entry.kind == "Namespace" || entry.kind == "CustomResourceDefinition" {
                if others == nil { others = await entriesOfOtherSources(than: source) }
                if let holder = Self.holder(of: entry, live: live, among: others ?? []) {
                    outcome.kept.append("\(entry.description): holds \(holder.entry.description) of source \(holder.source)")
                    keep.append(entry)
                    continue
                }
            }
            do {
                written.forget(entry.key)
                if try await client.resources(resource).deleteIfPresent(entry.name, namespace: entry.namespace, propagationPolicy: .background) {
                    outcome.pruned.append(entry.description)
                }
            } catch {
                outcome.failures.append("\(entry.description) not pruned: \(Self.reason(error))")
                keep.append(entry)
            }
        }
        return (keep, outcome)
    }

    /// Namespaced objects first, then CRDs, then Namespaces: the reverse of applying.
    static func pruneOrder(_ entries: [Inventory.Entry]) -> [Inventory.Entry] {
        func rank(_ entry: Inventory.Entry) -> Int {
            switch entry.kind {
            case "Namespace": 2
            case "CustomResourceDefinition": 1
            default: 0
            }
        }
        return entries.sorted { (rank($0), $0.id) < (rank($1), $1.id) }
    }

    /// An object of another source inside the Namespace, or of the CRD's kind.
    static func holder(of entry: Inventory.Entry, live: KubeObject,
                       among others: [(source: String, entry: Inventory.Entry)]) -> (source: String, entry: Inventory.Entry)? {
        if entry.kind == "Namespace" {
            return others.first { $0.entry.namespace == entry.name }
        }
        let group = live["spec"]?["group"]?.stringValue ?? ""
        let kind = live["spec"]?["names"]?["kind"]?.stringValue ?? ""
        return others.first { $0.entry.group == group && $0.entry.kind == kind }
    }

    /// Every entry of every other inventory in the operator's namespace.
    private func entriesOfOtherSources(than source: String) async -> [(source: String, entry: Inventory.Entry)] {
        var found: [(String, Inventory.Entry)] = []
        for (name, inventory) in (try? await allInventories()) ?? [:] where name != source {
            for entry in inventory.entries.values { found.append((name, entry)) }
        }
        return found
    }

    /// The inventories in the operator's namespace, by source: every
    /// install's, or only `install`'s.
    func allInventories(install: String? = nil) async throws -> [String: Inventory] {
        let maps = try await client.resources(InventoryRecord.self).list(namespace: inventoryNamespace,
                                                                         labelSelector: "app.kubernetes.io/managed-by=serin,\(Self.sourceLabel)").items
        var found: [String: Inventory] = [:]
        for map in maps {
            // Trusted only at its own name, as Serin wrote it (issue 21, item 1).
            guard let source = map.metadata.labels?[Self.sourceLabel], map.metadata.name == Inventory.name(source) else { continue }
            if let install, map.metadata.labels?[Inventory.installLabel] != install { continue }
            if let reason = map.distrust(source: source, fieldManager: Self.fieldManager, sourceLabel: Self.sourceLabel) {
                logger.warning("inventory not trusted", metadata: ["source": "\(source)", "reason": "\(reason)"])
                continue
            }
            found[source] = try Inventory(data: map.data)
            inventories[source] = found[source]
        }
        return found
    }

    /// Sources whose inventories this install wrote (`serin.dev/install`)
    /// but which `configured` no longer names: their objects are pruned (as
    /// safely as anything leaving Git), or kept when the source said
    /// `prune: false`; the inventory goes once nothing is left in it.
    /// Inventories of other installs sharing the namespace (another Lease),
    /// or written before the label, are never taken for removed.
    public func pruneRemovedSources(configured: Set<String>) async throws -> [RemovedSource] {
        var removed: [RemovedSource] = []
        for (source, inventory) in try await allInventories(install: install).sorted(by: { $0.key < $1.key }) where !configured.contains(source) {
            let (keep, outcome) = await prune(Array(inventory.entries.values), of: source, allowed: inventory.prune)
            let maps = client.resources(ConfigMap.self)
            if keep.isEmpty {
                _ = try await maps.deleteIfPresent(Inventory.name(source), namespace: inventoryNamespace)
                inventories[source] = nil
            } else {
                var left = inventory
                left.entries = Dictionary(keep.map { ($0.id, $0) }) { first, _ in first }
                try await save(left, of: source)
            }
            written.forget(source: source)
            removed.append(RemovedSource(source: source, pruned: outcome.pruned, kept: outcome.kept, failures: outcome.failures))
        }
        return removed
    }
}
