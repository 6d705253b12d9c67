/// One event of a watch.
public enum WatchEvent<Object: KubeAPIObject>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Nothing changed, but the collection is now at this resourceVersion:
    /// resume from it (the apiserver sends these when asked with
    /// `allowWatchBookmarks`).
    case bookmark(resourceVersion: String)
    /// The watch failed (code 410: resume point too old, relist); the
    /// apiserver ends the stream after it.
    case error(KubeStatus)

    /// The resourceVersion to resume a watch from after this event.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let version): version
        case .error: nil
        }
    }

    public var type: String {
        switch self {
        case .added: "ADDED"
        case .modified: "MODIFIED"
        case .deleted: "DELETED"
        case .bookmark: "BOOKMARK"
        case .error: "ERROR"
        }
    }
}
