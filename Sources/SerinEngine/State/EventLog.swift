import Foundation
import Synchronization

/// The audit trail: one JSON object per line in `<stateDir>/events.log`,
/// appended and fsynced. Each entry has a sequence number, so a reader sees
/// any gap; a line cut short by a crash is ignored on reading and the next
/// entry starts on a fresh line. The newest entries are also kept in memory
/// for subscribers (the API's event stream), which are told of each new
/// entry as it is written instead of reading the file again. The file is
/// rotated at `rotateBytes` (`events.log.1`, `.2`, ...).
public final class EventLog: @unchecked Sendable {
    // Safe: every access to the mutable state below holds `lock`.
    public struct Entry: Sendable, Codable, Equatable {
        public var sequence: Int
        /// Seconds since 1970.
        public var time: Double
        public var rollout: String
        public var revision: String?
        public var author: String?
        /// The commit the revision came from; nil in entries written before it was kept.
        public var commit: String?
        /// What was decided: `started`, `promoted`, `rolledBack`, a phase name ...
        public var decision: String
        public var reason: String
        /// The Git source an entry is about (`synced`, `sync-failed`); nil for rollouts.
        public var source: String?

        public init(sequence: Int = 0, time: Double, rollout: String, revision: String?, author: String?, commit: String? = nil,
                    decision: String, reason: String, source: String? = nil) {
            self.source = source
            self.sequence = sequence
            self.time = time
            self.rollout = rollout
            self.revision = revision
            self.author = author
            self.commit = commit
            self.decision = decision
            self.reason = reason
        }
    }

    public let path: String
    public let rotateBytes: Int
    public let rotationsKept: Int
    /// Entries kept in memory for subscribers that start behind.
    public let tailLimit: Int
    private let lock = NSLock()
    private var descriptor: Int32
    private var nextSequence: Int
    private var size: Int
    private var tail: [Entry]
    /// Under a lock of their own: a subscriber's task cancelled while an
    /// entry is delivered (its termination handler runs holding the task's
    /// status lock, which delivering to it needs) must not wait on `lock`,
    /// or the two would wait on each other.
    private let subscribers = Mutex<[UUID: AsyncStream<Entry>.Continuation]>([:])

    public init(stateDirectory: String, rotateBytes: Int = 16 << 20, rotationsKept: Int = 3, tailLimit: Int = 1000) throws {
        path = stateDirectory + "/events.log"
        self.rotateBytes = rotateBytes
        self.rotationsKept = rotationsKept
        self.tailLimit = tailLimit
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        // The log only grows: its tail is enough to continue it.
        let bytes = Self.tail(path, bytes: 256 * 1024)
        let decoder = JSONDecoder()
        let lines = bytes.split(separator: 0x0A)
        tail = Array(lines.compactMap { try? decoder.decode(Entry.self, from: Data($0)) }.suffix(tailLimit))
        let previous = tail.last?.sequence ?? Self.read(path + ".1").last?.sequence ?? 0
        nextSequence = previous + 1
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StateStore.StoreError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        size = Int(lseek(descriptor, 0, SEEK_END))
        // A crash may have cut the last line short: start the next one afresh.
        if let last = bytes.last, last != 0x0A {
            _ = "\n".withCString { write(descriptor, $0, 1) }
            size += 1
        }
    }

    deinit {
        close(descriptor)
        for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber.finish() }
    }

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
            if size + line.count > rotateBytes && size > 0 { try rotate() }
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
            guard written == line.count, fsync(descriptor) == 0 else {
                throw StateStore.StoreError(description: "cannot append to \(path): \(String(cString: strerror(errno)))")
            }
            size += line.count
            nextSequence += 1
            tail.append(entry)
            if tail.count > tailLimit { tail.removeFirst(tail.count - tailLimit) }
            // Delivered in order (under `lock`), but not under the subscribers' lock.
            for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber.yield(entry) }
            return entry
        }
    }

    /// `events.log` becomes `events.log.1` (and so on); the oldest goes.
    private func rotate() throws {
        close(descriptor)
        unlink("\(path).\(rotationsKept)")
        if rotationsKept > 1 {
            for index in stride(from: rotationsKept - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
        }
        rename(path, path + ".1")
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StateStore.StoreError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        DurableFile.syncDirectory(of: path)
        size = 0
    }

    /// Every complete entry still kept (rotated files included), in order.
    public func entries() -> [Entry] {
        lock.withLock {
            var all: [Entry] = []
            for index in stride(from: rotationsKept, through: 1, by: -1) { all += Self.read("\(path).\(index)") }
            return all + Self.read(path)
        }
    }

    /// The sequence of the last entry written (0 before the first).
    public var lastSequence: Int { lock.withLock { nextSequence - 1 } }

    /// Entries after `sequence`: those still in memory first, then each new
    /// one as it is written, until the stream's consumer goes away.
    public func subscribe(after sequence: Int) -> AsyncStream<Entry> {
        let (stream, continuation) = AsyncStream<Entry>.makeStream(bufferingPolicy: .bufferingNewest(tailLimit))
        let id = UUID()
        lock.withLock {
            for entry in tail where entry.sequence > sequence { continuation.yield(entry) }
            subscribers.withLock { $0[id] = continuation }
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

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
