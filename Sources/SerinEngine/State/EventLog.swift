import Foundation

/// The audit trail: one JSON object per line in `<stateDir>/events.log`,
/// appended and fsynced. Each entry has a sequence number, so a reader sees
/// any gap; a line cut short by a crash is ignored on reading and the next
/// entry starts on a fresh line.
public final class EventLog: @unchecked Sendable {
    // Safe: every access to `descriptor` and `nextSequence` holds `lock`.
    public struct Entry: Sendable, Codable, Equatable {
        public var sequence: Int
        /// Seconds since 1970.
        public var time: Double
        public var rollout: String
        public var revision: String?
        public var author: String?
        /// What was decided: `started`, `promoted`, `rolledBack`, a phase name ...
        public var decision: String
        public var reason: String

        public init(sequence: Int = 0, time: Double, rollout: String, revision: String?, author: String?, decision: String, reason: String) {
            self.sequence = sequence
            self.time = time
            self.rollout = rollout
            self.revision = revision
            self.author = author
            self.decision = decision
            self.reason = reason
        }
    }

    public let path: String
    private let lock = NSLock()
    private let descriptor: Int32
    private var nextSequence: Int

    public init(stateDirectory: String) throws {
        path = stateDirectory + "/events.log"
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        // The log only grows: its tail is enough to continue it.
        let tail = Self.tail(path, bytes: 64 * 1024)
        let decoder = JSONDecoder()
        let lastEntry = tail.split(separator: 0x0A).reversed().lazy.compactMap { try? decoder.decode(Entry.self, from: Data($0)) }.first
        nextSequence = (lastEntry?.sequence ?? 0) + 1
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StateStore.StoreError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        // A crash may have cut the last line short: start the next one afresh.
        if let last = tail.last, last != 0x0A {
            _ = "\n".withCString { write(descriptor, $0, 1) }
        }
    }

    deinit { close(descriptor) }

    /// Appends an entry with the next sequence number and returns it.
    @discardableResult
    public func append(_ entry: Entry) throws -> Entry {
        try lock.withLock {
            var entry = entry
            entry.sequence = nextSequence
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var line = try encoder.encode(entry)
            line.append(0x0A)
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
            guard written == line.count, fsync(descriptor) == 0 else {
                throw StateStore.StoreError(description: "cannot append to \(path): \(String(cString: strerror(errno)))")
            }
            nextSequence += 1
            return entry
        }
    }

    /// Every complete entry, in order.
    public func entries() -> [Entry] { Self.read(path) }

    /// The last `bytes` bytes of the file (an entry is far shorter).
    static func tail(_ path: String, bytes: Int) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        return (try? handle.readToEnd()) ?? Data()
    }

    static func read(_ path: String) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(Entry.self, from: Data($0)) }
    }
}
