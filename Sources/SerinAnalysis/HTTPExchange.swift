import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP request and its whole answer, through one AsyncHTTPClient per
/// process (a connection pool on NIO's shared event loops, kept alive
/// between Prometheus queries, webhooks, alerts and CLI calls).
public enum HTTPExchange {
    /// A refused connection fails the request at once: a Prometheus that is
    /// down is a query error now, counted by the error limit, not a request
    /// parked until its deadline while the pool retries; webhooks have their
    /// own retries. Never shut down: it lives as long as the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 5, allowCycles: false),
                                                     timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        // Many canaries query one Prometheus at each tick: 8 connections
        // (AsyncHTTPClient's default) queue their queries behind each other.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The answer, whatever its status; throws when none came within
    /// `timeout` (connecting, sending and reading the body included) or the
    /// body is larger than `bodyLimit`.
    public static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil,
                            timeout: Duration, bodyLimit: Int = 4 << 20) async throws(Failure) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "serin")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let amount = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + Int64(timeout.components.attoseconds / 1_000_000_000))
        let deadline = ContinuousClock.now + timeout, prepared = request
        do {
            // AsyncHTTPClient's deadline ends with the answer's head: a
            // server that sends a head and then stalls would hold the body
            // forever. The whole exchange races the deadline instead.
            return try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: amount)
                    let bytes = try await response.body.collect(upTo: bodyLimit)
                    return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView))
                }
                group.addTask {
                    try await Task.sleep(until: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else { throw HTTPClientError.deadlineExceeded }
                return answer
            }
        } catch {
            throw Failure(description: describe(error, timeout: timeout))
        }
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
        let amount = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + Int64(timeout.components.attoseconds / 1_000_000_000))
        do {
            let response = try await client.execute(request, timeout: amount)
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
        if error is NIOTooManyBytesError { return "the answer's body is too large" }
        if error is CancellationError { return Task.isCancelled ? "cancelled" : "no answer within \(timeout)" }
        return "\(error)"
    }
}
