import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP relay in front of the real apiserver that a test can cut and
/// restore, to see what the client and the informer do in an outage
/// without stopping the apiserver other tests use. TLS goes through it
/// untouched: the client still talks to the apiserver itself.
final class TCPRelay: Sendable {
    private struct State {
        var server: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    let port: Int
    private let target: SocketAddress
    private let state = NIOLockedValueBox(State())

    init(to host: String, port targetPort: Int) async throws {
        target = try SocketAddress(ipAddress: host, port: targetPort)
        let server = try await Self.listen(port: 0, target: target, state: state)
        port = server.localAddress?.port ?? 0
        state.withLockedValue { $0.server = server }
    }

    /// Closes every relayed connection and stops listening: new connections are refused.
    func cut() async throws {
        let (server, connections) = state.withLockedValue { state in
            defer {
                state.server = nil
                state.connections = [:]
            }
            return (state.server, Array(state.connections.values))
        }
        try await server?.close()
        for connection in connections { try? await connection.close() }
    }

    /// Listens again on the same port.
    func restore() async throws {
        let server = try await Self.listen(port: port, target: target, state: state)
        state.withLockedValue { $0.server = server }
    }

    func stop() async {
        try? await cut()
    }

    private static func listen(port: Int, target: SocketAddress, state: NIOLockedValueBox<State>) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(to: target).flatMap { outbound in
                    state.withLockedValue { state in
                        state.connections[ObjectIdentifier(inbound)] = inbound
                        state.connections[ObjectIdentifier(outbound)] = outbound
                    }
                    // Both channels are on the inbound's event loop, where this runs.
                    do {
                        try inbound.pipeline.syncOperations.addHandler(Forward(to: outbound))
                        try outbound.pipeline.syncOperations.addHandler(Forward(to: inbound))
                        return inbound.eventLoop.makeSucceededVoidFuture()
                    } catch {
                        return inbound.eventLoop.makeFailedFuture(error)
                    }
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    /// Writes what one side reads to the other; closes the other when one closes.
    private final class Forward: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private let partner: any Channel

        init(to partner: any Channel) {
            self.partner = partner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
