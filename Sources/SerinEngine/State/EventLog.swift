import Foundation
import Synchronization

/// The audit trail: one JSON object per line in `<stateDir>/events.log`,
/// appended and fsynced. Each entry has a sequence number, so a reader sees
/// any gap; a line cut short by a crash is ignored on reading and the next
/// entry starts on a fresh line. The newest entries are also kept in memory
/// for subscribers (the API's event stream), which are told of each new
/// entry as it is written instead of reading the file again. The file is
/// rotated at `rotateBytes` (`events.log.1`, `.2`, ...).
///
/// Every write, fsync, rotation and read of the files happens on a thread
/// of the log's own (`IOThread`), never on Swift's cooperative threads (two on this
/// kind of machine: an fsync there stalls every task) and never under a lock
/// that a task waits on: callers `await` the thread's answer.
///
/// With several clusters, each cluster's reconciler writes through a view
/// of the one log (`scoped(to:)`): its entries name the cluster, and it
/// reads back only its own and those of no cluster, so the same Canary in
/// two clusters has two histories in one audit trail.
public final class EventLog: Sendable {
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
        /// The cluster an entry is about, when the operator has several; nil otherwise.
        public var cluster: String?

        public init(sequence: Int = 0, time: Double, rollout: String, revision: String?, author: String?, commit: String? = nil,
                    decision: String, reason: String, source: String? = nil, cluster: String? = nil) {
            self.source = source
            self.cluster = cluster
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

    /// What the log's thread alone touches: the open file and its size.
    private final class Disk: @unchecked Sendable {
        // Safe: read and written only by jobs on the log's `IOThread`, which runs one at a time.
        var descriptor: Int32
        var size: Int

        init(descriptor: Int32, size: Int) {
            self.descriptor = descriptor
            self.size = size
        }
    }

    /// What subscribers and `lastSequence` read: held only for memory work, never across I/O.
    private struct Memory {
        var nextSequence: Int
        var tail: [Entry]
    }

    /// The file and what goes with it, shared by the log and its views
    /// (closed when the last of them goes).
    private final class Shared: Sendable {
        let path: String
        let rotateBytes: Int
        let rotationsKept: Int
        let tailLimit: Int
        let io: IOThread
        let disk: Disk
        let memory: Mutex<Memory>
        let feed: EventFeed

        init(path: String, rotateBytes: Int, rotationsKept: Int, tailLimit: Int, io: IOThread, disk: Disk, memory: Memory, feed: EventFeed) {
            self.path = path
            self.rotateBytes = rotateBytes
            self.rotationsKept = rotationsKept
            self.tailLimit = tailLimit
            self.io = io
            self.disk = disk
            self.memory = Mutex(memory)
            self.feed = feed
        }

        deinit {
            close(disk.descriptor)
            io.stop()
            feed.finish()
        }
    }

    private let shared: Shared
    /// Set on a cluster's view: the cluster its entries name, and the only one it reads back.
    public let cluster: String?

    public var path: String { shared.path }
    public var rotateBytes: Int { shared.rotateBytes }
    public var rotationsKept: Int { shared.rotationsKept }
    /// Entries kept in memory for subscribers that start behind; also how
    /// many unread entries a subscriber may hold before it is told of a gap.
    public var tailLimit: Int { shared.tailLimit }
    private var io: IOThread { shared.io }
    private var disk: Disk { shared.disk }
    private var feed: EventFeed { shared.feed }

    public init(stateDirectory: String, rotateBytes: Int = 16 << 20, rotationsKept: Int = 3, tailLimit: Int = 1000) throws {
        let path = stateDirectory + "/events.log"
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        // The log only grows: its tail is enough to continue it.
        let bytes = Self.tail(path, bytes: 256 * 1024)
        let decoder = JSONDecoder()
        let lines = bytes.split(separator: 0x0A)
        let tail = Array(lines.compactMap { try? decoder.decode(Entry.self, from: Data($0)) }.suffix(tailLimit))
        let previous = tail.last?.sequence ?? Self.read(path + ".1").last?.sequence ?? 0
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StateStore.StoreError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var size = Int(lseek(descriptor, 0, SEEK_END))
        // A crash may have cut the last line short: start the next one afresh.
        if let last = bytes.last, last != 0x0A {
            _ = "\n".withCString { write(descriptor, $0, 1) }
            size += 1
        }
        let io = IOThread(name: "serin events.log")
        let feed = EventFeed(limit: tailLimit)
        shared = Shared(path: path, rotateBytes: rotateBytes, rotationsKept: rotationsKept, tailLimit: tailLimit, io: io,
                        disk: Disk(descriptor: descriptor, size: size), memory: Memory(nextSequence: previous + 1, tail: tail), feed: feed)
        cluster = nil
    }

    private init(shared: Shared, cluster: String) {
        self.shared = shared
        self.cluster = cluster
    }

    /// The same log, for one cluster's rollouts: what it appends names
    /// `cluster`; what it reads back (`entries`, `subscribe`) is that
    /// cluster's and what names none. `deliveries` stays the whole log's.
    public func scoped(to cluster: String) -> EventLog {
        EventLog(shared: shared, cluster: cluster)
    }

    /// Whether this log (or view) reads `entry` back.
    func includes(_ entry: Entry) -> Bool {
        cluster == nil || entry.cluster == nil || entry.cluster == cluster
    }

    /// The entry as this view writes it: naming its cluster.
    private func named(_ entry: Entry) -> Entry {
        guard let cluster, entry.cluster == nil else { return entry }
        var entry = entry
        entry.cluster = cluster
        return entry
    }

    /// Appends an entry with the next sequence number and returns it, once
    /// it is on disk (fsynced).
    @discardableResult
    public func append(_ entry: Entry) async throws -> Entry {
        let entry = named(entry)
        return try await withCheckedThrowingContinuation { continuation in
            io.submit { continuation.resume(with: Result { try self.persist(entry) }) }
        }
    }

    /// Appends without waiting, for callers that cannot (a synchronous
    /// callback): in order with every other append; `failed` hears of an
    /// entry that could not be written.
    public func post(_ entry: Entry, failed: @escaping @Sendable (any Error) -> Void) {
        let entry = named(entry)
        io.submit {
            do { _ = try self.persist(entry) } catch { failed(error) }
        }
    }

    /// On the log's thread.
    private func persist(_ entry: Entry) throws -> Entry {
        var entry = entry
        entry.sequence = shared.memory.withLock { $0.nextSequence }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(entry)
        line.append(0x0A)
        if disk.size + line.count > rotateBytes && disk.size > 0 { try rotate() }
        let written = line.withUnsafeBytes { write(disk.descriptor, $0.baseAddress!, $0.count) }
        guard written == line.count, fsync(disk.descriptor) == 0 else {
            throw StateStore.StoreError(description: "cannot append to \(path): \(String(cString: strerror(errno)))")
        }
        disk.size += line.count
        // Subscribers hear of it in order (one thread, one job at a time), under the
        // lock `subscribe` takes for its backlog: nothing missed or sent twice.
        shared.memory.withLock { memory in
            memory.nextSequence += 1
            memory.tail.append(entry)
            if memory.tail.count > tailLimit { memory.tail.removeFirst(memory.tail.count - tailLimit) }
            feed.publish(entry)
        }
        return entry
    }

    /// `events.log` becomes `events.log.1` (and so on); the oldest goes. On the log's thread.
    private func rotate() throws {
        close(disk.descriptor)
        unlink("\(path).\(rotationsKept)")
        if rotationsKept > 1 {
            for index in stride(from: rotationsKept - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
        }
        rename(path, path + ".1")
        disk.descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard disk.descriptor >= 0 else { throw StateStore.StoreError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        DurableFile.syncDirectory(of: path)
        disk.size = 0
    }

    /// Every complete entry still kept (rotated files included), in order.
    public func entries() async -> [Entry] {
        let all = await onIOThread { Self.entries(path: self.path, rotationsKept: self.rotationsKept) }
        return cluster == nil ? all : all.filter(includes)
    }

    /// The entries kept with sequence numbers `first...last`, in order:
    /// what a subscriber told of a gap reads again. Fewer when some were
    /// rotated away.
    public func entries(from first: Int, through last: Int) async -> [Entry] {
        guard first <= last else { return [] }
        let inMemory = shared.memory.withLock { memory in memory.tail.first.map { $0.sequence <= first } == true ? memory.tail : nil }
        if let inMemory { return inMemory.filter { (first...last).contains($0.sequence) && includes($0) } }
        return await entries().filter { (first...last).contains($0.sequence) }
    }

    /// The entries of a state directory's log, for tools and tests that
    /// read it without writing (no log is opened). Blocks on file I/O:
    /// not for the cooperative pool.
    public static func entries(inStateDirectory directory: String, rotationsKept: Int = 3) -> [Entry] {
        entries(path: directory + "/events.log", rotationsKept: rotationsKept)
    }

    private static func entries(path: String, rotationsKept: Int) -> [Entry] {
        var all: [Entry] = []
        for index in stride(from: rotationsKept, through: 1, by: -1) { all += read("\(path).\(index)") }
        return all + read(path)
    }

    /// Waits until every append made before has been written.
    public func flush() async {
        await onIOThread {}
    }

    private func onIOThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            io.submit { continuation.resume(returning: work()) }
        }
    }

    /// The sequence of the last entry written (0 before the first).
    public var lastSequence: Int { shared.memory.withLock { $0.nextSequence - 1 } }

    /// Entries after `sequence`, then each new one as it is written, until
    /// the consumer goes away: those still in memory first (with a gap
    /// marker first when older ones were asked for), and a gap marker
    /// wherever the consumer fell more than `tailLimit` entries behind.
    public func deliveries(after sequence: Int) -> Subscription {
        shared.memory.withLock { memory in
            let last = memory.nextSequence - 1
            let oldest = memory.tail.first?.sequence ?? last + 1
            let missing = sequence + 1 < oldest && sequence < last ? Gap(first: sequence + 1, last: oldest - 1) : nil
            return feed.subscribe(missing: missing, backlog: memory.tail.lazy.filter { $0.sequence > sequence })
        }
    }

    /// Every entry after `sequence`, in order, none skipped: where the
    /// consumer fell behind, the entries it missed are read again from the
    /// files (only those rotated away meanwhile are lost).
    public func subscribe(after sequence: Int) -> AsyncStream<Entry> {
        let reader = GapFillingReader(log: self, deliveries: deliveries(after: sequence))
        return AsyncStream(unfolding: { await reader.next() })
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

/// `EventLog.subscribe`'s reader: deliveries, with each gap read again from the log.
private final class GapFillingReader: @unchecked Sendable {
    // Safe: only `AsyncStream(unfolding:)` calls `next()`, and it does so for
    // its one consumer's `next()`, one call at a time.
    let log: EventLog
    var iterator: EventLog.Subscription.AsyncIterator
    var refilled: [EventLog.Entry] = []
    var delivered = 0

    init(log: EventLog, deliveries: EventLog.Subscription) {
        self.log = log
        iterator = deliveries.makeAsyncIterator()
    }

    func next() async -> EventLog.Entry? {
        while true {
            if !refilled.isEmpty { return take(refilled.removeFirst()) }
            switch await iterator.next() {
            case .entry(let entry)?:
                // A refill may have read entries that were also buffered;
                // a cluster's view skips the other clusters' entries.
                if entry.sequence > delivered {
                    guard log.includes(entry) else {
                        delivered = entry.sequence
                        continue
                    }
                    return take(entry)
                }
            case .gap(let gap)?:
                refilled = await log.entries(from: max(gap.first, delivered + 1), through: gap.last)
            case nil:
                return nil
            }
        }
    }

    private func take(_ entry: EventLog.Entry) -> EventLog.Entry {
        delivered = entry.sequence
        return entry
    }
}
