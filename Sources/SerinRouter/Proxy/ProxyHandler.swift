import NIOCore

/// One client connection of a workload's listener. It reads request heads
/// with `HeadScanner`, picks a role and a backend, rewrites only what a proxy
/// must (hop-by-hop fields, X-Forwarded-*), and forwards bodies as the
/// ByteBuffers they arrived in. One exchange at a time: a pipelined request
/// waits, unread, until the response before it is complete.
final class ProxyHandler: ChannelDuplexHandler, UpstreamOwner {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let loop: LoopContext
    private let workload: String
    private var context: ChannelHandlerContext!
    /// The client channel's writability, kept from channelWritabilityChanged
    /// (NIO sends it synchronously from the write that changes it) rather
    /// than asked of the channel after every write.
    private var clientWritable = true
    private var allocator = ByteBufferAllocator()
    private var clientAddress: [UInt8] = []
    /// X-Forwarded-For and -Proto as most requests get them, blank line included.
    private var forwardedTail: [UInt8] = []

    /// Kept from one exchange to the next so that the steady state allocates
    /// nothing for them: the scanners' field lists, and the buffers the
    /// rewritten heads are written into. Once NIO has written a head to the
    /// socket (normally at the flush that follows), the buffer is referenced
    /// only here again and `clear()` reuses its storage; while a write is
    /// still pending, `clear()` gives it new storage instead.
    private var requestFields: [RequestHead.Field] = []
    private var responseHopByHop: [Range<Int>] = []
    private var requestOut: ByteBuffer?
    private var responseOut: ByteBuffer?

    private var generation = -1
    private var route: CompiledRoute?
    private var workloadState: WorkloadState?

    /// Client bytes not handled yet: a partial head, or a pipelined request.
    private var buffered: ByteBuffer?
    private var pauses = ReadPauses()
    private var readPending = false

    private enum Phase { case awaitingHead, exchanging, closing }
    private var phase = Phase.awaitingHead
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?

    // The exchange in progress.
    private var exchange: UInt64 = 0
    private var requestBody = BodyProgress.done
    private var requestKeepAlive = true
    private var requestIsHead = false
    private var requestMinor = 1
    private var requestEnded = NIODeadline.uptimeNanoseconds(0)
    /// The request's bytes while nothing was answered and it has no body,
    /// so a stale pooled connection can be replaced and the request resent.
    private var replay: ByteBuffer?
    private var role = Role.primary
    private var backend: Backend?
    private var tried: [Backend] = []
    private var upstream: UpstreamHandler?
    private var upstreamReused = false
    private var queued: ByteBuffer?
    private var started = NIODeadline.uptimeNanoseconds(0)
    private var setCookie: String?
    private var mirror: MirrorSink?

    /// Written but not flushed yet; flushed once per read burst or exchange.
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false

    private var responseHead: ByteBuffer?
    private var responseBody = BodyProgress.awaitingHead
    private var status = 0
    private var responseKeepAlive = false
    private var wroteResponse = false

    init(loop: LoopContext, workload: String) {
        self.loop = loop
        self.workload = workload
    }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientWritable = context.channel.isWritable
        allocator = context.channel.allocator
        if let address = context.channel.remoteAddress?.ipAddress { clientAddress = Array(address.utf8) }
        forwardedTail = RequestRewriter.forwardedTail(clientAddress: clientAddress)
        armTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lastActivity = .now()
        switch phase {
        case .awaitingHead:
            append(bytes)
            processBuffered()
        case .exchanging:
            if requestBody.isInProgress {
                forwardBody(from: &bytes)
                if bytes.readableBytes > 0 {
                    append(bytes)
                    pause(.pipelined)
                }
            } else {
                append(bytes)
                pause(.pipelined)
            }
        case .closing:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUpstream()
    }

    private func flushUpstream() {
        if upstreamNeedsFlush {
            upstreamNeedsFlush = false
            upstream?.flush()
        }
        mirror?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        phase = .closing
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        mirror?.clientGone()
        mirror = nil
        buffered = nil
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
        if pauses.isEmpty {
            context.read()
        } else {
            readPending = true
        }
    }

