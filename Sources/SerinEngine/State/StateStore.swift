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
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
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

    /// Copies every state the replica holds and this directory does not
    /// (an operator started on an empty state directory), of the rollouts
    /// `include` accepts (this operator's: the replica may hold another's);
    /// returns the keys copied.
    public func restoreFromReplica(only include: (String) -> Bool = { _ in true }) async throws -> [String] {
        guard let replica else { return [] }
        var restored: [String] = []
        for (key, data) in try await replica.loadAll().sorted(by: { $0.key < $1.key })
        where include(key) && !FileManager.default.fileExists(atPath: path(for: key)) {
            try write(data, as: key)
            restored.append(key)
        }
        return restored
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
    /// Every state saved, by key.
    func loadAll() async throws -> [String: Data]
}
