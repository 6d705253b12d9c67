import Foundation
import SerinSpec
import Synchronization

/// The objects of one `FakeApiserver`, by resource, as an apiserver keeps
/// them in etcd: resourceVersions from one counter, generations bumped when
/// anything but metadata and status changes, and every change kept for
/// watches that resume from a resourceVersion. What a cluster's
/// controllers would do is simulated on write: a Deployment reports its
/// replicas ready after `readyDelay`, a CRD is established, an HTTPRoute
/// accepted by its parents.
actor FakeObjectStore {
    struct Event: Sendable {
        var resource: String
        var type: String
        var object: JSONValue
        var version: Int
    }

    struct Failure: Error, Sendable {
        var code: Int
        var reason: String
        var message: String
    }

    private var objects: [String: [String: JSONValue]] = [:]
    private var version = 1
    private var history: [Event] = []
    private struct Watcher: Sendable {
        var resource: String
        var include: @Sendable (JSONValue) -> Bool
        var continuation: AsyncStream<Event>.Continuation
    }

    /// Under a lock of their own: a watch ends (its stream dropped) outside the actor.
    private let watchers = Mutex<[UUID: Watcher]>([:])
    private let observe: @Sendable (FakeApiserver.Observation) -> Void
    /// Deployments whose status is due: (resource key, object key, generation, when).
    let settling: AsyncStream<(String, String, Int64, ContinuousClock.Instant)>
    private let settle: AsyncStream<(String, String, Int64, ContinuousClock.Instant)>.Continuation
    private let readyDelay: Duration
    private let historyLimit = 20_000

    init(readyDelay: Duration, observe: @escaping @Sendable (FakeApiserver.Observation) -> Void) {
        self.readyDelay = readyDelay
        self.observe = observe
        (settling, settle) = AsyncStream.makeStream()
    }

    var resourceVersion: Int { version }

    static func key(_ namespace: String?, _ name: String) -> String { "\(namespace ?? "")/\(name)" }

    func get(_ resource: String, namespace: String?, name: String) throws(Failure) -> JSONValue {
        guard let object = objects[resource]?[Self.key(namespace, name)] else { throw Self.notFound(resource, name) }
        return object
    }

    func list(_ resource: String, namespace: String?, include: (JSONValue) -> Bool) -> [JSONValue] {
        (objects[resource] ?? [:]).values.filter { object in
            (namespace == nil || object["metadata"]?["namespace"]?.stringValue == namespace) && include(object)
        }.sorted { ($0["metadata"]?["name"]?.stringValue ?? "") < ($1["metadata"]?["name"]?.stringValue ?? "") }
    }

    func create(_ resource: String, namespace: String?, _ object: JSONValue) throws(Failure) -> JSONValue {
        var object = object
        var name = object["metadata"]?["name"]?.stringValue ?? ""
        if name.isEmpty, let prefix = object["metadata"]?["generateName"]?.stringValue {
            name = prefix + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            object["metadata"]?["name"] = .string(name)
        }
        guard !name.isEmpty else { throw Failure(code: 422, reason: "Invalid", message: "metadata.name: Required value") }
        guard objects[resource]?[Self.key(namespace, name)] == nil else {
            throw Failure(code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists")
        }
        if let namespace { object["metadata"]?["namespace"] = .string(namespace) }
        object["metadata"]?["uid"] = .string(UUID().uuidString.lowercased())
        object["metadata"]?["creationTimestamp"] = .string(Self.now())
        object["metadata"]?["generation"] = .int(1)
        return store(resource, namespace: namespace, name: name, object, type: "ADDED")
    }

    /// PUT: the whole object (its status kept), or only the status.
    func replace(_ resource: String, namespace: String?, name: String, _ object: JSONValue, status: Bool) throws(Failure) -> JSONValue {
        let existing = try get(resource, namespace: namespace, name: name)
        if let given = object["metadata"]?["resourceVersion"]?.stringValue, !given.isEmpty,
           given != existing["metadata"]?["resourceVersion"]?.stringValue {
            throw Failure(code: 409, reason: "Conflict", message: "the object has been modified; please apply your changes to the latest version")
        }
        var next = existing
        if status {
            next["status"] = object["status"]
        } else {
            next = object
            next["status"] = existing["status"]
            next["metadata"] = Self.keptMetadata(existing, object)
        }
        return store(resource, namespace: namespace, name: name, bumped(existing, next), type: "MODIFIED")
    }

    /// A merge patch (merge-patch, strategic-merge, and apply taken as one),
    /// a JSON patch, or an apply that creates. `dryRun` (`dryRun=All`):
    /// the object as it would be stored, nothing stored.
    func patch(_ resource: String, namespace: String?, name: String, _ patch: JSONValue, kind: String, fieldManager: String?,
               status: Bool, dryRun: Bool = false) throws(Failure) -> JSONValue {
        guard let existing = objects[resource]?[Self.key(namespace, name)] else {
            guard kind == "apply" else { throw Self.notFound(resource, name) }
            var object = patch
            if object["metadata"] == nil { object["metadata"] = [:] }
            object["metadata"]?["name"] = .string(name)
            object["metadata"]?["managedFields"] = .array([Self.managedField(fieldManager)])
            if dryRun {
                if let namespace { object["metadata"]?["namespace"] = .string(namespace) }
                return simulated(resource, object)
            }
            return try create(resource, namespace: namespace, object)
        }
        var next: JSONValue
        switch kind {
        case "json":
            next = try Self.jsonPatch(existing, patch)
        default:
            var change = patch
            if status { change = ["status": patch["status"] ?? .null] }
            change["metadata"]?["resourceVersion"] = nil
            next = Self.merge(existing, change)
        }
        if kind == "apply" {
            var managers = existing["metadata"]?["managedFields"]?.arrayValue ?? []
            if !managers.contains(where: { $0["manager"]?.stringValue == fieldManager }) { managers.append(Self.managedField(fieldManager)) }
            next["metadata"]?["managedFields"] = .array(managers)
        }
        next["metadata"]?["uid"] = existing["metadata"]?["uid"]
        next["metadata"]?["creationTimestamp"] = existing["metadata"]?["creationTimestamp"]
        guard next != existing else { return existing }
        if dryRun { return next }
        return store(resource, namespace: namespace, name: name, bumped(existing, next), type: "MODIFIED")
    }

    func delete(_ resource: String, namespace: String?, name: String) throws(Failure) -> JSONValue {
        guard let existing = objects[resource]?.removeValue(forKey: Self.key(namespace, name)) else { throw Self.notFound(resource, name) }
        version += 1
        var gone = existing
        gone["metadata"]?["resourceVersion"] = .string(String(version))
        record(Event(resource: resource, type: "DELETED", object: gone, version: version))
        if resource == "/v1/namespaces" {
            // The namespace controller's work, at once.
            for (kind, members) in objects {
                for (key, object) in members where object["metadata"]?["namespace"]?.stringValue == name {
                    _ = try? delete(kind, namespace: name, name: String(key.split(separator: "/", maxSplits: 1).last ?? ""))
                }
            }
        }
        return gone
    }

    /// Changes after `version` (nil: the current objects as ADDED), then every new one, until the stream is dropped.
    func watch(_ resource: String, namespace: String?, after start: Int?, include: @escaping @Sendable (JSONValue) -> Bool)
        -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let inNamespace: @Sendable (JSONValue) -> Bool = { object in
            (namespace == nil || object["metadata"]?["namespace"]?.stringValue == namespace) && include(object)
        }
        if let start {
            for event in history where event.resource == resource && event.version > start && inNamespace(event.object) {
                continuation.yield(event)
            }
        } else {
            for object in list(resource, namespace: namespace, include: include) {
                continuation.yield(Event(resource: resource, type: "ADDED", object: object, version: version))
            }
        }
        let id = UUID()
        watchers.withLock { $0[id] = Watcher(resource: resource, include: inNamespace, continuation: continuation) }
        continuation.onTermination = { [weak self] _ in _ = self?.watchers.withLock { $0.removeValue(forKey: id) } }
        return stream
    }

    /// A Deployment's replicas are ready, once its generation is the one that asked.
    func settleDeployment(_ resource: String, _ key: String, generation: Int64) {
        guard var object = objects[resource]?[key], object["metadata"]?["generation"]?.intValue == generation else { return }
        let replicas = object["spec"]?["replicas"]?.intValue ?? 1
        object["status"] = ["observedGeneration": .int(generation), "replicas": .int(replicas), "updatedReplicas": .int(replicas),
                            "readyReplicas": .int(replicas), "availableReplicas": .int(replicas),
                            "conditions": [["type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"]]]
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        _ = store(resource, namespace: parts[0].isEmpty ? nil : String(parts[0]), name: String(parts[1]), object, type: "MODIFIED", simulate: false)
    }

    func finish() {
        settle.finish()
        for watcher in watchers.withLock({ Array($0.values) }) { watcher.continuation.finish() }
    }

    // MARK: writing

    private func store(_ resource: String, namespace: String?, name: String, _ object: JSONValue, type: String,
                       simulate: Bool = true) -> JSONValue {
        var object = object
        version += 1
        object["metadata"]?["resourceVersion"] = .string(String(version))
        if simulate { object = simulated(resource, object) }
        objects[resource, default: [:]][Self.key(namespace, name)] = object
        record(Event(resource: resource, type: type, object: object, version: version))
        observe(.init(resource: resource, object: object))
        if simulate, resource == "apps/v1/deployments", let generation = object["metadata"]?["generation"]?.intValue,
           object["status"]?["observedGeneration"]?.intValue != generation {
            settle.yield((resource, Self.key(namespace, name), generation, .now + readyDelay))
        }
        return object
    }

    private func record(_ event: Event) {
        history.append(event)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit / 2) }
        for watcher in watchers.withLock({ Array($0.values) }) where watcher.resource == event.resource && watcher.include(event.object) {
            watcher.continuation.yield(event)
        }
    }

    /// What a cluster's controllers would write at once.
    private func simulated(_ resource: String, _ object: JSONValue) -> JSONValue {
        var object = object
        let generation = object["metadata"]?["generation"] ?? .int(1)
        switch resource {
        case "apiextensions.k8s.io/v1/customresourcedefinitions":
            object["status"] = ["conditions": [["type": "Established", "status": "True"], ["type": "NamesAccepted", "status": "True"]],
                                "acceptedNames": object["spec"]?["names"] ?? [:]]
        case "/v1/namespaces":
            object["status"] = ["phase": "Active"]
        case let gateway where gateway.hasPrefix("gateway.networking.k8s.io/") && gateway.hasSuffix("/httproutes"):
            let parents = object["spec"]?["parentRefs"]?.arrayValue ?? []
            object["status"] = ["parents": .array(parents.map { parent in
                ["parentRef": parent, "controllerName": "serin.dev/fake-apiserver",
                 "conditions": [["type": "Accepted", "status": "True", "reason": "Accepted", "observedGeneration": generation,
                                 "lastTransitionTime": .string(Self.now())]]]
            })]
        default:
            break
        }
        return object
    }

    private func bumped(_ existing: JSONValue, _ next: JSONValue) -> JSONValue {
        var next = next
        var before = existing, after = next
        for key in ["metadata", "status"] {
            before[key] = nil
            after[key] = nil
        }
        let generation = existing["metadata"]?["generation"]?.intValue ?? 1
        next["metadata"]?["generation"] = .int(before == after ? generation : generation + 1)
        return next
    }

    // MARK: helpers

    static func keptMetadata(_ existing: JSONValue, _ given: JSONValue) -> JSONValue {
        var metadata = given["metadata"] ?? [:]
        for key in ["uid", "creationTimestamp", "generation", "managedFields"] where metadata[key] == nil {
            metadata[key] = existing["metadata"]?[key]
        }
        return metadata
    }

    static func managedField(_ manager: String?) -> JSONValue {
        ["manager": .string(manager ?? "unknown"), "operation": "Apply", "time": .string(now())]
    }

    static func notFound(_ resource: String, _ name: String) -> Failure {
        Failure(code: 404, reason: "NotFound", message: "\(resource.split(separator: "/").last ?? "") \"\(name)\" not found")
    }

    /// RFC 7386: objects merge member by member, null removes, anything else replaces.
    static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result: [String: JSONValue] = target.objectValue ?? [:]
        for (key, value) in changes {
            if value == .null { result[key] = nil } else { result[key] = merge(result[key] ?? .null, value) }
        }
        return .object(result)
    }

    /// RFC 6902, the operations Serin sends: add, replace, remove, test.
    static func jsonPatch(_ target: JSONValue, _ operations: JSONValue) throws(Failure) -> JSONValue {
        var result = target
        for operation in operations.arrayValue ?? [] {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else { continue }
            let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            }
            switch op {
            case "test":
                guard value(result, tokens) == operation["value"] else {
                    throw Failure(code: 422, reason: "Invalid", message: "test operation at \(path) failed")
                }
            case "remove": result = set(result, tokens, nil)
            default: result = set(result, tokens, operation["value"] ?? .null)
            }
        }
        return result
    }

    static func value(_ target: JSONValue, _ tokens: [String]) -> JSONValue? {
        guard let first = tokens.first else { return target }
        if case .array(let items) = target, let index = Int(first), items.indices.contains(index) { return value(items[index], Array(tokens.dropFirst())) }
        guard let child = target[first] else { return nil }
        return value(child, Array(tokens.dropFirst()))
    }

    static func set(_ target: JSONValue, _ tokens: [String], _ value: JSONValue?) -> JSONValue {
        guard let first = tokens.first else { return value ?? .null }
        let rest = Array(tokens.dropFirst())
        if case .array(var items) = target {
            if first == "-" { if let value { items.append(value) }; return .array(items) }
            guard let index = Int(first) else { return target }
            if rest.isEmpty {
                if let value { if index < items.count { items[index] = value } else { items.append(value) } } else if index < items.count { items.remove(at: index) }
            } else if index < items.count {
                items[index] = set(items[index], rest, value)
            }
            return .array(items)
        }
        var members = target.objectValue ?? [:]
        members[first] = rest.isEmpty ? value : set(members[first] ?? [:], rest, value)
        return .object(members)
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
