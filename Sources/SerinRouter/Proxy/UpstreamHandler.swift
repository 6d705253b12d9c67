import NIOCore

/// Whoever is using an upstream connection at the moment: a client's
/// exchange, or a mirrored copy of one.
protocol UpstreamOwner: AnyObject {
    func upstreamRead(_ buffer: ByteBuffer)
    func upstreamReadComplete()
    func upstreamClosed(_ upstream: UpstreamHandler)
    func upstreamWritabilityChanged(_ upstream: UpstreamHandler)
}

/// The router's end of a connection to a backend. It belongs to one owner
/// at a time and to nobody while it waits in the loop's idle pool; bytes or
/// a close arriving while idle mean the connection is no longer usable.
final class UpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let channel: any Channel
    /// The backend's pool on this loop, where the connection idles between requests.
    var pool: BackendPool?
    var owner: (any UpstreamOwner)?
    private var context: ChannelHandlerContext?
    private var readsPaused = false
    private var readPending = false

    init(channel: any Channel) {
        self.channel = channel
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    var isWritable: Bool { channel.isWritable }

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        owner = nil
        context?.close(promise: nil)
    }

    func pauseReads() {
        readsPaused = true
    }

    func resumeReads() {
        guard readsPaused else { return }
        readsPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    // MARK: ChannelHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let owner {
            owner.upstreamRead(buffer)
        } else {
            // A backend talking on an idle connection: nothing can be trusted on it.
            pool?.forget(self)
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let owner {
            self.owner = nil
            owner.upstreamClosed(self)
        } else {
            pool?.forget(self)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.upstreamWritabilityChanged(self)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }
}
