import Foundation

/// One file per rollout under `<stateDir>/rollouts/`, replaced atomically:
/// written to a temporary file, fsynced, renamed over the old one, and the
/// folder fsynced. A crash at any moment leaves the old state or the new
/// one, never half of either.
public struct StateStore: Sendable {
    public let directory: String
    /// A second copy of every saved state, written after the file (the
    /// Kubernetes platform keeps one in the cluster, so an operator started
    /// with an empty state directory resumes from it).
    public var replica: (any StateReplica)?

    public struct StoreError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(stateDirectory: String) throws {
        directory = stateDirectory + "/rollouts"
        // The operator's alone: states name what runs and who committed it.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(directory, 0o700)
    }

    /// Rollouts are named `namespace.name`; both are DNS-1123 names, so the
    /// file name is safe.
    public func path(for key: String) -> String { "\(directory)/\(key).json" }

    public func save<Value: Encodable>(_ value: Value, as key: String) throws {
        try write(Self.encode(value), as: key)
    }

    static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    private func write(_ data: Data, as key: String) throws {
        do {
            try DurableFile.replace(path(for: key), with: data)
        } catch {
            throw StoreError(description: error.description)
        }
    }

    /// `save` on a Dispatch thread: fsync blocks, and a blocked cooperative
    /// thread stalls every task (there are as many as cores).
    public func saveOffPool<Value: Encodable & Sendable>(_ value: Value, as key: String) async throws {
        let data = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result {
                    let data = try Self.encode(value)
                    try self.write(data, as: key)
                    return data
                })
            }
        }
        try await replica?.save(data, as: key)
    }

    /// What `restoreFromReplica` copied, and what it would not.
    public struct Restore: Sendable, Equatable {
        public var restored: [String] = []
        /// One line each: which copy, and why it is not trusted.
        public var refused: [String] = []
    }

    /// Copies the states of `keys` (this operator's rollouts) that the
    /// replica holds and this directory does not (an operator started on an
    /// empty state directory). A copy the replica does not trust is left
    /// out and said; the rollout then starts from what Git declares.
    public func restoreFromReplica(keys: Set<String>) async throws -> Restore {
        guard let replica else { return Restore() }
        var outcome = Restore()
        for key in keys.sorted() where !FileManager.default.fileExists(atPath: path(for: key)) {
            do {
                guard let data = try await replica.load(key) else { continue }
                try write(data, as: key)
                outcome.restored.append(key)
            } catch let refusal as StateReplicaRefusal {
                outcome.refused.append(refusal.description)
            }
        }
        return outcome
    }

    public func load<Value: Decodable>(_ type: Value.Type, key: String) throws -> Value? {
        guard let data = FileManager.default.contents(atPath: path(for: key)) else { return nil }
        return try JSONDecoder().decode(type, from: data)
    }

    public func remove(_ key: String) {
        DurableFile.remove(path(for: key))
    }

    /// Keys of every stored rollout; leftovers of interrupted writes are removed.
    public func keys() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where DurableFile.isLeftover(name) { unlink("\(directory)/\(name)") }
        return names.filter { !$0.hasPrefix(".") && $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }
}

/// Where a `StateStore` keeps its second copy.
public protocol StateReplica: Sendable {
    func save(_ data: Data, as key: String) async throws
    /// The state saved as `key`; nil when there is none. Throws
    /// `StateReplicaRefusal` for a copy that cannot be trusted.
    func load(_ key: String) async throws -> Data?
}

/// A replica's copy that is not restored, and why.
public struct StateReplicaRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
