import Foundation
import NIOHTTP1
import SerinSpec

/// The calls on one resource (`client.resources(ConfigMap.self)`, or
/// `client.resources(kind)` for untyped `KubeObject`s). A namespaced call
/// without a namespace uses the object's, then the configuration's.
public struct ResourceClient<Object: KubeAPIObject>: Sendable {
    public let client: KubeClient
    public let kind: ResourceKind

    init(client: KubeClient, kind: ResourceKind) {
        self.client = client
        self.kind = kind
    }

    public func get(_ name: String, namespace: String? = nil) async throws(KubeError) -> Object {
        try await object(.GET, path: path(namespace, name), verb: "get", idempotent: true)
    }

    /// The object, or nil when there is none (404).
    public func getIfPresent(_ name: String, namespace: String? = nil) async throws(KubeError) -> Object? {
        do {
            return try await get(name, namespace: namespace)
        } catch where error.isNotFound {
            return nil
        }
    }

    /// One page. `namespace` nil lists every namespace of a namespaced resource.
    public func list(namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                     limit: Int? = nil, continue token: String? = nil) async throws(KubeError) -> ObjectList<Object> {
        var query: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let token { query.append(("continue", token)) }
        let answer = try await client.send(KubeClient.Call(method: .GET, path: kind.path(namespace: namespace), query: query,
                                                           idempotent: true, verb: "list"))
        var list = try decode(ObjectList<Object>.self, answer)
        for index in list.items.indices { list.items[index].adopt(kind) }
        return list
    }

    /// Every page, `pageSize` objects at a time; the result's resourceVersion
    /// is the first page's, as the apiserver serves the pages from one snapshot.
    public func listAll(namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                        pageSize: Int = 500) async throws(KubeError) -> ObjectList<Object> {
        var all = try await list(namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize)
        var token = all.continueToken
        while let next = token {
            let page = try await list(namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                                      limit: pageSize, continue: next)
            all.items += page.items
            token = page.continueToken
        }
        all.continueToken = nil
        all.remainingItemCount = nil
        return all
    }

    /// POST; not retried on 5xx (the object may have been stored).
    public func create(_ object: Object, namespace: String? = nil) async throws(KubeError) -> Object {
        try await self.object(.POST, path: kind.path(namespace: self.namespace(namespace, object)), body: encode(object),
                              contentType: "application/json", verb: "create", idempotent: false)
    }

    /// PUT of the whole object; fails with 409 when its resourceVersion is stale.
    public func update(_ object: Object) async throws(KubeError) -> Object {
        try await self.object(.PUT, path: path(for: object), body: encode(object), contentType: "application/json",
                              verb: "update", idempotent: false)
    }

    public enum PropagationPolicy: String, Sendable {
        case foreground = "Foreground"
        case background = "Background"
        case orphan = "Orphan"
    }

    /// DELETE. A 404 is an error; use `deleteIfPresent` when gone is fine.
    public func delete(_ name: String, namespace: String? = nil, propagationPolicy: PropagationPolicy? = nil,
                       gracePeriodSeconds: Int? = nil) async throws(KubeError) {
        var query: [(String, String)] = []
        if let propagationPolicy { query.append(("propagationPolicy", propagationPolicy.rawValue)) }
        if let gracePeriodSeconds { query.append(("gracePeriodSeconds", String(gracePeriodSeconds))) }
        _ = try await client.send(KubeClient.Call(method: .DELETE, path: path(namespace, name), query: query, idempotent: true,
                                                  verb: "delete"))
    }

    /// DELETE; true when there was an object to delete.
    @discardableResult
    public func deleteIfPresent(_ name: String, namespace: String? = nil,
                                propagationPolicy: PropagationPolicy? = nil) async throws(KubeError) -> Bool {
        do {
            try await delete(name, namespace: namespace, propagationPolicy: propagationPolicy)
            return true
        } catch where error.isNotFound {
            return false
        }
    }

    /// A JSON merge patch (RFC 7386): members set to null are removed.
    public func mergePatch(_ name: String, namespace: String? = nil, patch: JSONValue,
                           subresource: String? = nil) async throws(KubeError) -> Object {
        try await object(.PATCH, path: path(namespace, name, subresource), body: encodeValue(patch),
                         contentType: "application/merge-patch+json", verb: "patch", idempotent: false)
    }

    /// A JSON patch (RFC 6902); a `test` operation makes it conditional.
    public func jsonPatch(_ name: String, namespace: String? = nil, operations: [JSONPatchOperation],
                          subresource: String? = nil) async throws(KubeError) -> Object {
        try await object(.PATCH, path: path(namespace, name, subresource), body: encodeValue(operations),
                         contentType: "application/json-patch+json", verb: "patch", idempotent: false)
    }

