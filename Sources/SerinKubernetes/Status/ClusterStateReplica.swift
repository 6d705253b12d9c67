import Foundation
import SerinEngine

/// Each rollout's saved state kept in the cluster as well, in a ConfigMap
/// `serin-state-<name>` beside its Canary: an operator started on an empty
/// state directory (a new pod) resumes every release from it at the same
/// step. Written after the local file and awaited, so the cluster never
/// holds less than the step the operator acted on.
public actor ClusterStateReplica: StateReplica {
    public static let fieldManager = "serin"
    public static let label = "serin.dev/state"
    private let client: KubeClient
    /// Restricts `loadAll` to one namespace (a namespaced operator).
    private let namespace: String?
    private var written: [String: Data] = [:]

    public init(client: KubeClient, namespace: String? = nil) {
        self.client = client
        self.namespace = namespace
    }

    /// Keys are `namespace.name` (a namespace holds no dot).
    static func split(_ key: String) -> (namespace: String, name: String) {
        guard let dot = key.firstIndex(of: ".") else { return ("default", key) }
        return (String(key[..<dot]), String(key[key.index(after: dot)...]))
    }

    public func save(_ data: Data, as key: String) async throws {
        guard written[key] != data else { return }
        let (namespace, name) = Self.split(key)
        let map = ConfigMap(metadata: ObjectMeta(name: "serin-state-" + name, namespace: namespace,
                                                 labels: [Self.label: "rollout", "app.kubernetes.io/managed-by": "serin"],
                                                 annotations: ["serin.dev/rollout": key]),
                            data: ["state.json": String(decoding: data, as: UTF8.self)])
        _ = try await client.resources(ConfigMap.self).apply(map, fieldManager: Self.fieldManager, force: true)
        written[key] = data
    }

    public func loadAll() async throws -> [String: Data] {
        let maps = try await client.resources(ConfigMap.self).listAll(namespace: namespace, labelSelector: "\(Self.label)=rollout")
        var states: [String: Data] = [:]
        for map in maps.items {
            guard let key = map.metadata.annotations?["serin.dev/rollout"], let text = map.data?["state.json"] else { continue }
            states[key] = Data(text.utf8)
        }
        return states
    }
}
