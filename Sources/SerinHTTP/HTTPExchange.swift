import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP request and its whole answer, through one AsyncHTTPClient per
/// process (a connection pool on NIO's shared event loops, kept alive
/// between Prometheus queries, webhooks, alerts and CLI calls).
public enum HTTPExchange {
    /// A refused connection fails the request at once: a Prometheus that is
    /// down is a query error now, counted by the error limit, not a request
    /// parked until its deadline while the pool retries; webhooks have their
    /// own retries. Never shut down: it lives as long as the process.
    static let client = makeClient(redirects: .follow(max: 5, allowCycles: false))

    /// For calls a manifest aims (webhooks, alerts): a redirect is an
    /// answer, never followed, so a committer's URL cannot bounce the
    /// operator to an address the allow-list or the reader would not see.
    static let directClient = makeClient(redirects: .disallow)

    static func makeClient(redirects: HTTPClient.Configuration.RedirectConfiguration) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: redirects, timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        // Many canaries query one Prometheus at each tick: 8 connections
        // (AsyncHTTPClient's default) queue their queries behind each other.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// How an exchange reaches its server, beyond the URL: what Flagger's
    /// `insecureSkipVerify` and `disableTLS` (no certificate check) and an
    /// alert provider's `proxy` ask for.
    public struct Options: Sendable, Hashable {
        public var verifiesCertificates: Bool
        /// An HTTP proxy, `http://host:port`.
        public var proxy: String?
        /// False for calls a manifest aims (webhooks, alerts): a 3xx is the answer.
        public var followsRedirects: Bool

        public init(verifiesCertificates: Bool = true, proxy: String? = nil, followsRedirects: Bool = true) {
            self.verifiesCertificates = verifiesCertificates
            self.proxy = proxy
            self.followsRedirects = followsRedirects
        }

        public static let standard = Options()
    }

    /// One client per set of options other than the standard ones, made
    /// once and kept, as the standard one.
    private static let clients = NIOLockedValueBox([Options: HTTPClient]())

    static func client(for options: Options) throws(Failure) -> HTTPClient {
        guard options != .standard else { return client }
        guard options != Options(followsRedirects: false) else { return directClient }
        var proxy: HTTPClient.Configuration.Proxy?
        if let text = options.proxy {
            guard let url = URL(string: text), let host = url.host, !host.isEmpty else {
                throw Failure(description: "proxy \"\(text)\" is not a URL such as http://proxy:3128")
            }
            proxy = .server(host: host, port: url.port ?? 80)
        }
        return clients.withLockedValue { clients in
            if let made = clients[options] { return made }
            var configuration = HTTPClient.Configuration(redirectConfiguration: options.followsRedirects ? .follow(max: 5, allowCycles: false) : .disallow,
                                                         timeout: .init(connect: .seconds(10)), proxy: proxy)
            configuration.connectionPool.retryConnectionEstablishment = false
            if !options.verifiesCertificates {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.certificateVerification = .none
                configuration.tlsConfiguration = tls
            }
            let made = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[options] = made
            return made
        }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        /// The answer's header fields, in the order they came.
        public var headers: [(name: String, value: String)] = []

        /// The first field named `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The answer, whatever its status; throws when none came within
    /// `timeout` (connecting, sending and reading the body included) or the
    /// body is larger than `bodyLimit`. Without `followRedirects`, a 3xx
    /// is the answer.
    public static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil,
                            timeout: Duration, bodyLimit: Int = 4 << 20, followRedirects: Bool = true,
                            options: Options = .standard) async throws(Failure) -> Answer {
        var options = options
        if !followRedirects { options.followsRedirects = false }
        let client = try client(for: options)
        do {
            var request = try HTTPClient.Request(url: url, method: method, body: body.map { .bytes($0) })
            request.headers.add(name: "User-Agent", value: "serin")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            // This API's deadline covers the whole exchange, the body
            // included, and is kept on NIO's event loop: a server that sends
            // a head and then stalls fails at the deadline, and a busy
            // cooperative pool cannot make an answer that came in time late.
            // (The async `execute(_:timeout:)` stops its deadline at the head.)
            let task = client.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: bodyLimit),
                                      deadline: .now() + timeAmount(timeout))
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return Answer(status: Int(response.status.code), body: response.body.map { Data($0.readableBytesView) } ?? Data(),
                          headers: response.headers.map { (name: $0.name, value: $0.value) })
        } catch {
            throw Failure(description: describe(error, timeout: timeout))
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000))
    }

    /// A GET whose body is read as it comes (a server-sent event stream):
    /// `chunk` sees each piece; returns when the server ends the body. A
    /// status other than 2xx is a failure; so is no answer head within
    /// `timeout`. Cancelling the task closes the connection.
    public static func stream(_ url: String, headers: [(String, String)] = [], timeout: Duration,
                              chunk: (Data) async throws -> Void) async throws(Failure) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "serin")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        do {
            let response = try await client.execute(request, timeout: timeAmount(timeout))
            guard (200..<300).contains(response.status.code) else {
                throw Failure(description: "HTTP \(response.status.code)")
            }
            for try await piece in response.body { try await chunk(Data(piece.readableBytesView)) }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: describe(error, timeout: timeout))
        }
    }

    /// What a person can act on: "connection refused", "no answer within 5 s".
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout:
                return "no answer within \(timeout)"
            default:
                return "\(error)"
            }
        }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.map { describe($0.error, timeout: timeout) }
            return causes.isEmpty ? "cannot connect to \(error.host):\(error.port)" : Array(Set(causes)).sorted().joined(separator: "; ")
        }
        // "connection reset (error set): Connection refused (errno: 111)" says less than strerror alone.
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if error is NIOTooManyBytesError || error is ResponseAccumulator.ResponseTooBigError { return "the answer's body is too large" }
        if error is CancellationError { return Task.isCancelled ? "cancelled" : "no answer within \(timeout)" }
        return "\(error)"
    }
}
