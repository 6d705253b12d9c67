import NIOCore

/// One client connection of a workload's listener: the NIO side of a
/// `ProxyConnectionStateMachine`. It feeds the machine what the client and
/// the backend send and carries out what the machine answers: it routes a
/// request head (a role and a backend, the head rewritten with only what a
/// proxy must change), holds the backend connection and the mirror, and
/// writes, flushes, reads and closes. Bodies go through as the ByteBuffers
/// they arrived in.
final class ProxyHandler: ChannelDuplexHandler, UpstreamOwner {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let loop: LoopContext
    private let workload: String
    private var context: ChannelHandlerContext!
    private var machine: ProxyConnectionStateMachine
    /// The client channel's writability, kept from channelWritabilityChanged
    /// (NIO sends it synchronously from the write that changes it) rather
    /// than asked of the channel after every write.
    private var clientWritable = true
    private var allocator = ByteBufferAllocator()
    private var clientAddress: [UInt8] = []
    /// X-Forwarded-For and -Proto as most requests get them, blank line included.
    private var forwardedTail: [UInt8] = []
    /// The buffer rewritten request heads are written into, kept from one
    /// exchange to the next (see `ProxyConnectionStateMachine.reusableBuffer`).
    private var requestOut: ByteBuffer?

    private var generation = -1
    private var route: CompiledRoute?
    private var workloadState: WorkloadState?

    private var backend: Backend?
    private var tried: [Backend] = []
    private var upstream: UpstreamHandler?
    private var mirror: MirrorSink?
    private var timer: Scheduled<Void>?

    /// Written but not flushed yet; flushed once per read burst or exchange.
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false

