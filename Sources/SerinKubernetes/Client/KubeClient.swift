import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A client of one apiserver: typed and untyped reads and writes,
/// server-side apply, the status subresource, watches and discovery.
/// One connection pool with the TLS settings of the configuration; call
/// `shutdown()` before dropping it.
///
/// Reads, deletes and applies are retried on 5xx and lost connections
/// with capped exponential backoff; every call is retried on 429 after
/// the Retry-After the apiserver asks for. Creates and updates are not
/// retried on 5xx: the first may have been stored.
public final class KubeClient: Sendable {
    public let config: KubeConfig
    public let retryPolicy: RetryPolicy
    /// Every HTTP request this client sent, by verb.
    public let requests = RequestCounter()
    /// How long a call (not a watch) may take, its body included.
    public let requestTimeout: Duration
    let http: HTTPClient
    let token: BearerToken
    let basicAuthorization: String?
    let logger: Logger
    let discoveryCache = DiscoveryCache()

    public init(config: KubeConfig, retryPolicy: RetryPolicy = RetryPolicy(), requestTimeout: Duration = .seconds(30),
                logger: Logger = Logger(label: "serin.kubernetes")) throws(KubeConfigError) {
        self.config = config
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
        self.logger = logger
        token = BearerToken(token: config.credentials.token, file: config.credentials.tokenFile)
        if let username = config.credentials.username, let password = config.credentials.password {
            basicAuthorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        } else {
            basicAuthorization = nil
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try Self.tlsConfiguration(config),
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)))
        // Every informer holds one watch open; over HTTP/1.1 each is a
        // connection, and 8 (AsyncHTTPClient's default) would queue
        // ordinary calls behind long watches.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A refused connection or a failed TLS handshake fails the call at
        // once, to be retried by the retry policy (or the informer's
        // backoff), rather than parked in the pool until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        if config.tlsServerName != nil {
            logger.debug("tls-server-name is not applied: the server certificate is checked against the server's host")
        }
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the connection pool; open watches end with an error. Required:
    /// AsyncHTTPClient stops a debug build whose client is dropped running.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// Runs `body` with a client, and shuts the client down after it,
    /// whether `body` returned or threw.
    public static func withClient<T>(config: KubeConfig, retryPolicy: RetryPolicy = RetryPolicy(),
                                     requestTimeout: Duration = .seconds(30),
                                     logger: Logger = Logger(label: "serin.kubernetes"),
                                     _ body: (KubeClient) async throws -> T) async throws -> T {
        let client = try KubeClient(config: config, retryPolicy: retryPolicy, requestTimeout: requestTimeout, logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        return try result.get()
    }

    static func tlsConfiguration(_ config: KubeConfig) throws(KubeConfigError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if config.insecureSkipTLSVerify {
                tls.certificateVerification = .none
            } else if let ca = config.certificateAuthority {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
        } catch {
            throw KubeConfigError("the cluster's certificate authority is not a PEM certificate: \(error)")
        }
        if let certificate = config.credentials.clientCertificate {
            guard let key = config.credentials.clientKey else {
                throw KubeConfigError("a client certificate without a client key")
            }
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw KubeConfigError("the client certificate or key is not PEM: \(error)")
            }
        }
        return tls
    }

    // MARK: - Requests

    /// One call to the apiserver.
    struct Call: Sendable {
        var method: HTTPMethod
        var path: String
        var query: [(String, String)] = []
        var body: Data?
        var contentType: String?
        /// May be sent again after a 5xx or a lost connection.
        var idempotent: Bool
        /// For the request counter: get, list, watch, create, update, patch, apply, delete, discovery.
        var verb: String

        var url: String { query.isEmpty ? path : "\(path)?\(PathEncoding.query(query))" }
        var summary: String { "\(method.rawValue) \(path)" }
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// Sends `call`, retrying as the policy says; returns a 2xx answer or throws.
    func send(_ call: Call) async throws(KubeError) -> Answer {
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        var refreshedToken = false
        while true {
            let error: KubeError
            do {
                let answer = try await sendOnce(call)
                if (200..<300).contains(answer.status) { return answer }
                error = Self.failure(answer, call: call)
            } catch let failure {
                error = failure
            }
            if error.status == 401, token.isRotating, !refreshedToken {
                // A rotated service-account token: read the file again, once.
                refreshedToken = true
                token.invalidate()
                continue
            }
            switch retryPolicy.decide(after: error, attempt: attempt, idempotent: call.idempotent, using: &generator) {
            case .fail:
                throw error
            case .retry(let wait):
                logger.debug("kubernetes call failed, retrying", metadata: [
                    "request": "\(call.summary)", "error": "\(error)", "attempt": "\(attempt + 1)", "wait": "\(wait)",
                ])
                do { try await Task.sleep(for: wait) } catch { throw KubeError.transport("cancelled", request: call.summary) }
                attempt += 1
            }
        }
    }

    private func sendOnce(_ call: Call) async throws(KubeError) -> Answer {
        requests.record(call.verb, path: call.path)
        logger.trace("kubernetes call", metadata: ["request": "\(call.summary)"])
        do {
            var request = try HTTPClient.Request(url: config.server + call.url, method: call.method,
                                                 body: call.body.map { .bytes($0) })
            addHeaders(&request.headers, contentType: call.contentType)
            // The delegate API's deadline covers the whole exchange, the body
            // included (the async API's stops at the head).
            let task = http.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: 256 << 20),
                                    deadline: .now() + Self.timeAmount(requestTimeout))
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return Answer(status: Int(response.status.code), headers: response.headers,
                          body: response.body.map { Data($0.readableBytesView) } ?? Data())
        } catch {
            throw KubeError.transport(Self.describe(error, timeout: requestTimeout), request: call.summary)
        }
    }

    func addHeaders(_ headers: inout HTTPHeaders, contentType: String?) {
        headers.add(name: "User-Agent", value: "serin")
        headers.add(name: "Accept", value: "application/json")
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        if let token = token.current() {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        } else if let basicAuthorization {
            headers.add(name: "Authorization", value: basicAuthorization)
        }
        if let identity = config.credentials.impersonation {
            headers.add(name: "Impersonate-User", value: identity.user)
            for group in identity.groups { headers.add(name: "Impersonate-Group", value: group) }
        }
    }

    static func failure(_ answer: Answer, call: Call) -> KubeError {
        let status = try? JSONDecoder().decode(KubeStatus.self, from: answer.body)
        let retryAfter = answer.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return KubeError.apiserver(status: answer.status, body: status,
                                   rawBody: String(decoding: answer.body, as: UTF8.self), request: call.summary,
                                   retryAfterSeconds: retryAfter)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000))
    }

    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout: return "no answer within \(timeout)"
            case .cancelled: return "cancelled"
            default: return "\(error)"
            }
        }
        if let error = error as? NIOConnectionError {
            return "cannot connect to \(error.host):\(error.port)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if error is CancellationError { return "cancelled" }
        return "\(error)"
    }
}
