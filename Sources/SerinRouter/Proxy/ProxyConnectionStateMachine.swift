import NIOCore

/// One client connection of a workload's listener as a value: what has been
/// read of the request in progress, what the backend has answered so far,
/// what is owed to the client, and whether each side can be kept for the
/// next exchange. It does no I/O: each method takes an event (bytes from
/// the client or the backend, a backend attached or gone, the timer) and
/// returns what to do, which `ProxyHandler` carries out, as AsyncHTTPClient's
/// `HTTP1ConnectionStateMachine` is driven by its channel handler. Tests
/// drive it with bytes alone.
///
/// One exchange at a time: a pipelined request waits, unread, until the
/// response before it is complete.
struct ProxyConnectionStateMachine {
    enum Phase: Equatable { case awaitingHead, exchanging, closing }

    /// What to do with bytes the client sent.
    enum ClientAction {
        case none
        /// A whole request head: route it, then `routed(...)` and `requestBytes(after:)`.
        case route(RequestHead, ByteBuffer)
        /// Request body bytes for the backend (and the mirror); `toUpstream`
        /// false when they were queued until a backend connection is attached.
        case body(ByteBuffer, toUpstream: Bool)
        /// Answer with the router's own error and close.
        case respond(code: Int, message: String)
        /// A response is under way: nothing can be said, only closed.
        case closeClient
    }

    /// What to do when the backend connection closed.
    enum UpstreamClosedAction: Equatable {
        /// The response ran until the close: it is complete.
        case finishResponse
        /// Nothing was answered on a pooled connection: resend `replay` on a new one.
        case resend
        case respond(code: Int, message: String)
        case closeClient
    }

    /// One step of forwarding what the backend sent.
    enum ResponseOutput {
        case write(ByteBuffer)
        /// The response is complete; the backend connection is reusable when
        /// nothing followed it and both sides keep connections alive.
        case finished(upstreamReusable: Bool)
        /// Answer 502 (or close, if a response is under way) and drop the backend.
        case invalid(String)
        /// A malformed chunked body mid-response: drop both connections.
        case corrupt
    }

    /// What the connection's timer found.
    enum TimerAction: Equatable {
        case rearm
        case closeIdle
        case responseTimedOut
    }

    /// Where the request's backend connection stands.
    private enum Upstream: Equatable {
        case none
        case connecting
        case attached(reused: Bool)
    }

    private(set) var phase = Phase.awaitingHead
    private(set) var lastActivity: NIODeadline
    /// Client bytes not handled yet: a partial head, or a pipelined request.
    private var buffered: ByteBuffer?
    private var pauses = ReadPauses()
    private var readPending = false

    /// Kept from one exchange to the next so that the steady state allocates
    /// nothing for them: the scanners' field lists, and the buffer rewritten
    /// response heads are written into (see `reusableBuffer`).
    private var requestFields: [RequestHead.Field] = []
    private var responseHopByHop: [Range<Int>] = []
    private var responseOut: ByteBuffer?
    private let allocator: ByteBufferAllocator

    // The exchange in progress.
    private(set) var exchange: UInt64 = 0
    private(set) var role = Role.primary
    private(set) var started = NIODeadline.uptimeNanoseconds(0)
    private(set) var status = 0
    private(set) var wroteResponse = false
    private var requestBody = BodyProgress.done
    private var requestKeepAlive = true
    private var requestIsHead = false
    private var requestMinor = 1
    private var requestEnded = NIODeadline.uptimeNanoseconds(0)
    /// The request's bytes while nothing was answered and it has no body,
    /// so a stale pooled connection can be replaced and the request resent.
    private var replay: ByteBuffer?
    private var setCookie: String?
    private var upstream = Upstream.none
    /// Request bytes waiting for the backend connection.
    private var queued: ByteBuffer?
    private let maximumQueuedBytes: Int
    private var responseHead: ByteBuffer?
    private var responseBody = BodyProgress.awaitingHead
    private var responseKeepAlive = false
    /// Backend bytes not forwarded yet (`nextResponseOutput`).
    private var pending: ByteBuffer?

