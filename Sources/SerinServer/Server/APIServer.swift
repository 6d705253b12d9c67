import Hummingbird
import Logging
import NIOCore
import SerinEngine
import ServiceLifecycle

/// The operator's HTTP API: rollouts and commands under `/api/v1`, the event
/// stream, Git webhooks, `/metrics` and the probes. A `Service`: it runs until
/// its task is cancelled or a graceful shutdown, which also ends open event streams.
public struct APIServer: Service {
    public struct Configuration: Sendable {
        public var listen: ListenAddress
        /// Nil: commands are refused (read-only API).
        public var token: String?
        /// How often an idle event stream gets a comment line.
        public var heartbeat: Duration
        /// The largest webhook body read.
        public var webhookBodyLimit: Int
        /// Whether reading rollouts, sources, workloads and events (the
        /// dashboard's data) needs the token too.
        public var dashboardAuth: DashboardAuth

        public init(listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9797), token: String?,
                    heartbeat: Duration = .seconds(15), webhookBodyLimit: Int = 1 << 20, dashboardAuth: DashboardAuth = .none) {
            self.listen = listen
            self.token = token
            self.heartbeat = heartbeat
            self.webhookBodyLimit = webhookBodyLimit
            self.dashboardAuth = dashboardAuth
        }
    }

    private let control: any OperatorControl
    private let configuration: Configuration
    private let logger: Logger
    private let onListening: @Sendable (ListenAddress) async -> Void

    /// `onListening` is told the address actually bound (the kernel's port when asked for port 0).
    public init(control: any OperatorControl, configuration: Configuration, logger: Logger = Logger(label: "serin.api"),
                onListening: @escaping @Sendable (ListenAddress) async -> Void = { _ in }) {
        self.control = control
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        if configuration.dashboardAuth == .token {
            router.add(middleware: ReadAuthorizationMiddleware(token: BearerToken(configuration.token)))
        }
        DashboardRoutes().register(on: router)
        RolloutRoutes(control: control, token: BearerToken(configuration.token), logger: logger).register(on: router)
        ResourceRoutes(control: control).register(on: router)
        SourceRoutes(control: control, token: BearerToken(configuration.token), logger: logger).register(on: router)
        EventStreamRoutes(control: control, heartbeat: configuration.heartbeat, logger: logger).register(on: router)
        GitHookRoutes(control: control, bodyLimit: configuration.webhookBodyLimit, logger: logger).register(on: router)
        ProbeRoutes(control: control).register(on: router)

        let requested = configuration.listen, logger = self.logger, onListening = self.onListening
        if configuration.token == nil {
            logger.notice("the API has no token: commands are refused until api.tokenFile is set")
        }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(requested.host, port: requested.port), serverName: nil),
            onServerRunning: { channel in
                let bound = ListenAddress(host: requested.host, port: channel.localAddress?.port ?? requested.port)
                logger.info("API listening", metadata: ["address": "\(bound)"])
                await onListening(bound)
            },
            logger: logger
        )
        try await application.run()
    }
}
