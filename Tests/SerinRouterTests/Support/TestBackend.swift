import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP backend on 127.0.0.1 for router tests, on its own event loop:
/// `/` answers its name, `/headers` the fields it received, `/echo` the body
/// it received, `/status/N` status N, `/slow/MS` its name after MS ms.
/// It counts requests and keeps the bodies it received.
final class TestBackend: Sendable {
    let name: String
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let received = NIOLockedValueBox<[(path: String, body: [UInt8])]>([])

    var address: String { "127.0.0.1:\(port)" }
    var requestCount: Int { received.withLockedValue { $0.count } }
    var requests: [(path: String, body: [UInt8])] { received.withLockedValue { $0 } }

    init(_ name: String) async throws {
        self.name = name
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let received = self.received
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(BackendHandler(name: name, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class BackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let received: NIOLockedValueBox<[(path: String, body: [UInt8])]>
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(name: String, received: NIOLockedValueBox<[(path: String, body: [UInt8])]>) {
        self.name = name
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let bytes = Array(body.readableBytesView)
            received.withLockedValue { $0.append((head.uri, bytes)) }
            let parts = head.uri.split(separator: "/").map(String.init)
            var status = HTTPResponseStatus.ok
            var text = name + "\n"
            var payload: ByteBuffer?
            var delay = 0
            switch parts.first {
            case "headers":
                text = head.headers.map { "\($0.name.lowercased()): \($0.value)" }.joined(separator: "\n") + "\n"
            case "echo":
                payload = body
            case "status":
                status = HTTPResponseStatus(statusCode: Int(parts[1]) ?? 500)
            case "slow":
                delay = Int(parts[1]) ?? 100
            default:
                break
            }
            let keepAlive = head.isKeepAlive
            let respond = { [self] in
                var headers = HTTPHeaders()
                let out = payload ?? context.channel.allocator.buffer(string: text)
                headers.add(name: "content-length", value: String(out.readableBytes))
                headers.add(name: "x-backend", value: name)
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil)
                let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
            }
            if delay > 0 {
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(delay))) { respond() }
            } else {
                respond()
            }
        }
    }
}
