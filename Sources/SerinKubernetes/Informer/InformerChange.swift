/// A change of an informer's cache, as subscribers see it.
public enum InformerChange<Object: KubeAPIObject>: Sendable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)

    /// The object as it is now (or was last, for a deletion).
    public var object: Object {
        switch self {
        case .added(let object), .deleted(let object): object
        case .updated(_, let new): new
        }
    }
}
