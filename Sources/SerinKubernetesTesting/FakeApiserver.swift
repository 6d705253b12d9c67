import Foundation
import Hummingbird
import NIOCore
import SerinSpec

/// A stand-in for a Kubernetes apiserver, for simulating many clusters on
/// one machine (50 real control planes do not fit in 24 GiB): the few
/// endpoints Serin uses, over plain HTTP on 127.0.0.1, any token accepted.
/// Discovery (`/version`, `/api`, `/apis`, a fixed table of the kinds
/// Serin reads and writes), and per resource: get, list (label and field
/// selectors of `a=b` form), watch (from a resourceVersion, or the current
/// state), create, update (and `/status`), patch (merge, strategic merge
/// and server-side apply all taken as a JSON merge patch, which is what
/// Serin's applies amount to here; JSON patch), delete. Objects live in a
/// `FakeObjectStore`, which also plays the controllers: Deployments become
/// ready after `readyDelay`, CRDs established, HTTPRoutes accepted. Named
/// as the fake it is: no admission, no validation, no real SSA field
/// ownership, no RBAC.
public final class FakeApiserver: Sendable {
    /// A write that was stored, for a benchmark's clock.
    public struct Observation: Sendable {
        /// `group/version/plural` (`/v1/configmaps` for the core group).
        public var resource: String
        public var object: JSONValue
    }

    public let name: String
    let store: FakeObjectStore

    /// `observe` is told every stored write, in order, on the store's executor.
    public init(name: String, readyDelay: Duration = .milliseconds(500), observe: @escaping @Sendable (Observation) -> Void = { _ in }) {
        self.name = name
        store = FakeObjectStore(readyDelay: readyDelay, observe: observe)
    }

