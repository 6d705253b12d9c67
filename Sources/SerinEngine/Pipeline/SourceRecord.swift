import Foundation

/// What the operator keeps of one source across restarts, in the state
/// directory (`operator/sources/<name>.json`, written atomically): whether
/// a person suspended it, the revision it is pinned to, and the revisions
/// its targets were given, newest last.
public struct SourceRecord: Sendable, Codable, Equatable {
    /// Set by `serin suspend` (or `suspend: true`, then not saved).
    public var suspension: SourceSuspension?
    public var pin: SourcePin?
    public var history: [SourceHistoryEntry] = []
    /// `prune` as the configuration said it when last run: a source taken
    /// out of serin.yaml with `prune: false` keeps what it applied.
    public var prune: Bool?

    /// Rows kept per source.
    public static let historyLimit = 100

    public init() {}

    static func path(_ stateDirectory: String, _ source: String) -> String {
        "\(stateDirectory)/operator/sources/\(source).json"
    }

    /// The record of `source`; empty when there is none. Throws when it is
    /// there but unreadable (a decision is not taken on a guess).
    public static func load(stateDirectory: String, source: String) throws -> SourceRecord {
        let path = path(stateDirectory, source)
        guard let data = FileManager.default.contents(atPath: path) else { return SourceRecord() }
        do {
            return try JSONDecoder().decode(SourceRecord.self, from: data)
        } catch {
            throw StateFileError(path: path, reason: "\(error)")
        }
    }

    /// Every source with a record, by name.
    public static func sources(stateDirectory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(stateDirectory)/operator/sources")) ?? []
        return names.filter { $0.hasSuffix(".json") && !DurableFile.isLeftover($0) }.map { String($0.dropLast(".json".count)) }.sorted()
    }

    public func save(stateDirectory: String, source: String) throws {
        let path = Self.path(stateDirectory, source)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFile.replace(path, with: try encoder.encode(self))
    }

    public static func remove(stateDirectory: String, source: String) {
        DurableFile.remove(path(stateDirectory, source))
    }

    /// Adds a row unless it says what the last one says (a resync that
    /// changed nothing); returns whether it did.
    @discardableResult
    public mutating func append(_ entry: SourceHistoryEntry) -> Bool {
        if let last = history.last, last.revision == entry.revision, last.result == entry.result, last.trigger == entry.trigger { return false }
        history.append(entry)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        return true
    }
}
