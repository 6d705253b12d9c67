import Foundation

extension KubeClient {
    private struct ResourceList: Decodable {
        var groupVersion: String?
        var resources: [APIResource]
    }

    private struct GroupList: Decodable {
        var groups: [APIGroup]
    }

    /// GET /apis: the groups besides the core one ("" / v1).
    public func apiGroups() async throws(KubeError) -> [APIGroup] {
        let answer = try await send(Call(method: .GET, path: "/apis", idempotent: true, verb: "discovery"))
        return try Self.decode(GroupList.self, answer.body, what: "/apis").groups
    }

    /// GET /api/v1 or /apis/GROUP/VERSION: the resources of a group version,
    /// subresources left out. `refresh` asks again instead of using what
    /// this client learnt before.
    public func apiResources(apiVersion: String, refresh: Bool = false) async throws(KubeError) -> [APIResource] {
        if !refresh, let cached = discoveryCache[apiVersion] { return cached }
        let (group, version) = ResourceKind.split(apiVersion: apiVersion)
        let path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        let answer = try await send(Call(method: .GET, path: path, idempotent: true, verb: "discovery"))
        let resources = try Self.decode(ResourceList.self, answer.body, what: path).resources.filter { !$0.name.contains("/") }
        discoveryCache[apiVersion] = resources
        return resources
    }

    /// Where objects of `kind` in `apiVersion` live: their plural and scope.
    /// Asks the apiserver again once when the kind is not known yet (a CRD
    /// created since).
    public func resourceKind(apiVersion: String, kind: String) async throws(KubeError) -> ResourceKind {
        let (group, version) = ResourceKind.split(apiVersion: apiVersion)
        for refresh in [false, true] {
            let resources: [APIResource]
            do {
                resources = try await apiResources(apiVersion: apiVersion, refresh: refresh)
            } catch where error.isNotFound && !refresh {
                continue
            }
            if let resource = resources.first(where: { $0.kind == kind }) {
                return ResourceKind(group: group, version: version, kind: kind, plural: resource.name, namespaced: resource.namespaced)
            }
        }
        throw KubeError.apiserver(status: 404, body: KubeStatus(message: "the apiserver serves no \(kind) in \(apiVersion)", reason: "NotFound", code: 404),
                                  rawBody: "", request: "discovery \(apiVersion)")
    }

    /// The resource of an untyped object, through discovery.
    public func resourceKind(of object: KubeObject) async throws(KubeError) -> ResourceKind {
        try await resourceKind(apiVersion: object.apiVersion, kind: object.kind)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws(KubeError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw KubeError.decoding("\(what) does not decode: \(error)", request: what)
        }
    }
}
