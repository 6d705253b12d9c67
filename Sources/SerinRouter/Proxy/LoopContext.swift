import NIOCore
import NIOPosix

/// Everything the proxy keeps per event loop: the table in force there,
/// per-workload counters and statistics, idle upstream connections, and
/// backends recently found refusing connections. Touched only on its own
/// loop, so the hot path takes no locks.
final class LoopContext {
    let eventLoop: any EventLoop
    let options: RouterOptions
    private(set) var table: CompiledTable
    /// Bumped with every table; handlers re-resolve their route when it moves.
    private(set) var generation = 0
    private var workloads: [String: WorkloadState] = [:]
    /// Per backend address: idle connections and when it may be tried again.
    private var poolsByKey: [String: BackendPool] = [:]
    /// The same pools by the current table's Backend objects: the hot path
    /// finds a pool without hashing a string.
    private var pools: [ObjectIdentifier: BackendPool] = [:]
    /// Pools whose `downUntil` is set: while none is, `pick` need not look
    /// its backends' pools up. (A pool that leaves the table while marked
    /// keeps it positive: that only costs the look-ups again.)
    private var downCount = 0
    private lazy var bootstrap = ClientBootstrap(group: eventLoop)
        .connectTimeout(options.connectTimeout)
        .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(UpstreamHandler(channel: channel))
            }
        }

    init(eventLoop: any EventLoop, table: CompiledTable, options: RouterOptions) {
        self.eventLoop = eventLoop
        self.table = table
        self.options = options
    }

    func install(_ table: CompiledTable) {
        self.table = table
        generation += 1
        var byKey: [String: BackendPool] = [:]
        var byBackend: [ObjectIdentifier: BackendPool] = [:]
        for route in table.routes.values {
            state(for: route.workload).stats.serve(primary: route.primaryRevision, canary: route.canaryRevision)
            for backend in route.primary + route.canary {
                let pool = byKey[backend.key] ?? poolsByKey[backend.key] ?? BackendPool(key: backend.key)
                byKey[backend.key] = pool
                byBackend[ObjectIdentifier(backend)] = pool
            }
        }
        // Idle connections to backends no longer in the table are closed now;
        // busy ones finish their request first and are closed on release.
        for (key, pool) in poolsByKey where byKey[key] == nil {
            pool.retired = true
            let idle = pool.idle
            pool.idle.removeAll()
            for handler in idle { handler.channel.close(promise: nil) }
        }
        poolsByKey = byKey
        pools = byBackend
    }

    func state(for workload: String) -> WorkloadState {
        if let state = workloads[workload] { return state }
        let state = WorkloadState()
        workloads[workload] = state
        return state
    }

    var statsSnapshot: [String: WorkloadStatsSnapshot] {
        workloads.mapValues { $0.stats.snapshot }
    }

    var mirroredCounts: [String: UInt64] {
        workloads.compactMapValues { $0.mirrored == 0 ? nil : $0.mirrored }
    }

    // MARK: backends

    func pool(_ backend: Backend) -> BackendPool? {
        pools[ObjectIdentifier(backend)]
    }

    func markDown(_ backend: Backend) {
        guard let pool = pool(backend) else { return }
        if pool.downUntil == nil { downCount += 1 }
        pool.downUntil = .now() + options.downTime
    }

    /// The next backend of a role by round robin, skipping those marked down
    /// and those already tried for this request.
    func pick(_ backends: [Backend], cursor: inout Int, excluding tried: [Backend]) -> Backend? {
        guard !backends.isEmpty else { return nil }
        var now: NIODeadline?
        for _ in 0..<backends.count {
            cursor = cursor &+ 1
            let backend = backends[Int(UInt(bitPattern: cursor) % UInt(backends.count))]
            if !tried.isEmpty, tried.contains(where: { $0 === backend }) { continue }
            if downCount > 0, let pool = pool(backend), let until = pool.downUntil {
                let current = now ?? .now()
                now = current
                if until > current { continue }
                pool.downUntil = nil
                downCount -= 1
            }
            return backend
        }
        return nil
    }

    // MARK: upstream connections

    func takeIdle(_ backend: Backend) -> UpstreamHandler? {
        guard let pool = pool(backend) else { return nil }
        while let handler = pool.idle.popLast() {
            if handler.channel.isActive { return handler }
        }
        return nil
    }

    func release(_ handler: UpstreamHandler) {
        guard let pool = handler.pool, !pool.retired, pool.idle.count < options.maximumIdlePerBackend,
              handler.channel.isActive else {
            handler.channel.close(promise: nil)
            return
        }
        // Idle, it must read again: a close or stray bytes from the backend
        // are how a dead pooled connection shows itself.
        handler.resumeReads()
        pool.idle.append(handler)
    }

    func connect(_ backend: Backend) -> EventLoopFuture<any Channel> {
        bootstrap.connect(to: backend.address)
    }
}

/// One backend's idle connections on one loop, and whether it is resting
/// after refusing a connection.
final class BackendPool {
    let key: String
    var idle: [UpstreamHandler] = []
    var downUntil: NIODeadline?
    /// The backend left the table: connections coming back are closed.
    var retired = false

    init(key: String) {
        self.key = key
    }

    func forget(_ handler: UpstreamHandler) {
        if let index = idle.firstIndex(where: { $0 === handler }) { idle.remove(at: index) }
    }
}

/// Per loop, per workload: the weighted split's accumulators and the
/// round-robin cursors. An accumulator rather than a random draw, so 10%
/// is exactly one request in ten, not ten on average.
final class WorkloadState {
    var canaryCredit = 0
    var mirrorCredit = 0
    var primaryCursor = 0
    var canaryCursor = 0
    var mirrored: UInt64 = 0
    let stats = WorkloadStats()

    /// Whether the next weighted request goes to the canary.
    func takeCanaryTurn(weight: Int) -> Bool {
        canaryCredit += weight
        if canaryCredit >= 100 {
            canaryCredit -= 100
            return true
        }
        return false
    }

    func takeMirrorTurn(weight: Int) -> Bool {
        mirrorCredit += weight
        if mirrorCredit >= 100 {
            mirrorCredit -= 100
            return true
        }
        return false
    }
}

public struct RouterOptions: Sendable {
    public var connectTimeout: TimeAmount = .seconds(3)
    /// From the request's end to the response's head.
    public var responseTimeout: TimeAmount = .seconds(60)
    /// An idle keep-alive client connection is closed after this.
    public var idleTimeout: TimeAmount = .seconds(75)
    /// A backend refusing connections is skipped for this long.
    public var downTime: TimeAmount = .seconds(5)
    public var maximumIdlePerBackend = 256
    /// Client bytes buffered while a backend connection is being made.
    public var maximumQueuedBytes = 256 * 1024
    public var threads = 1

    public init() {}
}
