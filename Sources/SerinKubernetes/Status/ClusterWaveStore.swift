import Foundation
import SerinEngine
import SerinSpec

/// Where each source's revision stands in its waves, kept in the home
/// cluster: a ConfigMap per source in Serin's namespace, written with
/// Serin's field manager. So the record outlives a kill -9 and a restart
/// on an empty state directory. A copy is trusted only at its own name,
/// with Serin's label, the source's name, and Serin's field manager among
/// its writers: a ConfigMap someone else wrote never moves a revision on.
public actor ClusterWaveStore: WaveStore {
    public static let fieldManager = "serin"
    public static let label = "serin.dev/waves"
    /// Every record's name starts so; Git may not declare such a ConfigMap (`ClusterSync.reservation`).
    public static let namePrefix = "serin-waves-"

    private let client: KubeClient
    private let namespace: String
    /// Serin may create its namespace (a cluster-wide operator).
    private let createsNamespace: Bool
    private var written: [String: WaveRecord] = [:]

    public init(client: KubeClient, namespace: String, createsNamespace: Bool = true) {
        self.client = client
        self.namespace = namespace
        self.createsNamespace = createsNamespace
    }

    /// `serin-waves-<source>`: source names may hold capitals and `_`,
    /// which object names may not; those get a digest of the name so two
    /// sources never share a record.
    public static func name(of source: String) -> String {
        let plain = source.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" }
        var name = namePrefix + String(plain)
        if String(plain) != source {
            name += "-" + ContentDigest.hex(source.utf8).prefix(8)
        }
        return name
    }

    public func load(source: String) async throws -> WaveRecord? {
        let name = Self.name(of: source)
        guard let object = try await client.resources(ConfigMap.resourceKind).getIfPresent(name, namespace: namespace) else { return nil }
        guard let reason = Self.untrusted(object, source: source) else {
            guard let text = object["data"]?["record.json"]?.stringValue else { return nil }
            let record = try JSONDecoder().decode(WaveRecord.self, from: Data(text.utf8))
            written[source] = record
            return record
        }
        throw ClusterWaveStoreError(description: "ConfigMap \(namespace)/\(name) is not Serin's record of \(source)'s waves (\(reason)); "
            + "delete it, and the next revision starts from the first wave")
    }

    /// Why a ConfigMap at the record's name is not Serin's, or nil.
    static func untrusted(_ object: KubeObject, source: String) -> String? {
        guard object.metadata.labels?[label] == "record" else { return "no label \(label)=record" }
        guard object.metadata.annotations?["serin.dev/source"] == source else { return "its serin.dev/source annotation names another source" }
        let managers = object["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        guard managers.contains(fieldManager) else { return "not written by field manager \(fieldManager)" }
        return nil
    }

    public func save(_ record: WaveRecord, source: String) async throws {
        guard written[source] != record else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let map = ConfigMap(metadata: ObjectMeta(name: Self.name(of: source), namespace: namespace,
                                                 labels: [Self.label: "record", "app.kubernetes.io/managed-by": "serin"],
                                                 annotations: ["serin.dev/source": source]),
                            data: ["record.json": String(decoding: try encoder.encode(record), as: UTF8.self)])
        // A `catch where` on this typed throw crashes Swift 6.3's SIL
        // ownership verifier: the error is judged after the catch instead.
        let failure: KubeError?
        do {
            _ = try await client.resources(ConfigMap.self).apply(map, fieldManager: Self.fieldManager, force: true)
            failure = nil
        } catch {
            failure = error
        }
        if let failure {
            // Saved before the first sync made Serin's namespace.
            guard failure.isNotFound && createsNamespace else { throw failure }
            _ = try await client.resources(Namespace.self).apply(Namespace(name: namespace), fieldManager: Self.fieldManager)
            _ = try await client.resources(ConfigMap.self).apply(map, fieldManager: Self.fieldManager, force: true)
        }
        written[source] = record
    }
}

public struct ClusterWaveStoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