    init(loop: LoopContext, workload: String) {
        self.loop = loop
        self.workload = workload
        machine = ProxyConnectionStateMachine(allocator: ByteBufferAllocator(), maximumQueuedBytes: loop.options.maximumQueuedBytes)
    }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientWritable = context.channel.isWritable
        allocator = context.channel.allocator
        machine = ProxyConnectionStateMachine(allocator: allocator, maximumQueuedBytes: loop.options.maximumQueuedBytes)
        if let address = context.channel.remoteAddress?.ipAddress { clientAddress = Array(address.utf8) }
        forwardedTail = RequestRewriter.forwardedTail(clientAddress: clientAddress)
        armTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.clientRead(unwrapInboundIn(data), now: .now()))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUpstream()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        machine.clientClosed()
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        mirror?.clientGone()
        mirror = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        clientWritable = context.channel.isWritable
        if clientWritable { upstream?.resumeReads() } else { upstream?.pauseReads() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if machine.read() { context.read() }
    }

    // MARK: the client's requests

    private func perform(_ action: ProxyConnectionStateMachine.ClientAction) {
        switch action {
        case .none:
            break
        case .route(let head, var buffer):
            route(head, &buffer)
        case .body(let slice, let toUpstream):
            mirror?.send(slice)
            if toUpstream, let upstream {
                upstream.write(slice)
                upstreamNeedsFlush = true
            }
        case .respond(let code, let message):
            respondWithError(code, message)
        case .closeClient:
            closeClient()
        }
    }

    private func resolveRoute() {
        guard generation != loop.generation else { return }
        generation = loop.generation
        route = loop.table.routes[workload]
        workloadState = route.map { _ in loop.state(for: workload) }
    }

    /// Picks the role (and a mirror), rewrites the head for the backend and
    /// connects; then forwards the body bytes that came with the head.
    private func route(_ head: RequestHead, _ buffer: inout ByteBuffer) {
        tried.removeAll(keepingCapacity: true)
        backend = nil
        resolveRoute()
        guard let route, let workloadState else {
            respondWithError(503, "no route for workload \(workload)")
            return
        }
        var upstreamHead = ProxyConnectionStateMachine.reusableBuffer(&requestOut, allocator: allocator,
                                                                      capacity: head.length + 64 + clientAddress.count)
        var mirrorHead: ByteBuffer?
        var isHead = false
        let decision = buffer.withUnsafeReadableBytes { bytes -> RouteDecision in
            isHead = head.method.count == 4 && HeadScanner.equalsIgnoringCase(bytes, head.method, "head")
            let decision = RouteDecision.decide(head, bytes, route, workloadState)
            RequestRewriter.write(head, bytes, clientAddress: clientAddress, connectionClose: false, tail: forwardedTail,
                                  into: &upstreamHead)
            if decision.mirror {
                var copy = allocator.buffer(capacity: upstreamHead.readableBytes + 20)
                RequestRewriter.write(head, bytes, clientAddress: clientAddress, connectionClose: true, into: &copy)
                mirrorHead = copy
            }
            return decision
        }
        buffer.moveReaderIndex(forwardBy: head.length)
        ProxyConnectionStateMachine.keep(upstreamHead, in: &requestOut)
        machine.routed(head, role: decision.role, setCookie: decision.setCookie, isHead: isHead, upstreamHead: upstreamHead)
        if let mirrorHead, let target = loop.pick(route.canary, cursor: &workloadState.canaryCursor, excluding: []) {
            workloadState.mirrored += 1
            mirror = MirrorSink(loop: loop, backend: target, stats: workloadState.stats, head: mirrorHead)
        } else {
            mirror = nil
        }
        connectUpstream(deferFlush: true)
        perform(machine.requestBytes(after: &buffer))
    }

    // MARK: the backend

    /// `deferFlush`: the caller is handling a client read (or ends an
    /// exchange) and flushes once it is done.
    private func connectUpstream(deferFlush: Bool = false) {
        guard let route, let workloadState else { return }
        let role = machine.role
        let candidates = role == .primary ? route.primary : route.canary
        let picked: Backend?
        if role == .primary {
            picked = loop.pick(candidates, cursor: &workloadState.primaryCursor, excluding: tried)
        } else {
            picked = loop.pick(candidates, cursor: &workloadState.canaryCursor, excluding: tried)
        }
        guard let picked else {
            if candidates.isEmpty {
                respondWithError(503, "\(workload) has no ready \(role.rawValue) backend")
            } else {
                respondWithError(502, "no \(role.rawValue) backend of \(workload) accepts connections")
            }
            return
        }
        backend = picked
        tried.append(picked)
        if let idle = loop.takeIdle(picked) {
            attach(idle, reused: true, flushNow: !deferFlush)
            return
        }
        let exchange = machine.exchange
        loop.connect(picked).assumeIsolated().whenComplete { result in
            guard self.isCurrent(exchange), self.backend === picked, self.upstream == nil else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                    channel.close(promise: nil)
                    self.respondWithError(502, "backend connection failed")
                    return
                }
                self.attach(handler, reused: false, flushNow: true)
            case .failure:
                // Nothing was sent: another backend of the same role can take it.
                self.loop.markDown(picked)
                self.connectUpstream()
            }
        }
    }

    /// Resend on a new connection to the same backend (its pooled connection
    /// was stale), or another if it now refuses.
    private func connectUpstreamFresh() {
        guard let backend else { return connectUpstream() }
        let exchange = machine.exchange
        loop.connect(backend).assumeIsolated().whenComplete { result in
            guard self.isCurrent(exchange), self.upstream == nil else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            if case .success(let channel) = result,
               let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) {
                self.attach(handler, reused: false, flushNow: true)
            } else {
                self.loop.markDown(backend)
                self.connectUpstream()
            }
        }
    }

    private func isCurrent(_ exchange: UInt64) -> Bool {
        machine.exchange == exchange && machine.phase == .exchanging
    }

    private func attach(_ handler: UpstreamHandler, reused: Bool, flushNow: Bool) {
        upstream = handler
        handler.owner = self
        if !reused {
            // A pooled connection already points at its backend's pool.
            handler.pool = loop.pool(backend!)
            if clientWritable { handler.resumeReads() } else { handler.pauseReads() }
        }
        if let queued = machine.attached(reused: reused) {
            handler.write(queued)
            upstreamNeedsFlush = true
        }
        if flushNow { flushUpstream() }
        // An idle pooled connection has nothing pending: it is writable.
        if reused { return }
        upstreamWritable(handler.isWritable)
    }

    private func dropUpstream() {
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        machine.detached()
    }

    private func upstreamWritable(_ writable: Bool) {
        if writable {
            if machine.resume(.upstreamBusy) { context.read() }
        } else {
            machine.pause(.upstreamBusy)
        }
    }

    func upstreamWritabilityChanged(_ upstream: UpstreamHandler) {
        guard upstream === self.upstream else { return }
        upstreamWritable(upstream.isWritable)
    }

    func upstreamClosed(_ upstream: UpstreamHandler) {
        guard upstream === self.upstream else { return }
        self.upstream = nil
        switch machine.upstreamClosed(attempts: tried.count) {
        case .finishResponse:
            finishResponse(upstreamReusable: false)
        case .resend:
            connectUpstreamFresh()
        case .respond(let code, let message):
            respondWithError(code, message)
        case .closeClient:
            closeClient()
        }
    }

    func upstreamRead(_ buffer: ByteBuffer) {
        machine.upstreamRead(buffer)
        while let output = machine.nextResponseOutput() {
            switch output {
            case .write(let bytes):
                writeToClient(bytes)
            case .finished(let reusable):
                finishResponse(upstreamReusable: reusable)
                return
            case .invalid(let reason):
                dropUpstream()
                if machine.wroteResponse { closeClient() } else { respondWithError(502, reason) }
                return
            case .corrupt:
                dropUpstream()
                closeClient()
                return
            }
        }
    }

    func upstreamReadComplete() {
        flushClient()
    }

    // MARK: writing, ending, closing

    private func flushUpstream() {
        if upstreamNeedsFlush {
            upstreamNeedsFlush = false
            upstream?.flush()
        }
        mirror?.flush()
    }

    private func flushClient() {
        if clientNeedsFlush {
            clientNeedsFlush = false
            context.flush()
        }
    }

    private func writeToClient(_ buffer: ByteBuffer) {
        clientNeedsFlush = true
        context.write(wrapOutboundOut(buffer), promise: nil)
        if !clientWritable { upstream?.pauseReads() }
    }

    private func finishResponse(upstreamReusable: Bool) {
        let now = NIODeadline.now()
        workloadState?.stats.record(machine.role, status: machine.status, seconds: Double((now - machine.started).nanoseconds) / 1e9)
        if let upstream {
            self.upstream = nil
            upstream.owner = nil
            if upstreamReusable && machine.upstreamKeepable {
                loop.release(upstream)
            } else {
                upstream.close()
            }
        }
        mirror = nil
        guard machine.exchangeEnded(now: now) else {
            closeClient()
            return
        }
        // The upstream is detached now: its read-complete no longer reaches us.
        flushClient()
        if machine.resume(.pipelined) { context.read() }
        if machine.resume(.upstreamBusy) { context.read() }
        perform(machine.nextRequest())
        flushUpstream()
    }

    private func closeClient() {
        guard machine.close() || context.channel.isActive else { return }
        let context = self.context!
        context.writeAndFlush(wrapOutboundOut(allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// An answer of the router's own, when the backend gave none.
    private func respondWithError(_ code: Int, _ message: String) {
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        if let answer = machine.errorResponse(code: code, message: message) { writeToClient(answer) }
        if machine.phase == .exchanging, route != nil {
            workloadState?.stats.record(machine.role, status: code, seconds: Double((NIODeadline.now() - machine.started).nanoseconds) / 1e9)
        }
        closeClient()
    }

    // MARK: timeouts

    /// One timer per connection, re-armed when it fires, checks the idle and
    /// response deadlines; cheaper than a timer per request.
    private func armTimer() {
        let options = loop.options
        let period = TimeAmount.nanoseconds(max(min(options.idleTimeout, options.responseTimeout).nanoseconds / 4, 50_000_000))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: period) { [self] in
            guard machine.phase != .closing else { return }
            switch machine.timerFired(now: .now(), idleTimeout: options.idleTimeout, responseTimeout: options.responseTimeout) {
            case .closeIdle:
                closeClient()
            case .responseTimedOut:
                respondWithError(504, "the backend did not answer within \(options.responseTimeout.nanoseconds / 1_000_000_000) s")
            case .rearm:
                armTimer()
            }
        }
    }
}