    init(allocator: ByteBufferAllocator, maximumQueuedBytes: Int, now: NIODeadline = .now()) {
        self.allocator = allocator
        self.maximumQueuedBytes = maximumQueuedBytes
        lastActivity = now
    }

    /// Whether the request's body is still being read.
    var readingRequestBody: Bool { requestBody.isInProgress }

    // MARK: the client's bytes

    mutating func clientRead(_ bytes: ByteBuffer, now: NIODeadline) -> ClientAction {
        var bytes = bytes
        lastActivity = now
        switch phase {
        case .awaitingHead:
            append(bytes)
            return nextRequest()
        case .exchanging:
            guard requestBody.isInProgress else {
                append(bytes)
                pauses.insert(.pipelined)
                return .none
            }
            let action = requestBody(from: &bytes)
            if bytes.readableBytes > 0 {
                append(bytes)
                pauses.insert(.pipelined)
            }
            return action
        case .closing:
            return .none
        }
    }

    /// The next request buffered, if its head is whole.
    mutating func nextRequest() -> ClientAction {
        guard phase == .awaitingHead, let buffer = buffered, buffer.readableBytes > 0 else { return .none }
        let result = buffer.withUnsafeReadableBytes { HeadScanner().scan($0, reusing: &requestFields) }
        switch result {
        case .needMore:
            return .none
        case .invalid(let reason):
            buffered = nil
            return .respond(code: 400, message: "bad request: \(reason)")
        case .complete(let head):
            buffered = nil
            exchange &+= 1
            phase = .exchanging
            started = lastActivity
            requestMinor = head.minorVersion
            requestKeepAlive = head.keepAlive
            responseBody = .awaitingHead
            responseHead = nil
            pending = nil
            status = 0
            wroteResponse = false
            setCookie = nil
            upstream = .none
            return .route(head, buffer)
        }
    }

    /// The head was routed: `upstreamHead` goes to the backend first; the
    /// handler now finds a backend connection (`connecting`/`attached`).
    mutating func routed(_ head: RequestHead, role: Role, setCookie: String?, isHead: Bool, upstreamHead: ByteBuffer) {
        self.role = role
        self.setCookie = setCookie
        requestIsHead = isHead
        switch head.body {
        case .none: requestBody = .done
        case .length(let length): requestBody = .length(length)
        case .chunked: requestBody = .chunked(ChunkedBodyTracker())
        }
        replay = requestBody.isInProgress ? nil : upstreamHead
        queued = upstreamHead
        upstream = .connecting
    }

    /// What followed the head in the same read (`buffer`, its reader past the
    /// head): body bytes to forward, and a pipelined request kept for later.
    mutating func requestBytes(after buffer: inout ByteBuffer) -> ClientAction {
        var action = ClientAction.none
        if requestBody.isInProgress { action = requestBody(from: &buffer) }
        if !requestBody.isInProgress { requestEnded = started }
        if buffer.readableBytes > 0 {
            buffered = buffer
            pauses.insert(.pipelined)
        }
        return action
    }

