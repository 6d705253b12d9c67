import Foundation
import SerinSpec

/// What one source applied to the cluster, as Flux's `status.inventory`:
/// kept in a ConfigMap `serin-inventory-<source>` of the operator's
/// namespace, so that what leaves Git is pruned (and only what Serin
/// applied), and a source taken out of `serin.yaml` is found and pruned
/// (or kept, when it said `prune: false`).
public struct Inventory: Sendable, Equatable {
    /// One object the source applied.
    public struct Entry: Codable, Hashable, Sendable {
        var apiVersion: String
        var kind: String
        var namespace: String?
        var name: String
        /// Of the object as Git declared it, to tell drift from a change in Git.
        var digest: String

        var id: String { "\(apiVersion)/\(kind)/\(namespace ?? "")/\(name)" }
        var description: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
        var group: String { ResourceKind.split(apiVersion: apiVersion).group }
        var key: WrittenObjects.Key { WrittenObjects.Key(group: group, kind: kind, namespace: namespace, name: name) }
    }

    public static let prefix = "serin-inventory-"
    /// The install that wrote it (its leader Lease's name): a source is
    /// taken for removed only by its own install.
    public static let installLabel = "serin.dev/install"

    var entries: [String: Entry] = [:]
    /// False when the source said `prune: false`: nothing of it is ever
    /// deleted, not even when the source is taken out of the configuration.
    var prune = true

    public var count: Int { entries.count }

    static func name(_ source: String) -> String { prefix + source.lowercased() }

    /// Reads a ConfigMap's inventory.
    init(_ map: ConfigMap?) throws {
        try self.init(data: map?.data)
    }

    /// Reads an inventory's `data`.
    init(data: [String: String]?) throws {
        if let text = data?["entries"] {
            for entry in try JSONDecoder().decode([Entry].self, from: Data(text.utf8)) { entries[entry.id] = entry }
        }
        prune = data?["prune"] != "false"
    }

    init(entries: [String: Entry] = [:], prune: Bool = true) {
        self.entries = entries
        self.prune = prune
    }

    /// The ConfigMap that holds it.
    func configMap(source: String, namespace: String, install: String) -> ConfigMap {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // Entries always encode.
        let text = String(decoding: (try? encoder.encode(entries.values.sorted { $0.id < $1.id })) ?? Data("[]".utf8), as: UTF8.self)
        var data = ["entries": text]
        if !prune { data["prune"] = "false" }
        return ConfigMap(metadata: ObjectMeta(name: Self.name(source), namespace: namespace,
                                              labels: ["app.kubernetes.io/managed-by": "serin", ClusterSync.sourceLabel: source,
                                                       Self.installLabel: install]),
                         data: data)
    }
}
