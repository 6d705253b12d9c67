/// An informer's cache, without I/O: objects by namespace/name, and the
/// changes each list or watch event makes to it. Changes are reported
/// only when something changed (a relist that finds an object at the
/// same resourceVersion reports nothing).
struct InformerStore<Object: KubeAPIObject>: Sendable {
    private(set) var objects: [ObjectKey: Object] = [:]

    /// A relist: the list is the whole truth; what it lacks was deleted
    /// while the watch was down.
    mutating func replace(with items: [Object]) -> [InformerChange<Object>] {
        var changes: [InformerChange<Object>] = []
        var fresh: [ObjectKey: Object] = [:]
        for item in items {
            fresh[item.key] = item
            if let old = objects[item.key] {
                if old.metadata.resourceVersion != item.metadata.resourceVersion { changes.append(.updated(old: old, new: item)) }
            } else {
                changes.append(.added(item))
            }
        }
        for (key, old) in objects where fresh[key] == nil {
            changes.append(.deleted(old))
        }
        objects = fresh
        // Deterministic order for subscribers: by key, deletions last.
        return changes.sorted { lhs, rhs in
            let (lhsDeleted, rhsDeleted) = (Self.isDeletion(lhs), Self.isDeletion(rhs))
            if lhsDeleted != rhsDeleted { return !lhsDeleted }
            return lhs.object.key < rhs.object.key
        }
    }

    /// A watch event. An ADDED for a known object (after a watch restarted)
    /// is an update; a DELETED for an unknown one changes nothing.
    mutating func apply(_ event: WatchEvent<Object>) -> InformerChange<Object>? {
        switch event {
        case .added(let object), .modified(let object):
            let old = objects.updateValue(object, forKey: object.key)
            guard let old else { return .added(object) }
            return old.metadata.resourceVersion == object.metadata.resourceVersion ? nil : .updated(old: old, new: object)
        case .deleted(let object):
            guard objects.removeValue(forKey: object.key) != nil else { return nil }
            return .deleted(object)
        case .bookmark, .error:
            return nil
        }
    }

    subscript(key: ObjectKey) -> Object? { objects[key] }

    /// Every object, ordered by namespace then name.
    var sorted: [Object] { objects.sorted { $0.key < $1.key }.map(\.value) }

    private static func isDeletion(_ change: InformerChange<Object>) -> Bool {
        if case .deleted = change { return true }
        return false
    }
}
