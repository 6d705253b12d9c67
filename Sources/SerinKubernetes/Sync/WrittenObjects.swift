import Foundation
import SerinSpec
import Synchronization

/// What Serin last wrote to each object, field manager by field manager, as
/// the apiserver stored it: the Git sync's objects and the platform's
/// Deployments. An object that no longer holds what was written was changed
/// by someone else (drift); one deleted while written here was deleted by
/// someone else. Writes to one object go one at a time (`serialized`), so a
/// correction never puts back a write the platform has since replaced.
///
/// The fields are kept as compact JSON (what was written, as stored), not
/// as values: decoded only when an object changes in the cluster.
public final class WrittenObjects: Sendable {
    /// An object, across API versions of its group.
    public struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var group: String
        public var kind: String
        public var namespace: String?
        public var name: String

        public init(group: String, kind: String, namespace: String?, name: String) {
            self.group = group
            self.kind = kind
            self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
            self.name = name
        }

        public init(_ resource: ResourceKind, namespace: String?, name: String) {
            self.init(group: resource.group, kind: resource.kind, namespace: resource.namespaced ? namespace : nil, name: name)
        }

        /// `Kind namespace/name`, as events name objects.
        public var description: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.group, lhs.kind, lhs.namespace ?? "", lhs.name) < (rhs.group, rhs.kind, rhs.namespace ?? "", rhs.name)
        }
    }

    /// One manager's write of one object.
    public struct Write: Sendable {
        public var manager: String
        /// The object as stored, cut to the fields written (`DeclaredFields.projected`).
        var stored: Data
        /// The Git source it belongs to, when known.
        public var source: String?
        /// The resourceVersion the write answered with: a cache event at or
        /// before it is the write itself, or older.
        public var resourceVersion: String?
        /// The resource it was written through (its version and plural).
        public var resource: ResourceKind

        public var fields: JSONValue { (try? JSONValue.parse(stored)) ?? .null }
    }

    private let writes = Mutex<[Key: [Write]]>([:])
    private let lock = KeyedLock<Key>()

    public init() {}

    /// Runs `body` (a write of `key`) with no other write of `key` under way.
    public func serialized<T: Sendable>(_ key: Key, _ body: () async throws -> T) async rethrows -> T {
        try await lock.withLock(key, body)
    }

    /// What `manager` wrote (`sent`) and the apiserver's answer to it.
    public func record(_ key: Key, resource: ResourceKind, manager: String, sent: JSONValue, answer: KubeObject, source: String?) {
        let answerValue = (try? JSONValue(encoding: answer)) ?? .null
        let stored = DeclaredFields.projected(answerValue, onto: sent)
        let data = (try? stored.canonicalData()) ?? Data()
        writes.withLock { writes in
            var list = writes[key] ?? []
            let owner = source ?? list.first(where: { $0.manager == manager })?.source ?? list.first?.source
            list.removeAll { $0.manager == manager }
            list.append(Write(manager: manager, stored: data, source: owner, resourceVersion: answer.metadata.resourceVersion, resource: resource))
            // The main writer first: a deleted object is recreated by it, the others' fields after.
            list.sort { ($0.manager.count, $0.manager) < ($1.manager.count, $1.manager) }
            writes[key] = list
        }
    }

    /// Serin deletes the object, or lets it go: its deletion is no drift.
    public func forget(_ key: Key) {
        _ = writes.withLock { $0.removeValue(forKey: key) }
    }

    /// Every object written for `source`.
    public func forget(source: String) {
        writes.withLock { writes in writes = writes.filter { $0.value.first?.source != source } }
    }

    public func writes(of key: Key) -> [Write] {
        writes.withLock { $0[key] ?? [] }
    }

    public func source(of key: Key) -> String? {
        writes.withLock { $0[key]?.first?.source }
    }

    /// How many objects are recorded (for tests and benchmarks).
    public var count: Int { writes.withLock { $0.count } }

    /// True when `resourceVersion` is at or before the last write of `key`:
    /// what the cache shows is that write, or older.
    public func isWrittenSince(_ key: Key, resourceVersion: String?) -> Bool {
        guard let version = resourceVersion.flatMap(UInt64.init) else { return false }
        return writes.withLock { writes in
            (writes[key] ?? []).contains { write in write.resourceVersion.flatMap(UInt64.init).map { version <= $0 } ?? false }
        }
    }
}

/// One holder at a time per key; others wait in order.
final class KeyedLock<Key: Hashable & Sendable>: Sendable {
    /// A key present is held; its list is who waits for it.
    private let waiting = Mutex<[Key: [CheckedContinuation<Void, Never>]]>([:])

    func withLock<T: Sendable>(_ key: Key, _ body: () async throws -> T) async rethrows -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = waiting.withLock { waiting in
                guard waiting[key] != nil else {
                    waiting[key] = []
                    return true
                }
                waiting[key]!.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func release(_ key: Key) {
        let next = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard var queue = waiting[key], !queue.isEmpty else {
                waiting[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            waiting[key] = queue
            return first
        }
        next?.resume()
    }
}
