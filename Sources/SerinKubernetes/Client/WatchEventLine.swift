/// One line of the watch stream, `{"type": ..., "object": ...}`, decoded
/// in one pass: the object's type depends on the event's.
struct WatchEventLine<Object: KubeAPIObject>: Decodable {
    var event: WatchEvent<Object>

    private enum CodingKeys: String, CodingKey {
        case type, object
    }

    private struct Bookmark: Decodable {
        struct Metadata: Decodable { var resourceVersion: String? }
        var metadata: Metadata?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": event = .added(try container.decode(Object.self, forKey: .object))
        case "MODIFIED": event = .modified(try container.decode(Object.self, forKey: .object))
        case "DELETED": event = .deleted(try container.decode(Object.self, forKey: .object))
        case "BOOKMARK":
            let bookmark = try container.decode(Bookmark.self, forKey: .object)
            event = .bookmark(resourceVersion: bookmark.metadata?.resourceVersion ?? "")
        case "ERROR": event = .error(try container.decode(KubeStatus.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown watch event type \(type)")
        }
    }
}
