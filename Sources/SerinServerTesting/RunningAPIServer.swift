import Logging
import SerinEngine
import SerinServer

/// Runs an `APIServer` on 127.0.0.1 with a port the kernel picks, for the
/// duration of `body`, then stops it (cancellation, as at shutdown).
public func withAPIServer<Result: Sendable>(
    _ control: any OperatorControl,
    token: String? = "s3cret-token",
    heartbeat: Duration = .seconds(15),
    _ body: @Sendable (_ port: Int) async throws -> Result
) async throws -> Result {
    let (bound, announce) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "serin.api.test")
    logger.logLevel = .warning
    let server = APIServer(
        control: control,
        configuration: .init(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token, heartbeat: heartbeat),
        logger: logger,
        onListening: { address in announce.yield(address.port) }
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            // A server that fails to bind must not leave the wait below hanging.
            defer { announce.finish() }
            try await server.run()
        }
        defer { group.cancelAll() }
        var ports = bound.makeAsyncIterator()
        guard let port = await ports.next() else { throw TestHTTPError(description: "the API server stopped before it listened") }
        return try await body(port)
    }
}
