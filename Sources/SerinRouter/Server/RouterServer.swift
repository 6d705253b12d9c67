import Foundation
import NIOCore
import NIOPosix

/// The data plane: one listener per workload, served on `options.threads`
/// event loops (one by default: on a small host a second loop competes with
/// the backends for the same cores). Tables are applied whole: new
/// listeners are bound first, then every loop switches to the new table
/// between two requests, then listeners no longer wanted are closed. A
/// request in flight finishes on the backend it started on.
///
/// A listener that cannot be bound (its port is in use) refuses its own
/// route only: every other route applies, and `run()` binds the refused
/// one again with backoff until it serves.
public actor RouterServer {
    public struct ApplyResult: Sendable, Equatable, Codable {
        public var version: Int
        /// False when the table was the one already in force.
        public var changed: Bool
        /// Routes of the table in force that have no listener yet, by
        /// workload: why (address and the system's reason).
        public var refused: [String: String]

        public init(version: Int, changed: Bool, refused: [String: String] = [:]) {
            self.version = version
            self.changed = changed
            self.refused = refused
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            version = try container.decode(Int.self, forKey: .version)
            changed = try container.decode(Bool.self, forKey: .changed)
            // A router started by an older serin (adopted across an upgrade) does not say.
            refused = try container.decodeIfPresent([String: String].self, forKey: .refused) ?? [:]
        }
    }

    /// A route of the table in force whose listener could not be bound.
    private struct Refusal {
        var route: CompiledRoute
        var reason: String
        var delay: Duration
        var nextAttempt: ContinuousClock.Instant
    }

    public struct ConflictError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let group: MultiThreadedEventLoopGroup
    private let options: RouterOptions
    private let contexts: [ObjectIdentifier: NIOLoopBound<LoopContext>]
    /// By workload.
    private var listeners: [String: Listener] = [:]
    /// By workload.
    private var refusals: [String: Refusal] = [:]
    /// Applying a table and binding refused listeners again take turns:
    /// both change `listeners` and `refusals` across suspension points.
    private var changing = false
    private var turns: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    private var table = RouteTable.empty
    /// Where the table in force is kept, so a restarted router serves at once.
    private let tableFile: URL?

    public init(options: RouterOptions = RouterOptions(), tableFile: URL? = nil) {
        self.options = options
        self.tableFile = tableFile
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        var contexts: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        let empty = try! CompiledTable(.empty)
        for loop in group.makeIterator() {
            // Made on its own loop: the context is used only there.
            contexts[ObjectIdentifier(loop)] = try! loop.submit {
                NIOLoopBound(LoopContext(eventLoop: loop, table: empty, options: options), eventLoop: loop)
            }.wait()
        }
        self.contexts = contexts
    }

    public var currentTable: RouteTable { table }

    /// Loads the table saved by a previous run, if any, and applies it.
    public func restoreSavedTable() async throws {
        guard let tableFile, let data = try? Data(contentsOf: tableFile) else { return }
        let saved = try JSONDecoder().decode(RouteTable.self, from: data)
        _ = try await apply(saved, force: true)
    }

    /// Applies a whole table. An older version than the one in force is
    /// refused; the same version is accepted only with the same content
    /// (a retry), and changes nothing.
    @discardableResult
    public func apply(_ newTable: RouteTable, force: Bool = false) async throws -> ApplyResult {
        await takeTurn()
        defer { endTurn() }
        if !force {
            if newTable.version < table.version {
                throw ConflictError(description: "version \(newTable.version) is older than the table in force (\(table.version))")
            }
            if newTable.version == table.version && (table.version > 0 || !table.routes.isEmpty) {
                guard newTable == table else {
                    throw ConflictError(description: "version \(newTable.version) is in force with a different content; send a new version")
                }
                return ApplyResult(version: table.version, changed: false, refused: refused)
            }
        }
        let compiled = try CompiledTable(newTable)
        // Bind what is new before the loops switch. A port in use refuses
        // that route alone; one already refused on the same address keeps
        // its backoff rather than being tried at every table.
        var kept: [String: Listener] = [:]
        var bound: [String: Listener] = [:]
        var stillRefused: [String: Refusal] = [:]
        for route in compiled.routes.values {
            if let listener = listeners[route.workload], listener.serves(route.listen) {
                kept[route.workload] = listener
            } else if var refusal = refusals[route.workload], refusal.route.listen == route.listen {
                refusal.route = route
                stillRefused[route.workload] = refusal
            } else {
                do {
                    bound[route.workload] = Listener(requested: route.listen, channel: try await bind(route))
                } catch {
                    stillRefused[route.workload] = Refusal(route: route, reason: Self.reason(error, route), delay: Self.firstRetry,
                                                           nextAttempt: .now + Self.firstRetry)
                }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for bound in contexts.values {
                tasks.addTask {
                    try await bound.eventLoop.submit { bound.value.install(compiled) }.get()
                }
            }
            try await tasks.waitForAll()
        }
        for (workload, listener) in listeners where kept[workload] == nil {
            try? await listener.channel.close()
        }
        listeners = kept.merging(bound) { old, _ in old }
        refusals = stillRefused
        table = newTable
        if let tableFile { try Self.save(newTable, to: tableFile) }
        return ApplyResult(version: table.version, changed: true, refused: refused)
    }

    /// Routes of the table in force without a listener, by workload, with why.
    public var refused: [String: String] { refusals.mapValues(\.reason) }

    static let firstRetry: Duration = .milliseconds(500)
    static let longestRetry: Duration = .seconds(30)

    /// Binds refused listeners again, each when its backoff has passed
    /// (doubling from half a second to 30 s), until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await retryRefused()
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// One pass of `run()`: each refused route whose time has come is bound again.
    func retryRefused(at now: ContinuousClock.Instant = .now) async {
        guard refusals.values.contains(where: { $0.nextAttempt <= now }) else { return }
        await takeTurn()
        defer { endTurn() }
        for (workload, refusal) in refusals where refusal.nextAttempt <= now {
            do {
                let channel = try await bind(refusal.route)
                guard !stopped else {
                    try? await channel.close()
                    return
                }
                listeners[workload] = Listener(requested: refusal.route.listen, channel: channel)
                refusals[workload] = nil
            } catch {
                guard var current = refusals[workload] else { continue }
                current.reason = Self.reason(error, refusal.route)
                current.delay = min(current.delay * 2, Self.longestRetry)
                current.nextAttempt = .now + current.delay
                refusals[workload] = current
            }
        }
    }

    private func takeTurn() async {
        if changing {
            await withCheckedContinuation { turns.append($0) }
        } else {
            changing = true
        }
    }

    private func endTurn() {
        if turns.isEmpty { changing = false } else { turns.removeFirst().resume() }
    }

    /// `127.0.0.1:8080: Address already in use`: the address and the system's word for it.
    private static func reason(_ error: any Error, _ route: CompiledRoute) -> String {
        let address = "\(route.listen.ipAddress ?? "?"):\(route.listen.port ?? 0)"
        guard let error = error as? IOError else { return "\(address): \(error)" }
        return "\(address): \(String(cString: strerror(error.errnoCode)))"
    }

    /// The address each workload's listener actually bound (port 0 resolved).
    public func boundAddresses() -> [String: Int] {
        listeners.compactMapValues { $0.channel.localAddress?.port }
    }

    /// Closes every listener and stops the loops; a second call does nothing
    /// (the loops are gone, and NIO refuses work scheduled on them).
    public func shutdown() async {
        guard !stopped else { return }
        stopped = true
        for listener in listeners.values { try? await listener.channel.close() }
        listeners.removeAll()
        refusals.removeAll()
        try? await group.shutdownGracefully()
    }

    // MARK: metrics

    public func metricsText() async -> String {
        var stats: [String: WorkloadStatsSnapshot] = [:]
        var mirrored: [String: UInt64] = [:]
        for bound in contexts.values {
            guard let (snapshot, mirrors) = try? await bound.eventLoop.submit({
                (bound.value.statsSnapshot, bound.value.mirroredCounts)
            }).get() else { continue }
            for (workload, value) in snapshot {
                if stats[workload] == nil { stats[workload] = value } else { stats[workload]!.add(value) }
            }
            mirrored.merge(mirrors, uniquingKeysWith: +)
        }
        return MetricsText.render(stats, table: table, mirrored: mirrored)
    }

    // MARK: private

    private struct Listener {
        /// As the table asked (port 0 means any).
        let requested: SocketAddress
        let channel: any Channel

        /// The same address as asked before, or the one actually bound.
        func serves(_ address: SocketAddress) -> Bool {
            address == requested || address == channel.localAddress
        }
    }

    private func bind(_ route: CompiledRoute) async throws -> any Channel {
        let contexts = self.contexts
        let workload = route.workload
        return try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loop = contexts[ObjectIdentifier(channel.eventLoop)]!.value
                    try channel.pipeline.syncOperations.addHandler(ProxyHandler(loop: loop, workload: workload))
                }
            }
            .bind(to: route.listen)
            .get()
    }

    static func save(_ table: RouteTable, to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(table)
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).tmp")
        try data.write(to: temporary)
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary.path, file.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }
}
