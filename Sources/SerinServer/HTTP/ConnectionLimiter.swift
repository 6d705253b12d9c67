import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Holds the API's open connections to a cap. Past it, the connection idle
/// the longest (no request in flight: a keep-alive, or one that never
/// sent a byte) is closed to make room, so a flood of idle connections
/// cannot shut out a probe; when every connection is busy, the newcomer
/// gets 503 with Retry-After and is closed.
final class ConnectionLimiter: Sendable {
    let capacity: Int

    private struct Entry {
        var channel: any Channel
        var busy: Bool
        /// When it was last busy (or opened), in the limiter's own order.
        var lastActive: UInt64
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var openConnections: Int { state.withLock { $0.entries.count } }

    /// Registers `channel`; returns false when it must be refused.
    func opened(_ channel: any Channel) -> Bool {
        let (admitted, evicted): (Bool, (any Channel)?) = state.withLock { state in
            state.clock += 1
            var evicted: (any Channel)?
            if state.entries.count >= capacity {
                let idle = state.entries.filter { !$0.value.busy }.min { $0.value.lastActive < $1.value.lastActive }
                guard let idle else { return (false, nil) }
                state.entries[idle.key] = nil
                evicted = idle.value.channel
            }
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, busy: false, lastActive: state.clock)
            return (true, evicted)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    func busy(_ channel: any Channel, _ busy: Bool) {
        state.withLock { state in
            state.clock += 1
            state.entries[ObjectIdentifier(channel)]?.busy = busy
            state.entries[ObjectIdentifier(channel)]?.lastActive = state.clock
        }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The per-connection half, after the HTTP codec: sees where each
    /// request starts and its answer ends.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        private let limiter: ConnectionLimiter
        private var refused = false
        private var registered = false

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            guard !registered else { return }
            registered = true
            refused = !limiter.opened(context.channel)
        }

        func channelInactive(context: ChannelHandlerContext) {
            limiter.closed(context.channel)
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            limiter.closed(context.channel)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            if refused {
                if case .head = part { answerBusy(context) }
                return
            }
            if case .head = part { limiter.busy(context.channel, true) }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { limiter.busy(context.channel, false) }
            context.write(data, promise: promise)
        }

        private func answerBusy(_ context: ChannelHandlerContext) {
            let body = #"{"error":"the API holds as many connections as it may, all busy; retry shortly"}"#
            var head = HTTPResponse(status: .serviceUnavailable)
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.retryAfter] = "2"
            head.headerFields[.contentLength] = String(body.utf8.count)
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