    /// Until cancelled: listens on 127.0.0.1 (`port` 0: the kernel's choice,
    /// told to `onListening`), and settles Deployments as they come due.
    public func run(port: Int = 0, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let router = Router()
        let handler = RequestHandler(store: store)
        for path in ["/version", "/api", "/apis", "/api/**", "/apis/**"] {
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
                router.on(RouterPath(path), method: method) { request, _ in try await handler.handle(request) }
            }
        }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) })
        let store = self.store
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await (resource, key, generation, due) in store.settling {
                    try? await Task.sleep(until: due, clock: .continuous)
                    await store.settleDeployment(resource, key, generation: generation)
                }
            }
            group.addTask {
                do {
                    try await application.run()
                } catch {
                    await store.finish()
                    throw error
                }
                await store.finish()
            }
        }
    }

    /// A kubeconfig that reaches it (any token passes).
    public static func kubeconfig(port: Int, name: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(name)
          cluster: { server: "http://127.0.0.1:\(port)" }
        users:
        - name: fake
          user: { token: fake-token }
        contexts:
        - name: \(name)
          context: { cluster: \(name), user: fake }
        current-context: \(name)
        """
    }
}

/// One request of `FakeApiserver`, from path to answer.
struct RequestHandler: Sendable {
    let store: FakeObjectStore

    /// Where a path points: a resource (`group/version/plural`), a namespace, a name, a subresource.
    struct Target {
        var group: String
        var version: String
        var plural: String
        var namespace: String?
        var name: String?
        var subresource: String?
        var resource: String { "\(group)/\(version)/\(plural)" }
    }

    func handle(_ request: Request) async throws -> Response {
        let path = request.uri.path
        let query = request.uri.queryParameters
        let segments = path.split(separator: "/").map(String.init)
        if path == "/version" {
            return Self.json(["major": "1", "minor": "20", "gitVersion": "v1.20.2-fake", "platform": "linux/amd64"])
        }
        if let discovery = Discovery.answer(segments) { return Self.json(discovery) }
        guard let target = Self.target(segments) else { return Self.status(404, "NotFound", "the server could not find the requested resource") }
        do {
            switch request.method {
            case .get:
                if let name = target.name { return Self.json(try await store.get(target.resource, namespace: target.namespace, name: name)) }
                let include = Self.selector(label: query["labelSelector"].map(String.init), field: query["fieldSelector"].map(String.init))
                if query["watch"] == "1" || query["watch"] == "true" {
                    // timeoutSeconds is not honoured: a watch lasts until its client goes (Serin watches again either way).
                    return await watch(target, from: query["resourceVersion"].flatMap { Int(String($0)) }, include: include)
                }
                let items = await store.list(target.resource, namespace: target.namespace, include: include)
                let kind = Discovery.kind(of: target) ?? "Object"
                return Self.json(["apiVersion": .string(target.group.isEmpty ? target.version : "\(target.group)/\(target.version)"),
                                  "kind": .string(kind + "List"),
                                  "metadata": ["resourceVersion": .string(String(await store.resourceVersion))], "items": .array(items)])
            case .post:
                return Self.json(try await store.create(target.resource, namespace: target.namespace, try await Self.body(request)), status: .created)
            case .put:
                guard let name = target.name else { return Self.status(405, "MethodNotAllowed", "PUT needs a name") }
                return Self.json(try await store.replace(target.resource, namespace: target.namespace, name: name, try await Self.body(request),
                                                         status: target.subresource == "status"))
            case .patch:
                guard let name = target.name else { return Self.status(405, "MethodNotAllowed", "PATCH needs a name") }
                let type = request.headers[.contentType] ?? ""
                let kind = type.contains("apply-patch") ? "apply" : type.contains("json-patch") ? "json" : "merge"
                return Self.json(try await store.patch(target.resource, namespace: target.namespace, name: name, try await Self.body(request),
                                                       kind: kind, fieldManager: query["fieldManager"].map(String.init),
                                                       status: target.subresource == "status", dryRun: query["dryRun"] != nil))
            case .delete:
                guard let name = target.name else { return Self.status(405, "MethodNotAllowed", "collection deletes are not faked") }
                return Self.json(try await store.delete(target.resource, namespace: target.namespace, name: name))
            default:
                return Self.status(405, "MethodNotAllowed", "\(request.method) is not faked")
            }
        } catch let failure as FakeObjectStore.Failure {
            return Self.status(failure.code, failure.reason, failure.message)
        }
    }

    private func watch(_ target: Target, from version: Int?, include: @escaping @Sendable (JSONValue) -> Bool) async -> Response {
        let events = await store.watch(target.resource, namespace: target.namespace, after: version, include: include)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
            for await event in events {
                var line = try JSONEncoder().encode(["type": JSONValue.string(event.type), "object": event.object] as JSONValue)
                line.append(0x0A)
                try await writer.write(ByteBuffer(bytes: line))
            }
            try await writer.finish(nil)
        })
    }

    static func target(_ segments: [String]) -> Target? {
        var rest: ArraySlice<String>
        var target: Target
        if segments.first == "api", segments.count >= 3 {
            target = Target(group: "", version: segments[1], plural: "")
            rest = segments[2...]
        } else if segments.first == "apis", segments.count >= 4 {
            target = Target(group: segments[1], version: segments[2], plural: "")
            rest = segments[3...]
        } else {
            return nil
        }
        let parts = Array(rest)
        if parts.count >= 3, parts[0] == "namespaces" {
            target.namespace = parts[1]
            target.plural = parts[2]
            target.name = parts.count > 3 ? parts[3] : nil
            target.subresource = parts.count > 4 ? parts[4] : nil
        } else {
            target.plural = parts[0]
            target.name = parts.count > 1 ? parts[1] : nil
            target.subresource = parts.count > 2 ? parts[2] : nil
        }
        return target
    }

    /// `a=b,c!=d,e` label selectors and `metadata.name=x` field selectors.
    static func selector(label: String?, field: String?) -> @Sendable (JSONValue) -> Bool {
        let labels = (label ?? "").split(separator: ",").map(String.init)
        let fields = (field ?? "").split(separator: ",").map(String.init)
        return { object in
            for term in labels {
                let value = object["metadata"]?["labels"]
                if let range = term.range(of: "!=") {
                    if value?[String(term[..<range.lowerBound])]?.stringValue == String(term[range.upperBound...]) { return false }
                } else if let range = term.range(of: "=") {
                    let key = String(term[..<range.lowerBound]), wanted = String(term[range.upperBound...]).trimmingCharacters(in: ["="])
                    if value?[key]?.stringValue != wanted { return false }
                } else if value?[term] == nil {
                    return false
                }
            }
            for term in fields {
                guard let range = term.range(of: "=") else { continue }
                var node: JSONValue? = object
                for key in term[..<range.lowerBound].split(separator: ".") { node = node?[String(key)] }
                if node?.stringValue != String(term[range.upperBound...]).trimmingCharacters(in: ["="]) { return false }
            }
            return true
        }
    }

    static func body(_ request: Request) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: 16 << 20)
        return try JSONValue.parse(Data(buffer.readableBytesView))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func status(_ code: Int, _ reason: String, _ message: String) -> Response {
        json(["apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": .string(reason), "message": .string(message),
              "code": .int(Int64(code))], status: HTTPResponse.Status(code: code))
    }
}

/// The kinds a fake apiserver serves: what Serin reads and writes.
enum Discovery {
    struct Kind {
        var plural: String
        var kind: String
        var namespaced: Bool
    }

    static let table: [String: [Kind]] = [
        "/v1": [Kind(plural: "configmaps", kind: "ConfigMap", namespaced: true), Kind(plural: "secrets", kind: "Secret", namespaced: true),
                Kind(plural: "services", kind: "Service", namespaced: true), Kind(plural: "namespaces", kind: "Namespace", namespaced: false),
                Kind(plural: "events", kind: "Event", namespaced: true), Kind(plural: "pods", kind: "Pod", namespaced: true),
                Kind(plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true)],
        "apps/v1": [Kind(plural: "deployments", kind: "Deployment", namespaced: true),
                    Kind(plural: "replicasets", kind: "ReplicaSet", namespaced: true)],
        "autoscaling/v1": [Kind(plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", namespaced: true)],
        "autoscaling/v2beta2": [Kind(plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", namespaced: true)],
        "coordination.k8s.io/v1": [Kind(plural: "leases", kind: "Lease", namespaced: true)],
        "apiextensions.k8s.io/v1": [Kind(plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false)],
        "flagger.app/v1beta1": [Kind(plural: "canaries", kind: "Canary", namespaced: true),
                                Kind(plural: "metrictemplates", kind: "MetricTemplate", namespaced: true),
                                Kind(plural: "alertproviders", kind: "AlertProvider", namespaced: true)],
        "gateway.networking.k8s.io/v1beta1": [Kind(plural: "httproutes", kind: "HTTPRoute", namespaced: true)],
        "networking.k8s.io/v1": [Kind(plural: "ingresses", kind: "Ingress", namespaced: true)],
        "events.k8s.io/v1": [Kind(plural: "events", kind: "Event", namespaced: true)],
        // Serin's own: each source's status (gitops' sources.serin.dev).
        "serin.dev/v1alpha1": [Kind(plural: "sources", kind: "Source", namespaced: true)],
        "rbac.authorization.k8s.io/v1": [Kind(plural: "roles", kind: "Role", namespaced: true),
                                         Kind(plural: "rolebindings", kind: "RoleBinding", namespaced: true)],
    ]

    static func kind(of target: RequestHandler.Target) -> String? {
        table["\(target.group)/\(target.version)"]?.first { $0.plural == target.plural }?.kind
    }

    /// `/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`; nil for anything else.
    static func answer(_ segments: [String]) -> JSONValue? {
        switch segments.count {
        case 1 where segments[0] == "api":
            return ["kind": "APIVersions", "versions": ["v1"]]
        case 1 where segments[0] == "apis":
            var groups: [String: [String]] = [:]
            for key in table.keys where !key.hasPrefix("/") {
                let parts = key.split(separator: "/").map(String.init)
                groups[parts[0], default: []].append(parts[1])
            }
            return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.sorted { $0.key < $1.key }.map { group, versions in
                let list = versions.sorted().reversed().map { JSONValue.object(["groupVersion": .string("\(group)/\($0)"), "version": .string($0)]) }
                return ["name": .string(group), "versions": .array(Array(list)), "preferredVersion": list.first ?? .null]
            })]
        case 2 where segments[0] == "api":
            return resources("/\(segments[1])", groupVersion: segments[1])
        case 3 where segments[0] == "apis":
            return resources("\(segments[1])/\(segments[2])", groupVersion: "\(segments[1])/\(segments[2])")
        default:
            return nil
        }
    }

    private static func resources(_ key: String, groupVersion: String) -> JSONValue? {
        guard let kinds = table[key] else { return nil }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion),
                "resources": .array(kinds.map { kind in
                    ["name": .string(kind.plural), "singularName": .string(kind.kind.lowercased()), "namespaced": .bool(kind.namespaced),
                     "kind": .string(kind.kind), "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]]
                } + kinds.map { kind in
                    ["name": .string(kind.plural + "/status"), "singularName": "", "namespaced": .bool(kind.namespaced),
                     "kind": .string(kind.kind), "verbs": ["get", "update", "patch"]]
                })]
    }
}
