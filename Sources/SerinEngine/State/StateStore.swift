import Foundation

/// One file per rollout under `<stateDir>/rollouts/`, replaced atomically:
/// written to a temporary file, fsynced, renamed over the old one, and the
/// folder fsynced. A crash at any moment leaves the old state or the new
/// one, never half of either.
public struct StateStore: Sendable {
    public let directory: String

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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        do {
            try DurableFile.replace(path(for: key), with: data)
        } catch {
            throw StoreError(description: error.description)
        }
    }

    /// `save` on a Dispatch thread: fsync blocks, and a blocked cooperative
    /// thread stalls every task (there are as many as cores).
    public func saveOffPool<Value: Encodable & Sendable>(_ value: Value, as key: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try self.save(value, as: key) })
            }
        }
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
