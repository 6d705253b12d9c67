import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The router's management side, off the hot path: `/metrics` and
/// `/healthz` on a TCP port for Prometheus and probes, and the routing
/// table (`GET /routes`, `PUT /routes`, and `GET /refused`: its routes
/// without a listener yet, with why) on a unix socket whose file
/// permissions decide who may change it. The TCP port only reads.
public enum AdminServer {
    public static func listen(_ router: RouterServer, tcp address: String) async throws -> any Channel {
        let socketAddress = try Backend.parse(address, path: "admin.listen")
        return try await bootstrap(router, allowWrites: false).bind(to: socketAddress).get()
    }

    public static func listen(_ router: RouterServer, unixSocket path: String) async throws -> any Channel {
        let channel = try await bootstrap(router, allowWrites: true)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        chmod(path, 0o600)
        return channel
    }

    private static func bootstrap(_ router: RouterServer, allowWrites: Bool) async -> ServerBootstrap {
        ServerBootstrap(group: router.group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(router: router, allowWrites: allowWrites))
                }
            }
    }
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    struct Reply: Sendable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
    }

    private let router: RouterServer
    private let allowWrites: Bool
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private static let maximumBody = 16 << 20

    init(router: RouterServer, allowWrites: Bool) {
        self.router = router
        self.allowWrites = allowWrites
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes <= Self.maximumBody { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            let promise = context.eventLoop.makePromise(of: Reply.self)
            let router = self.router
            let allowWrites = self.allowWrites
            let body = self.body
            promise.completeWithTask { await Self.reply(to: head, body: body, router: router, allowWrites: allowWrites) }
            promise.futureResult.assumeIsolated().whenSuccess { reply in
                self.send(reply, keepAlive: head.isKeepAlive, context: context)
            }
        }
    }

    private func send(_ reply: Reply, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: reply.contentType)
        headers.add(name: "content-length", value: String(reply.body.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: reply.body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    static func reply(to head: HTTPRequestHead, body: ByteBuffer, router: RouterServer, allowWrites: Bool) async -> Reply {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.GET, "/healthz"):
            return Reply(status: .ok, contentType: "text/plain", body: "ok\n")
        case (.GET, "/metrics"):
            return Reply(status: .ok, contentType: "text/plain; version=0.0.4", body: await router.metricsText())
        case (.GET, "/routes"):
            return json(.ok, await router.currentTable)
        case (.GET, "/refused"):
            return json(.ok, await router.refused)
        case (.PUT, "/routes") where allowWrites:
            let table: RouteTable
            do {
                table = try JSONDecoder().decode(RouteTable.self, from: Data(body.readableBytesView))
            } catch {
                return Reply(status: .badRequest, contentType: "text/plain", body: "invalid routing table: \(error)\n")
            }
            do {
                return json(.ok, try await router.apply(table))
            } catch let error as RouterServer.ConflictError {
                return Reply(status: .conflict, contentType: "text/plain", body: "\(error)\n")
            } catch {
                return Reply(status: .badRequest, contentType: "text/plain", body: "\(error)\n")
            }
        case (.PUT, "/routes"):
            return Reply(status: .forbidden, contentType: "text/plain", body: "the routing table is changed through the control socket\n")
        default:
            return Reply(status: .notFound, contentType: "text/plain", body: "not found\n")
        }
    }

    private static func json<Value: Encodable>(_ status: HTTPResponseStatus, _ value: Value) -> Reply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Reply(status: status, contentType: "application/json", body: String(decoding: data, as: UTF8.self) + "\n")
    }
}
