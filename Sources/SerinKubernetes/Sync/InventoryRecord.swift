import SerinSpec

/// An inventory ConfigMap as read back, with who wrote its entries
/// (`metadata.managedFields`): an inventory lists what Serin may prune, so
/// one whose entries another field manager wrote (an edit, a forged
/// `kubectl apply`) is not trusted.
struct InventoryRecord: KubeResource {
    static let resourceKind = ConfigMap.resourceKind

    var metadata: ObjectMeta
    var data: [String: String]?
    /// The field managers that own `data.entries`.
    var entryOwners: [String]

    private enum CodingKeys: String, CodingKey { case metadata, data }

    private struct ManagedFields: Decodable {
        struct Entry: Decodable {
            var manager: String?
            var fieldsV1: JSONValue?
        }

        var managedFields: [Entry]?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        data = try container.decodeIfPresent([String: String].self, forKey: .data)
        let managed = try container.decode(ManagedFields.self, forKey: .metadata).managedFields ?? []
        entryOwners = managed.filter { $0.fieldsV1?["f:data"]?["f:entries"] != nil }.map { $0.manager ?? "(unnamed)" }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metadata, forKey: .metadata)
        try container.encodeIfPresent(data, forKey: .data)
    }

    /// Why the entries are not Serin's; nil when they are.
    func distrust(source: String, fieldManager: String, sourceLabel: String) -> String? {
        let labels = metadata.labels ?? [:]
        if labels["app.kubernetes.io/managed-by"] != "serin" || labels[sourceLabel] != source {
            return "it lacks Serin's labels (app.kubernetes.io/managed-by=serin, \(sourceLabel)=\(source))"
        }
        if data?["entries"] != nil && entryOwners != [fieldManager] {
            return "its entries were written by field manager \(entryOwners.isEmpty ? "(none recorded)" : entryOwners.joined(separator: ", ")), "
                + "not \(fieldManager)"
        }
        return nil
    }
}