    // MARK: reading requests

    private func append(_ bytes: ByteBuffer) {
        if buffered == nil || buffered!.readableBytes == 0 {
            buffered = bytes
        } else {
            var bytes = bytes
            buffered!.writeBuffer(&bytes)
        }
    }

    private func processBuffered() {
        guard phase == .awaitingHead, var buffer = buffered, buffer.readableBytes > 0 else { return }
        let result = buffer.withUnsafeReadableBytes { HeadScanner().scan($0, reusing: &requestFields) }
        switch result {
        case .needMore:
            return
        case .invalid(let reason):
            buffered = nil
            respondWithError(400, "bad request: \(reason)")
        case .complete(let head):
            buffered = nil
            startExchange(head, &buffer)
        }
    }

    private func resolveRoute() {
        guard generation != loop.generation else { return }
        generation = loop.generation
        route = loop.table.routes[workload]
        workloadState = route.map { _ in loop.state(for: workload) }
    }

    private func startExchange(_ head: RequestHead, _ buffer: inout ByteBuffer) {
        exchange &+= 1
        phase = .exchanging
        started = lastActivity
        requestMinor = head.minorVersion
        requestKeepAlive = head.keepAlive
        tried.removeAll(keepingCapacity: true)
        responseBody = .awaitingHead
        responseHead = nil
        status = 0
        wroteResponse = false
        setCookie = nil
        backend = nil
        resolveRoute()
        guard let route, let workloadState else {
            requestKeepAlive = false
            respondWithError(503, "no route for workload \(workload)")
            return
        }
        var upstreamHead = reusableBuffer(&requestOut, capacity: head.length + 64 + clientAddress.count)
        var mirrorHead: ByteBuffer?
        let decision = buffer.withUnsafeReadableBytes { bytes -> RouteDecision in
            requestIsHead = head.method.count == 4 && HeadScanner.equalsIgnoringCase(bytes, head.method, "head")
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
        keep(upstreamHead, in: &requestOut)
        role = decision.role
        setCookie = decision.setCookie
        switch head.body {
        case .none: requestBody = .done
        case .length(let length): requestBody = .length(length)
        case .chunked: requestBody = .chunked(ChunkedBodyTracker())
        }
        replay = requestBody.isInProgress ? nil : upstreamHead
        if let mirrorHead, let target = loop.pick(route.canary, cursor: &workloadState.canaryCursor, excluding: []) {
            workloadState.mirrored += 1
            mirror = MirrorSink(loop: loop, backend: target, stats: workloadState.stats, head: mirrorHead)
        } else {
            mirror = nil
        }
        queued = upstreamHead
        connectUpstream(deferFlush: true)
        if requestBody.isInProgress { forwardBody(from: &buffer) }
        if requestBody.isInProgress == false { requestEnded = started }
        if buffer.readableBytes > 0 {
            buffered = buffer
            pause(.pipelined)
        }
    }

    /// Sends the body bytes at the front of `buffer` on, leaving whatever
    /// follows the body (a pipelined request) in it.
    private func forwardBody(from buffer: inout ByteBuffer) {
        var slice: ByteBuffer?
        switch requestBody {
        case .length(let remaining):
            let take = min(remaining, buffer.readableBytes)
            slice = buffer.readSlice(length: take)
            requestBody = remaining - take == 0 ? .done : .length(remaining - take)
        case .chunked(var tracker):
            let progress = buffer.withUnsafeReadableBytes { tracker.consume($0) }
            switch progress {
            case .consumed:
                slice = buffer.readSlice(length: buffer.readableBytes)
                requestBody = .chunked(tracker)
            case .finished(let end):
                slice = buffer.readSlice(length: end)
                requestBody = .done
            case .invalid(let reason):
                buffer.clear()
                failRequestBody(reason)
                return
            }
        default:
            return
        }
        if !requestBody.isInProgress { requestEnded = .now() }
        guard let slice, slice.readableBytes > 0 else { return }
        mirror?.send(slice)
        if let upstream {
            upstream.write(slice)
            upstreamNeedsFlush = true
        } else {
            if queued == nil { queued = slice } else { var slice = slice; queued!.writeBuffer(&slice) }
            if queued!.readableBytes > loop.options.maximumQueuedBytes { pause(.upstreamBusy) }
        }
    }

    private func failRequestBody(_ reason: String) {
        requestKeepAlive = false
        if wroteResponse {
            closeClient()
        } else {
            dropUpstream()
            respondWithError(400, "bad request: \(reason)")
        }
    }

    // MARK: upstream

    /// `deferFlush`: the caller is handling a client read (or ends an
    /// exchange) and flushes once it is done.
    private func connectUpstream(deferFlush: Bool = false) {
        guard let route, let workloadState else { return }
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
        let exchange = self.exchange
        loop.connect(picked).assumeIsolated().whenComplete { result in
            guard self.exchange == exchange, self.phase == .exchanging, self.backend === picked, self.upstream == nil else {
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

    private func attach(_ handler: UpstreamHandler, reused: Bool, flushNow: Bool) {
        upstream = handler
        upstreamReused = reused
        handler.owner = self
        if !reused {
            // A pooled connection already points at its backend's pool.
            handler.pool = loop.pool(backend!)
            if clientWritable { handler.resumeReads() } else { handler.pauseReads() }
        }
        if let queued {
            self.queued = nil
            handler.write(queued)
            upstreamNeedsFlush = true
        }
        if flushNow { flushUpstream() }
        // An idle pooled connection has nothing pending: it is writable.
        if reused { return }
        if handler.isWritable { resume(.upstreamBusy) } else { pause(.upstreamBusy) }
    }

    private func dropUpstream() {
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        queued = nil
    }

    func upstreamWritabilityChanged(_ upstream: UpstreamHandler) {
        guard upstream === self.upstream else { return }
        if upstream.isWritable { resume(.upstreamBusy) } else { pause(.upstreamBusy) }
    }

    func upstreamClosed(_ upstream: UpstreamHandler) {
        guard upstream === self.upstream else { return }
        self.upstream = nil
        switch responseBody {
        case .untilClose:
            finishResponse(upstreamReusable: false)
        case .awaitingHead where responseHead == nil:
            // Closed before answering anything. A pooled connection the backend
            // had already given up on is the usual cause; the request is resent
            // when it can be (no body, not sent twice already).
            if upstreamReused, let replay, tried.count < 3 {
                queued = replay
                upstreamReused = false
                connectUpstreamFresh()
            } else {
                requestKeepAlive = false
                respondWithError(502, "the backend closed the connection without answering")
            }
        default:
            requestKeepAlive = false
            if wroteResponse { closeClient() } else { respondWithError(502, "the backend closed the connection mid-response") }
        }
    }

    /// Resend on a new connection to the same backend (its pooled connection
    /// was stale), or another if it now refuses.
    private func connectUpstreamFresh() {
        guard let backend else { return connectUpstream() }
        let exchange = self.exchange
        loop.connect(backend).assumeIsolated().whenComplete { result in
            guard self.exchange == exchange, self.phase == .exchanging, self.upstream == nil else {
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

    func upstreamRead(_ buffer: ByteBuffer) {
        replay = nil
        var buffer = buffer
        if case .awaitingHead = responseBody {
            if responseHead == nil || responseHead!.readableBytes == 0 {
                responseHead = buffer
            } else {
                responseHead!.writeBuffer(&buffer)
            }
            guard var head = responseHead else { return }
            while case .awaitingHead = responseBody {
                let result = head.withUnsafeReadableBytes {
                    ResponseHeadScanner().scan($0, requestMethodIsHead: requestIsHead, reusing: &responseHopByHop)
                }
                switch result {
                case .needMore:
                    responseHead = head
                    return
                case .invalid(let reason):
                    responseHead = nil
                    requestKeepAlive = false
                    dropUpstream()
                    if wroteResponse { closeClient() } else { respondWithError(502, "bad response from backend: \(reason)") }
                    return
                case .complete(let parsed):
                    writeResponseHead(parsed, &head)
                }
            }
            responseHead = nil
            buffer = head
        }
        forwardResponseBody(&buffer)
    }

    private func writeResponseHead(_ head: ResponseHead, _ buffer: inout ByteBuffer) {
        if head.status < 200 && head.status != 101 {
            // 100 Continue and friends go through as they are; the real head follows.
            if let informational = buffer.readSlice(length: head.length) { writeToClient(informational) }
            return
        }
        status = head.status
        responseKeepAlive = head.keepAlive && requestMinor == 1
        let closeAfter = !requestKeepAlive || requestMinor == 0 || head.body == .untilClose
        if closeAfter { requestKeepAlive = false }
        switch head.body {
        case .none: responseBody = .done
        case .length(let length): responseBody = .length(length)
        case .chunked: responseBody = .chunked(ChunkedBodyTracker())
        case .untilClose: responseBody = .untilClose
        }
        if head.hopByHop.isEmpty && setCookie == nil && !closeAfter && head.minorVersion == 1 {
            writeToClient(buffer.readSlice(length: head.length)!)
        } else {
            var out = reusableBuffer(&responseOut, capacity: head.length + 96 + min(buffer.readableBytes, 8192))
            buffer.withUnsafeReadableBytes { bytes in
                ResponseRewriter.write(head, bytes, setCookie: setCookie, connectionClose: closeAfter, into: &out)
            }
            buffer.moveReaderIndex(forwardBy: head.length)
            // A small body that came with its head leaves in the same write.
            if case .length(let length) = responseBody, length <= 8192, buffer.readableBytes >= length {
                var body = buffer.readSlice(length: length)!
                out.writeBuffer(&body)
                responseBody = .done
            }
            keep(out, in: &responseOut)
            writeToClient(out)
        }
    }

    private func forwardResponseBody(_ buffer: inout ByteBuffer) {
        switch responseBody {
        case .done:
            finishResponse(upstreamReusable: buffer.readableBytes == 0)
        case .length(let remaining):
            let take = min(remaining, buffer.readableBytes)
            if take > 0 { writeToClient(buffer.readSlice(length: take)!) }
            if remaining == take {
                responseBody = .done
                finishResponse(upstreamReusable: buffer.readableBytes == 0)
            } else {
                responseBody = .length(remaining - take)
            }
        case .chunked(var tracker):
            guard buffer.readableBytes > 0 else { return }
            switch buffer.withUnsafeReadableBytes({ tracker.consume($0) }) {
            case .consumed:
                writeToClient(buffer.readSlice(length: buffer.readableBytes)!)
                responseBody = .chunked(tracker)
            case .finished(let end):
                writeToClient(buffer.readSlice(length: end)!)
                responseBody = .done
                finishResponse(upstreamReusable: buffer.readableBytes == 0)
            case .invalid:
                requestKeepAlive = false
                dropUpstream()
                closeClient()
            }
        case .untilClose:
            if buffer.readableBytes > 0 { writeToClient(buffer) }
        case .awaitingHead:
            break
        }
    }

    func upstreamReadComplete() {
        flushClient()
    }

    /// The buffer kept in `slot`, emptied, or a new one.
    private func reusableBuffer(_ slot: inout ByteBuffer?, capacity: Int) -> ByteBuffer {
        guard var buffer = slot.take() else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Keeps a head's buffer for the next exchange, unless it grew large
    /// (an unusual head): idle connections should not hold much memory.
    private func keep(_ buffer: ByteBuffer, in slot: inout ByteBuffer?) {
        slot = buffer.capacity <= 16 * 1024 ? buffer : nil
    }

    private func flushClient() {
        if clientNeedsFlush {
            clientNeedsFlush = false
            context.flush()
        }
    }

    private func writeToClient(_ buffer: ByteBuffer) {
        wroteResponse = true
        clientNeedsFlush = true
        context.write(wrapOutboundOut(buffer), promise: nil)
        if !clientWritable { upstream?.pauseReads() }
    }

    private func finishResponse(upstreamReusable: Bool) {
        let now = NIODeadline.now()
        lastActivity = now
        workloadState?.stats.record(role, status: status, seconds: Double((now - started).nanoseconds) / 1e9)
        let requestComplete = !requestBody.isInProgress
        if let upstream {
            self.upstream = nil
            upstream.owner = nil
            if upstreamReusable && responseKeepAlive && requestComplete {
                loop.release(upstream)
            } else {
                upstream.close()
            }
        }
        if !requestComplete { requestKeepAlive = false }
        endExchange()
    }

    private func endExchange() {
        replay = nil
        queued = nil
        mirror = nil
        guard requestKeepAlive else {
            closeClient()
            return
        }
        // The upstream is detached now: its read-complete no longer reaches us.
        flushClient()
        phase = .awaitingHead
        resume(.pipelined)
        resume(.upstreamBusy)
        processBuffered()
        flushUpstream()
    }

    private func closeClient() {
        guard phase != .closing || context.channel.isActive else { return }
        phase = .closing
        buffered = nil
        let context = self.context!
        context.writeAndFlush(wrapOutboundOut(allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// An answer of the router's own, when the backend gave none.
    private func respondWithError(_ code: Int, _ message: String) {
        dropUpstream()
        status = code
        requestKeepAlive = false
        if !wroteResponse {
            let reason = code == 400 ? "Bad Request" : code == 502 ? "Bad Gateway" : code == 503 ? "Service Unavailable" : "Gateway Timeout"
            let body = message + "\n"
            var out = allocator.buffer(capacity: 160 + body.utf8.count)
            out.writeString("HTTP/1.1 \(code) \(reason)\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)")
            writeToClient(out)
        }
        if phase == .exchanging, route != nil {
            workloadState?.stats.record(role, status: code, seconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9)
        }
        closeClient()
    }

    // MARK: read pausing

    private func pause(_ reason: ReadPauses.Reason) {
        pauses.insert(reason)
    }

    private func resume(_ reason: ReadPauses.Reason) {
        pauses.remove(reason)
        if pauses.isEmpty && readPending {
            readPending = false
            context.read()
        }
    }

    // MARK: timeouts

    /// One timer per connection, re-armed when it fires, checks the idle and
    /// response deadlines; cheaper than a timer per request.
    private func armTimer() {
        let options = loop.options
        let period = TimeAmount.nanoseconds(max(min(options.idleTimeout, options.responseTimeout).nanoseconds / 4, 50_000_000))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: period) { [self] in
            guard phase != .closing else { return }
            let now = NIODeadline.now()
            switch phase {
            case .awaitingHead where now - lastActivity > options.idleTimeout:
                closeClient()
                return
            case .exchanging where !wroteResponse && !requestBody.isInProgress && now - requestEnded > options.responseTimeout:
                respondWithError(504, "the backend did not answer within \(options.responseTimeout.nanoseconds / 1_000_000_000) s")
                return
            default:
                break
            }
            armTimer()
        }
    }
}

/// Why a client connection is not being read.
struct ReadPauses {
    enum Reason: UInt8 {
        /// A request is buffered behind the one in progress.
        case pipelined = 1
        /// The backend (or the connection to it) cannot take more yet.
        case upstreamBusy = 2
    }

    private var bits: UInt8 = 0
    var isEmpty: Bool { bits == 0 }
    mutating func insert(_ reason: Reason) { bits |= reason.rawValue }
    mutating func remove(_ reason: Reason) { bits &= ~reason.rawValue }
}

/// Where a message's body stands.
enum BodyProgress {
    case awaitingHead
    case length(Int)
    case chunked(ChunkedBodyTracker)
    case untilClose
    case done

    var isInProgress: Bool {
        switch self {
        case .length, .chunked: return true
        default: return false
        }
    }
}