    /// Takes the body bytes at the front of `buffer`, leaving whatever follows
    /// the body (a pipelined request) in it.
    private mutating func requestBody(from buffer: inout ByteBuffer) -> ClientAction {
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
                requestKeepAlive = false
                return wroteResponse ? .closeClient : .respond(code: 400, message: "bad request: \(reason)")
            }
        default:
            return .none
        }
        if !requestBody.isInProgress { requestEnded = .now() }
        guard let slice, slice.readableBytes > 0 else { return .none }
        if case .attached = upstream { return .body(slice, toUpstream: true) }
        if queued == nil { queued = slice } else { var slice = slice; queued!.writeBuffer(&slice) }
        if queued!.readableBytes > maximumQueuedBytes { pauses.insert(.upstreamBusy) }
        return .body(slice, toUpstream: false)
    }

    private mutating func append(_ bytes: ByteBuffer) {
        if buffered == nil || buffered!.readableBytes == 0 {
            buffered = bytes
        } else {
            var bytes = bytes
            buffered!.writeBuffer(&bytes)
        }
    }

    // MARK: the backend connection

    /// A backend connection is attached to the exchange; returns what to write on it first.
    mutating func attached(reused: Bool) -> ByteBuffer? {
        upstream = .attached(reused: reused)
        defer { queued = nil }
        return queued
    }

    /// The connection attached is gone (dropped by the router, or given back).
    mutating func detached() {
        upstream = .none
        queued = nil
    }

    /// The backend closed the connection. `attempts`: backends tried for this request.
    mutating func upstreamClosed(attempts: Int) -> UpstreamClosedAction {
        let reused = upstream == .attached(reused: true)
        upstream = .none
        switch responseBody {
        case .untilClose:
            return .finishResponse
        case .awaitingHead where responseHead == nil:
            // Closed before answering anything. A pooled connection the backend
            // had already given up on is the usual cause; the request is resent
            // when it can be (no body, not sent twice already).
            if reused, let replay, attempts < 3 {
                queued = replay
                upstream = .connecting
                return .resend
            }
            requestKeepAlive = false
            return .respond(code: 502, message: "the backend closed the connection without answering")
        default:
            requestKeepAlive = false
            return wroteResponse ? .closeClient : .respond(code: 502, message: "the backend closed the connection mid-response")
        }
    }

    /// Bytes from the backend; forward them with `nextResponseOutput()` until it returns nil.
    mutating func upstreamRead(_ buffer: ByteBuffer) {
        replay = nil
        if pending == nil || pending!.readableBytes == 0 {
            pending = buffer
        } else {
            var buffer = buffer
            pending!.writeBuffer(&buffer)
        }
    }

    mutating func nextResponseOutput() -> ResponseOutput? {
        guard var buffer = pending.take() else { return nil }
        // Kept for the next step: bytes not forwarded yet, or a body that is
        // complete (the next step says so, even with no bytes left).
        defer { if buffer.readableBytes > 0 || responseBody.isDone { pending = buffer } }
        switch responseBody {
        case .awaitingHead:
            if let partial = responseHead.take() {
                var partial = partial
                partial.writeBuffer(&buffer)
                buffer = partial
            }
            let result = buffer.withUnsafeReadableBytes {
                ResponseHeadScanner().scan($0, requestMethodIsHead: requestIsHead, reusing: &responseHopByHop)
            }
            switch result {
            case .needMore:
                responseHead = buffer
                buffer.clear()
                return nil
            case .invalid(let reason):
                buffer.clear()
                requestKeepAlive = false
                return .invalid("bad response from backend: \(reason)")
            case .complete(let head):
                return responseHeadOutput(head, &buffer)
            }
        case .done:
            let reusable = buffer.readableBytes == 0
            buffer.clear()
            return .finished(upstreamReusable: reusable)
        case .length(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let take = min(remaining, buffer.readableBytes)
            responseBody = remaining == take ? .done : .length(remaining - take)
            return write(buffer.readSlice(length: take)!)
        case .chunked(var tracker):
            guard buffer.readableBytes > 0 else { return nil }
            switch buffer.withUnsafeReadableBytes({ tracker.consume($0) }) {
            case .consumed:
                responseBody = .chunked(tracker)
                return write(buffer.readSlice(length: buffer.readableBytes)!)
            case .finished(let end):
                responseBody = .done
                return write(buffer.readSlice(length: end)!)
            case .invalid:
                buffer.clear()
                requestKeepAlive = false
                return .corrupt
            }
        case .untilClose:
            guard buffer.readableBytes > 0 else { return nil }
            return write(buffer.readSlice(length: buffer.readableBytes)!)
        }
    }

    private mutating func responseHeadOutput(_ head: ResponseHead, _ buffer: inout ByteBuffer) -> ResponseOutput {
        if head.status < 200 && head.status != 101 {
            // 100 Continue and friends go through as they are; the real head follows.
            return write(buffer.readSlice(length: head.length)!)
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
            return write(buffer.readSlice(length: head.length)!)
        }
        var out = Self.reusableBuffer(&responseOut, allocator: allocator, capacity: head.length + 96 + min(buffer.readableBytes, 8192))
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
        Self.keep(out, in: &responseOut)
        return write(out)
    }

    private mutating func write(_ buffer: ByteBuffer) -> ResponseOutput {
        wroteResponse = true
        return .write(buffer)
    }

    /// The response is complete and the backend connection handled: whether
    /// the client connection stays for another request (then look for one
    /// with `nextRequest()`) or closes.
    mutating func exchangeEnded(now: NIODeadline) -> Bool {
        lastActivity = now
        if requestBody.isInProgress { requestKeepAlive = false }
        replay = nil
        queued = nil
        pending = nil
        upstream = .none
        guard requestKeepAlive else { return false }
        phase = .awaitingHead
        return true
    }

    /// Whether both sides keep connections alive and the request was read whole.
    var upstreamKeepable: Bool { responseKeepAlive && !requestBody.isInProgress }

    // MARK: the router's own answers and closing

    /// An answer of the router's own, when the backend gave none: its bytes,
    /// unless a response is already under way (then the client is only closed).
    mutating func errorResponse(code: Int, message: String) -> ByteBuffer? {
        status = code
        requestKeepAlive = false
        upstream = .none
        queued = nil
        guard !wroteResponse else { return nil }
        wroteResponse = true
        let reason = code == 400 ? "Bad Request" : code == 502 ? "Bad Gateway" : code == 503 ? "Service Unavailable" : "Gateway Timeout"
        let body = message + "\n"
        var out = allocator.buffer(capacity: 160 + body.utf8.count)
        out.writeString("HTTP/1.1 \(code) \(reason)\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)")
        return out
    }

    /// Starts closing; false when it already was.
    mutating func close() -> Bool {
        guard phase != .closing else { return false }
        phase = .closing
        buffered = nil
        return true
    }

    /// The client connection is gone.
    mutating func clientClosed() {
        phase = .closing
        buffered = nil
        pending = nil
        queued = nil
        upstream = .none
    }

    // MARK: reading

    /// NIO asks to read: true to read now, false while reads are paused.
    mutating func read() -> Bool {
        if pauses.isEmpty { return true }
        readPending = true
        return false
    }

    mutating func pause(_ reason: ReadPauses.Reason) {
        pauses.insert(reason)
    }

    /// Lifts a pause: true when a read waited for it.
    mutating func resume(_ reason: ReadPauses.Reason) -> Bool {
        pauses.remove(reason)
        guard pauses.isEmpty && readPending else { return false }
        readPending = false
        return true
    }

    // MARK: time

    mutating func timerFired(now: NIODeadline, idleTimeout: TimeAmount, responseTimeout: TimeAmount) -> TimerAction {
        switch phase {
        case .awaitingHead where now - lastActivity > idleTimeout:
            return .closeIdle
        case .exchanging where !wroteResponse && !requestBody.isInProgress && now - requestEnded > responseTimeout:
            return .responseTimedOut
        default:
            return .rearm
        }
    }

    // MARK: buffers

    /// The buffer kept in `slot`, emptied, or a new one. Once NIO has written
    /// a head to the socket the buffer is referenced only here again and
    /// `clear()` reuses its storage; while a write is still pending, `clear()`
    /// gives it new storage instead.
    static func reusableBuffer(_ slot: inout ByteBuffer?, allocator: ByteBufferAllocator, capacity: Int) -> ByteBuffer {
        guard var buffer = slot.take() else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Keeps a head's buffer for the next exchange, unless it grew large (an
    /// unusual head): idle connections should not hold much memory.
    static func keep(_ buffer: ByteBuffer, in slot: inout ByteBuffer?) {
        slot = buffer.capacity <= 16 * 1024 ? buffer : nil
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

    var isDone: Bool {
        if case .done = self { return true }
        return false
    }
}
