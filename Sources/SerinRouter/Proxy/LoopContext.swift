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
    private var idle: [String: [UpstreamHandler]] = [:]
    private var downUntil: [String: NIODeadline] = [:]
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
        // Idle connections to backends no longer in the table are closed now;
        // busy ones finish their request first and are closed on release.
        for (key, handlers) in idle where !table.backends.contains(key) {
            idle[key] = nil
            for handler in handlers { handler.channel.close(promise: nil) }
        }
        downUntil = downUntil.filter { table.backends.contains($0.key) }
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

    func isDown(_ backend: Backend, now: NIODeadline) -> Bool {
        guard let until = downUntil[backend.key] else { return false }
        if until <= now {
            downUntil[backend.key] = nil
            return false
        }
        return true
    }

    func markDown(_ backend: Backend) {
        downUntil[backend.key] = .now() + options.downTime
    }

    /// The next backend of a role by round robin, skipping those marked down
    /// and those already tried for this request.
    func pick(_ backends: [Backend], cursor: inout Int, excluding tried: [Backend]) -> Backend? {
        guard !backends.isEmpty else { return nil }
        let now = NIODeadline.now()
        for _ in 0..<backends.count {
            cursor = cursor &+ 1
            let backend = backends[Int(UInt(bitPattern: cursor) % UInt(backends.count))]
            if tried.contains(where: { $0 === backend }) { continue }
            if isDown(backend, now: now) { continue }
            return backend
        }
        return nil
    }

    // MARK: upstream connections

    func takeIdle(_ backend: Backend) -> UpstreamHandler? {
        guard var handlers = idle[backend.key] else { return nil }
        defer { idle[backend.key] = handlers }
        while let handler = handlers.popLast() {
            if handler.channel.isActive { return handler }
        }
        return nil
    }

    func release(_ handler: UpstreamHandler) {
        guard handler.channel.isActive, table.backends.contains(handler.backendKey),
              idle[handler.backendKey, default: []].count < options.maximumIdlePerBackend else {
            handler.channel.close(promise: nil)
            return
        }
        idle[handler.backendKey, default: []].append(handler)
    }

    func forget(_ handler: UpstreamHandler) {
        guard var handlers = idle[handler.backendKey], let index = handlers.firstIndex(where: { $0 === handler }) else { return }
        handlers.remove(at: index)
        idle[handler.backendKey] = handlers
    }

    func connect(_ backend: Backend) -> EventLoopFuture<any Channel> {
        bootstrap.connect(to: backend.address)
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
