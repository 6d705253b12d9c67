import Logging
import SerinEngine
import SerinServer
import ServiceLifecycle

/// Runs an `APIServer` on 127.0.0.1 with a port the kernel picks, for the
/// duration of `body`, then shuts it down gracefully, as the operator does
/// on SIGTERM (open event streams included).
public func withAPIServer<Result: Sendable>(
    _ control: any OperatorControl,
    token: String? = "s3cret-token",
    heartbeat: Duration = .seconds(15),
    dashboardAuth: DashboardAuth = .none,
    configure: (inout APIServer.Configuration) -> Void = { _ in },
    _ body: @Sendable (_ port: Int) async throws -> Result
) async throws -> Result {
    let (bound, announce) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "serin.api.test")
    logger.logLevel = .warning
    var configuration = APIServer.Configuration(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token, heartbeat: heartbeat,
                                                dashboardAuth: dashboardAuth)
    configure(&configuration)
    let server = APIServer(
        control: control,
        configuration: configuration,
        logger: logger,
        onListening: { address in announce.yield(address.port) }
    )
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            // A server that fails to bind must not leave the wait below hanging.
            defer { announce.finish() }
            try await group.run()
        }
        var ports = bound.makeAsyncIterator()
        guard let port = await ports.next() else {
            try await tasks.waitForAll()
            throw TestHTTPError(description: "the API server stopped before it listened")
        }
        let result: Result
        do {
            result = try await body(port)
        } catch {
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}
