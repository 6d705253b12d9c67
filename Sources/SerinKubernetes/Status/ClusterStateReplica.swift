import Crypto
import Foundation
import SerinEngine

/// Each rollout's saved state kept in the cluster as well, in a ConfigMap
/// `serin-state-<name>` beside its Canary: an operator started on an empty
/// state directory (a new pod) resumes every release from it at the same
/// step. Written after the local file and awaited, so the cluster never
/// holds less than the step the operator acted on.
///
/// A saved state names whole pod templates, which a restore deploys; and
/// whoever may write ConfigMaps in a Canary's namespace could write one.
/// So a state is read back only from its rollout's own name, and only when
/// it carries an HMAC (SHA-256) over the rollout's key and the state, made
/// with a key only the operator holds: a Secret `serin-state-key` in
/// Serin's own namespace, created by the first operator that needs it and
/// read by every replica after it (a standby taking over signs and checks
/// with the same key). A tenant can delete a state (its release then
/// starts over from Git), not forge one.
public actor ClusterStateReplica: StateReplica {
    public static let fieldManager = "serin"
    public static let label = "serin.dev/state"
    public static let keySecret = "serin-state-key"
    private static let rolloutAnnotation = "serin.dev/rollout"
    private let client: KubeClient
    /// Where the key lives: Serin's own namespace.
    private let keyNamespace: String
    private var key: SymmetricKey?
    private var written: [String: Data] = [:]

    public init(client: KubeClient, keyNamespace: String) {
        self.client = client
        self.keyNamespace = keyNamespace
    }

    /// Keys are `namespace.name` (a namespace holds no dot).
    static func split(_ key: String) -> (namespace: String, name: String) {
        guard let dot = key.firstIndex(of: ".") else { return ("default", key) }
        return (String(key[..<dot]), String(key[key.index(after: dot)...]))
    }

    static func mapName(_ name: String) -> String { "serin-state-" + name }

    public func save(_ data: Data, as key: String) async throws {
        guard written[key] != data else { return }
        let (namespace, name) = Self.split(key)
        let signature = Self.signature(of: data, as: key, with: try await signingKey())
        let map = ConfigMap(metadata: ObjectMeta(name: Self.mapName(name), namespace: namespace,
                                                 labels: [Self.label: "rollout", "app.kubernetes.io/managed-by": "serin"],
                                                 annotations: [Self.rolloutAnnotation: key]),
                            data: ["state.json": String(decoding: data, as: UTF8.self), "state.hmac": signature])
        _ = try await client.resources(ConfigMap.self).apply(map, fieldManager: Self.fieldManager, force: true)
        written[key] = data
    }

    public func load(_ key: String) async throws -> Data? {
        let (namespace, name) = Self.split(key)
        guard let map = try await client.resources(ConfigMap.self).getIfPresent(Self.mapName(name), namespace: namespace),
              let text = map.data?["state.json"] else { return nil }
        let place = "\(namespace)/\(Self.mapName(name))"
        guard map.metadata.annotations?[Self.rolloutAnnotation] == key else {
            throw StateReplicaRefusal(description: "the state in ConfigMap \(place) names another rollout; not restored")
        }
        let data = Data(text.utf8)
        guard let presented = map.data?["state.hmac"].flatMap(Self.bytes(hex:)),
              HMAC<SHA256>.isValidAuthenticationCode(presented, authenticating: Self.signed(data, as: key), using: try await signingKey())
        else {
            throw StateReplicaRefusal(description: "the state in ConfigMap \(place) is not signed with this operator's key "
                + "(Secret \(keyNamespace)/\(Self.keySecret)); not restored: \(key) starts from what Git declares")
        }
        return data
    }

    /// The key, read from the Secret, or made and stored there by the
    /// first operator (a race between two is settled by the apiserver: the
    /// second create fails and the winner's key is read).
    private func signingKey() async throws -> SymmetricKey {
        if let key { return key }
        let secrets = client.resources(Secret.self)
        for _ in 0..<3 {
            if let secret = try await secrets.getIfPresent(Self.keySecret, namespace: keyNamespace), let material = secret.value("key"),
               material.count >= 32 {
                let key = SymmetricKey(data: material)
                self.key = key
                return key
            }
            let material = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            let secret = Secret(metadata: ObjectMeta(name: Self.keySecret, namespace: keyNamespace,
                                                     labels: ["app.kubernetes.io/managed-by": "serin"],
                                                     annotations: ["serin.dev/purpose": "signs the rollout states kept in ConfigMaps serin-state-*"]),
                                type: "Opaque", data: ["key": material.base64EncodedString()])
            if try await Self.create(secret, in: secrets) {
                let key = SymmetricKey(data: material)
                self.key = key
                return key
            }
        }
        throw StateReplicaRefusal(description: "the Secret \(keyNamespace)/\(Self.keySecret) holds no usable key; delete it to make a new one")
    }

    /// False when another operator created it first.
    private static func create(_ secret: Secret, in secrets: ResourceClient<Secret>) async throws -> Bool {
        do {
            _ = try await secrets.create(secret)
            return true
        } catch {
            if error.isAlreadyExists { return false }
            throw error
        }
    }

    static func signed(_ data: Data, as key: String) -> Data {
        Data("serin-state-v1\n\(key)\n".utf8) + data
    }

    static func signature(of data: Data, as key: String, with secret: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: signed(data, as: key), using: secret).map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> Data? {
        guard hex.utf8.count == 64 else { return nil }
        var bytes = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
