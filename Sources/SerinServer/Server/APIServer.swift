import Hummingbird
import HummingbirdCore
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
        /// Connections held open at most; past it the oldest idle one is
        /// closed to make room, or the newcomer is answered 503 when none is idle.
        public var maxConnections: Int
        /// Event streams open at most; past it a 503 with Retry-After.
        public var maxEventStreams: Int
        /// A connection with no request in flight (or a request head not
        /// finished) for this long is closed.
        public var idleTimeout: Duration
        /// Host names (without port) the API answers to besides the loopback
        /// names when it listens on loopback: a page on another site whose
        /// name resolves to 127.0.0.1 (DNS rebinding) is refused.
        public var allowedHosts: [String]

        public static let defaultMaxConnections = 512

        public init(listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9797), token: String?,
                    heartbeat: Duration = .seconds(15), webhookBodyLimit: Int = 1 << 20, dashboardAuth: DashboardAuth = .none,
                    maxConnections: Int = defaultMaxConnections, maxEventStreams: Int = 64, idleTimeout: Duration = .seconds(30),
                    allowedHosts: [String] = []) {
            self.listen = listen
            self.token = token
            self.heartbeat = heartbeat
            self.webhookBodyLimit = webhookBodyLimit
            self.dashboardAuth = dashboardAuth
            self.maxConnections = maxConnections
            self.maxEventStreams = maxEventStreams
            self.idleTimeout = idleTimeout
            self.allowedHosts = allowedHosts
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
        // What the dashboard reads (and the commands) sit in one group:
        // with dashboardAuth: token, the token is checked on the route
        // itself, whatever spelling of its path reached it.
        let api = router.group()
        if configuration.dashboardAuth == .token {
            api.add(middleware: ReadAuthorizationMiddleware(token: BearerToken(configuration.token)))
        }
        DashboardRoutes().register(on: router)
        RolloutRoutes(control: control, token: BearerToken(configuration.token), logger: logger).register(on: api)
        ResourceRoutes(control: control).register(on: api)
        WaveRoutes(control: control, token: BearerToken(configuration.token), logger: logger).register(on: api)
        SourceRoutes(control: control, token: BearerToken(configuration.token), logger: logger).register(on: api)
        EventStreamRoutes(control: control, heartbeat: configuration.heartbeat, slots: StreamSlots(capacity: configuration.maxEventStreams),
                          logger: logger).register(on: api)
        GitHookRoutes(control: control, bodyLimit: configuration.webhookBodyLimit, logger: logger).register(on: router)
        ProbeRoutes(control: control).register(on: router)

        let requested = configuration.listen, logger = self.logger, onListening = self.onListening
        if configuration.token == nil {
            logger.notice("the API has no token: commands are refused until api.tokenFile is set")
        }
        let limiter = ConnectionLimiter(capacity: configuration.maxConnections)
        let channel = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionLimiter.Handler(limiter: limiter)],
                                                 idleTimeout: HTTPExchangeTime.amount(configuration.idleTimeout))
        let responder = RequestGuard(inner: router.buildResponder(),
                                     hosts: RequestGuard<RouterResponder<BasicRequestContext>>.hosts(listeningOn: requested.host,
                                                                                                    allowed: configuration.allowedHosts))
        let application = Application(
            responder: responder,
            server: .http1(configuration: channel),
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

/// Durations as NIO's time amounts.
enum HTTPExchangeTime {
    static func amount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000))
    }
}
