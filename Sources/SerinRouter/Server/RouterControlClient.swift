import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Talks to a router's control socket: reads the table in force and
/// replaces it. One short connection per call; the operator calls it only
/// when a table changes.
public struct RouterControlClient: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The HTTP status the router answered, 0 when it could not be reached.
        public let status: Int
        public let message: String
        public var description: String { status == 0 ? message : "router answered \(status): \(message)" }
    }

    public let socketPath: String
    public var timeout: TimeAmount

    public init(socketPath: String, timeout: TimeAmount = .seconds(5)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    public func table() async throws -> RouteTable {
        let (status, body) = try await exchange(method: .GET, path: "/routes", body: nil)
        guard status == 200 else { throw Failure(status: status, message: body.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return try JSONDecoder().decode(RouteTable.self, from: Data(body.utf8))
    }

    @discardableResult
    public func apply(_ table: RouteTable) async throws -> RouterServer.ApplyResult {
        let (status, body) = try await exchange(method: .PUT, path: "/routes", body: try JSONEncoder().encode(table))
        guard status == 200 else { throw Failure(status: status, message: body.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return try JSONDecoder().decode(RouterServer.ApplyResult.self, from: Data(body.utf8))
    }

    /// Routes of the table in force without a listener, by workload, with why.
    public func refused() async throws -> [String: String] {
        let (status, body) = try await exchange(method: .GET, path: "/refused", body: nil)
        guard status == 200 else { throw Failure(status: status, message: body.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return try JSONDecoder().decode([String: String].self, from: Data(body.utf8))
    }

    private func exchange(method: HTTPMethod, path: String, body: Data?) async throws -> (Int, String) {
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: (Int, String).self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(unixDomainSocketPath: socketPath).get()
        } catch {
            promise.fail(error)
            throw Failure(status: 0, message: "cannot reach the router at \(socketPath): \(error)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "router")
        headers.add(name: "content-length", value: String(body?.count ?? 0))
        headers.add(name: "connection", value: "close")
        if body != nil { headers.add(name: "content-type", value: "application/json") }
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)),
                      promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timeout = channel.eventLoop.scheduleTask(in: self.timeout) {
            promise.fail(Failure(status: 0, message: "the router did not answer within the timeout"))
            channel.close(promise: nil)
        }
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(Int, String)>
    private var status = 0
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<(Int, String)>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var chunk): body.writeBuffer(&chunk)
        case .end: promise.succeed((status, String(buffer: body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(RouterControlClient.Failure(status: 0, message: "the router closed the control connection"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
