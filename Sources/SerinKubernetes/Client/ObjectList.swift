/// One page of a list: its items and where the next page starts.
public struct ObjectList<Object: KubeAPIObject>: Sendable {
    public var items: [Object]
    /// The version of the collection the list is a snapshot of; watch from it.
    public var resourceVersion: String
    /// Pass it back as `continue` for the next page; nil on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int64?
}

extension ObjectList: Decodable {
    private struct ListMeta: Decodable {
        var resourceVersion: String?
        var `continue`: String?
        var remainingItemCount: Int64?
    }

    private enum CodingKeys: String, CodingKey {
        case metadata, items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let meta = try container.decodeIfPresent(ListMeta.self, forKey: .metadata)
        items = try container.decodeIfPresent([Object].self, forKey: .items) ?? []
        resourceVersion = meta?.resourceVersion ?? ""
        continueToken = meta?.continue.flatMap { $0.isEmpty ? nil : $0 }
        remainingItemCount = meta?.remainingItemCount
    }
}