    /// Server-side apply: `object` holds the fields `fieldManager` owns, and
    /// only those; fields owned by other managers are kept. `force` takes
    /// over fields another manager owns instead of failing with 409.
    public func apply(_ object: Object, fieldManager: String, force: Bool = false) async throws(KubeError) -> Object {
        try await apply(object, fieldManager: fieldManager, force: force, subresource: nil)
    }

    /// Server-side apply as a dry run (`dryRun=All`): the apiserver checks
    /// the object (schema, admission, conflicts) and answers what it would
    /// store; nothing is written.
    public func dryRunApply(_ object: Object, fieldManager: String, force: Bool = false) async throws(KubeError) -> Object {
        try await apply(object, fieldManager: fieldManager, force: force, subresource: nil, dryRun: true)
    }

    // MARK: - The status subresource

    public func getStatus(_ name: String, namespace: String? = nil) async throws(KubeError) -> Object {
        try await object(.GET, path: path(namespace, name, "status"), verb: "get", idempotent: true)
    }

    /// PUT to /status: only the status is written; 409 when stale.
    public func updateStatus(_ object: Object) async throws(KubeError) -> Object {
        try await self.object(.PUT, path: path(for: object, "status"), body: encode(object), contentType: "application/json",
                              verb: "update", idempotent: false)
    }

    /// Server-side apply of the status (what Flagger's controller writes).
    public func applyStatus(_ object: Object, fieldManager: String, force: Bool = false) async throws(KubeError) -> Object {
        try await apply(object, fieldManager: fieldManager, force: force, subresource: "status")
    }

    // MARK: -

    private func apply(_ object: Object, fieldManager: String, force: Bool, subresource: String?,
                       dryRun: Bool = false) async throws(KubeError) -> Object {
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        if dryRun { query.append(("dryRun", "All")) }
        // The apply content type says YAML; JSON is YAML.
        return try await self.object(.PATCH, path: path(for: object, subresource), query: query, body: encode(object),
                                     contentType: "application/apply-patch+yaml", verb: "apply", idempotent: true)
    }

    private func object(_ method: HTTPMethod, path: String, query: [(String, String)] = [], body: Data? = nil,
                        contentType: String? = nil, verb: String, idempotent: Bool) async throws(KubeError) -> Object {
        let answer = try await client.send(KubeClient.Call(method: method, path: path, query: query, body: body,
                                                           contentType: contentType, idempotent: idempotent, verb: verb))
        var object = try decode(Object.self, answer)
        object.adopt(kind)
        return object
    }

    func namespace(_ explicit: String?, _ object: Object? = nil) -> String? {
        guard kind.namespaced else { return nil }
        return explicit ?? object?.metadata.namespace ?? client.config.namespace
    }

    private func path(_ namespace: String?, _ name: String, _ subresource: String? = nil) -> String {
        kind.path(namespace: self.namespace(namespace), name: name, subresource: subresource)
    }

    private func path(for object: Object, _ subresource: String? = nil) -> String {
        kind.path(namespace: namespace(nil, object), name: object.metadata.name ?? "", subresource: subresource)
    }

    private func encode(_ object: Object) throws(KubeError) -> Data {
        try encodeValue(ObjectEnvelope(kind: kind, object: object))
    }

    private func encodeValue(_ value: some Encodable) throws(KubeError) -> Data {
        do {
            let encoder = JSONEncoder()
            // The apply content type is YAML, and YAML has no `\/` escape:
            // Foundation's default escaping of slashes makes an apply a 400.
            encoder.outputFormatting = .withoutEscapingSlashes
            return try encoder.encode(value)
        } catch {
            throw KubeError.encoding("cannot encode a \(kind.kind): \(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ answer: KubeClient.Answer) throws(KubeError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: answer.body)
        } catch {
            throw KubeError.decoding("the apiserver's \(kind.kind) does not decode: \(error)", request: nil)
        }
    }
}

extension KubeClient {
    /// The calls on a typed resource.
    public func resources<R: KubeResource>(_ type: R.Type) -> ResourceClient<R> {
        ResourceClient(client: self, kind: R.resourceKind)
    }

    /// The calls on any resource, untyped; `resourceKind(apiVersion:kind:)` finds its kind.
    public func resources(_ kind: ResourceKind) -> ResourceClient<KubeObject> {
        ResourceClient(client: self, kind: kind)
    }
}
