import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

@testable import SerinKubernetes

/// A fault injector in front of the real apiserver: plain HTTP on
/// 127.0.0.1 for the client under test, every request passed on over TLS
/// to the apiserver (its credentials go through untouched), answers and
/// watch streams passed back as they come. A test arms faults that the
/// apiserver would give in bad moments and the test cluster cannot be
/// made to give on demand: 409 Conflict and 429 Too Many Requests (with
/// Retry-After) on chosen requests, a watch that expires (a stream
/// ended by an `ERROR` event with the 410 `Expired` Status, as a real
/// apiserver sends when the resume point is gone), and requests held
/// unanswered (each keeps its connection busy, as a saturated apiserver
/// does). Everything passed or answered is recorded.
final class FaultInjectingProxy: Sendable {
    struct Request: Sendable, CustomStringConvertible {
        var method: String
        var uri: String
        /// What the client got: the apiserver's status or the injected one.
        var status: Int = 0
        var injected = false
        /// The request's body as the client sent it.
        var body = Data()

        var path: String { String(uri.prefix { $0 != "?" }) }
        var isWatch: Bool { uri.contains("watch=true") || uri.contains("watch=1") }
        var description: String { "\(method) \(uri) → \(status)\(injected ? " (injected)" : "")" }
    }

    /// A fault armed for the next `count` requests that `matches` accepts.
    struct Fault: Sendable {
        enum Answer: Sendable {
            case status(Int, reason: String, retryAfter: Int?)
            /// A watch answered 200 with one `ERROR` 410 Expired event, then the end.
            case expiredWatch
            /// Never answered (a watch gets its 200 head, then no event):
            /// the request holds its connection until the client gives up
            /// or the proxy stops.
            case hold
        }

        var answer: Answer
        var count: Int
        var matches: @Sendable (Request) -> Bool
    }

    private struct State {
        var faults: [Fault] = []
        var log: [Request] = []
        /// Open watches that `expireWatches` may end, by a number of their own.
        var watches: [Int: (request: Request, end: @Sendable () -> Void)] = [:]
        var nextWatch = 0
        var held = 0
        /// Connections accepted and not yet taken by the serving loop: one
        /// accepted as the proxy stops may never reach the loop, and a
        /// wrapper dropped unfinished stops the process (NIO's "Deinited
        /// NIOAsyncWriter without calling finish()", seen once after the
        /// flood test); `stop` closes what is left here.
        var accepted: [ObjectIdentifier: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>] = [:]
    }

    let port: Int
    private let upstream: String
    private let http: HTTPClient
    private let state = NIOLockedValueBox(State())
    private let listener: any Channel
    private let task: Task<Void, Never>

    /// A proxy to the apiserver of `config` (its server and CA; the
    /// credentials are the client's, passed through).
    init(to config: KubeConfig) async throws {
        upstream = config.server
        var configuration = HTTPClient.Configuration(tlsConfiguration: try KubeClient.tlsConfiguration(config), redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10)))
        configuration.httpVersion = .http1Only
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.http = http
        let box = state
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    box.withLockedValue { $0.accepted[ObjectIdentifier(channel)] = connection }
                    return connection
                }
            }
        port = server.channel.localAddress?.port ?? 0
        listener = server.channel
        let upstream = self.upstream
        task = Task {
            try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            box.withLockedValue { $0.accepted[ObjectIdentifier(connection.channel)] = nil }
                            group.addTask { await Self.serve(connection, upstream: upstream, http: http, state: box) }
                        }
                    } catch {}
                    group.cancelAll()
                }
            }
        }
    }

    /// Stops listening first, so every connection already accepted is
    /// still taken from the listener and served (or closed): one dropped
    /// unread stops the process (NIO: "Deinited NIOAsyncWriter without
    /// calling finish()"), as a client whose queued calls connect while
    /// the proxy stops showed. Then ends what it serves.
    func stop() async {
        try? await listener.close()
        _ = await task.value
        // Accepted, never served: finished and closed here.
        let left = state.withLockedValue { state in
            defer { state.accepted = [:] }
            return Array(state.accepted.values)
        }
        for connection in left {
            try? await connection.executeThenClose { _, _ in }
        }
        try? await http.shutdown()
    }

    /// Arms a fault for the next `count` requests `matches` accepts.
    func inject(_ answer: Fault.Answer, count: Int, where matches: @escaping @Sendable (Request) -> Bool) {
        state.withLockedValue { $0.faults.append(Fault(answer: answer, count: count, matches: matches)) }
    }

    /// Ends the open watches `matches` accepts with an `ERROR` 410 Expired
    /// event, as a real apiserver does when their resume point is gone;
    /// returns how many it ended.
    @discardableResult
    func expireWatches(where matches: @escaping @Sendable (Request) -> Bool) -> Int {
        let ends = state.withLockedValue { state in state.watches.values.filter { matches($0.request) }.map(\.end) }
        for end in ends { end() }
        return ends.count
    }

    /// Requests `.hold` took so far, each on a connection of its own
    /// (HTTP/1.1: one request at a time on a connection).
    var held: Int { state.withLockedValue { $0.held } }

    /// Faults armed and not yet given.
    var pendingFaults: Int { state.withLockedValue { $0.faults.reduce(0) { $0 + $1.count } } }

    var log: [Request] { state.withLockedValue { $0.log } }

    static let expiredEvent = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: injected by the test's fault proxy","reason":"Expired","code":410}}"# + "\n"

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, upstream: String,
                              http: HTTPClient, state: NIOLockedValueBox<State>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let received):
                    head = received
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let received = head else { continue }
                    try await answer(received, body: body, upstream: upstream, http: http, state: state, outbound: outbound)
                    head = nil
                }
            }
        }
    }

    private static func answer(_ head: HTTPRequestHead, body: ByteBuffer, upstream: String, http: HTTPClient,
                               state: NIOLockedValueBox<State>, outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var request = Request(method: head.method.rawValue, uri: head.uri)
        request.body = Data(body.readableBytesView)
        let fault: Fault.Answer? = state.withLockedValue { state in
            guard let index = state.faults.firstIndex(where: { $0.count > 0 && $0.matches(request) }) else { return nil }
            state.faults[index].count -= 1
            let answer = state.faults[index].answer
            state.faults.removeAll { $0.count == 0 }
            return answer
        }
        switch fault {
        case .status(let status, let reason, let retryAfter):
            request.status = status
            request.injected = true
            state.withLockedValue { $0.log.append(request) }
            let text = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected by the test's fault proxy","reason":"\#(reason)","code":\#(status)}"#
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count)")])
            if let retryAfter { headers.add(name: "Retry-After", value: "\(retryAfter)") }
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
            try await outbound.write(.end(nil))
            return
        case .expiredWatch:
            request.status = 200
            request.injected = true
            state.withLockedValue { $0.log.append(request) }
            let text = Self.expiredEvent
            let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count)")])
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
            try await outbound.write(.end(nil))
            return
        case .hold:
            request.injected = true
            if request.isWatch {
                request.status = 200
                try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                                headers: ["Content-Type": "application/json", "Transfer-Encoding": "chunked"])))
            }
            state.withLockedValue {
                $0.log.append(request)
                $0.held += 1
            }
            // Until the proxy stops: the client's connection stays busy.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        case nil:
            break
        }

        var forwarded = HTTPClientRequest(url: upstream + head.uri)
        forwarded.method = head.method
        for (name, value) in head.headers where !["host", "connection", "content-length", "transfer-encoding"].contains(name.lowercased()) {
            forwarded.headers.add(name: name, value: value)
        }
        if body.readableBytes > 0 { forwarded.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(forwarded, timeout: .seconds(3600))
        } catch {
            request.status = 502
            state.withLockedValue { $0.log.append(request) }
            let text = "fault proxy: the apiserver is out of reach: \(error)"
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .badGateway, headers: ["Content-Length": "\(text.utf8.count)"])))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
            try await outbound.write(.end(nil))
            return
        }
        request.status = Int(response.status.code)
        var headers = HTTPHeaders()
        for (name, value) in response.headers where !["connection", "content-length", "transfer-encoding"].contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        headers.add(name: "Transfer-Encoding", value: "chunked")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))

        // A watch can be ended by the test with an expiry: the stream is
        // read in a child task that `expireWatches` cancels.
        let watchID: Int? = request.isWatch && response.status == .ok
            ? state.withLockedValue { state in
                state.nextWatch += 1
                return state.nextWatch
            } : nil
        state.withLockedValue { $0.log.append(request) }
        let expired = NIOLockedValueBox(false)
        let streaming = Task {
            for try await chunk in response.body {
                try await outbound.write(.body(.byteBuffer(chunk)))
            }
        }
        if let watchID {
            state.withLockedValue { state in
                state.watches[watchID] = (request, {
                    expired.withLockedValue { $0 = true }
                    streaming.cancel()
                })
            }
        }
        let result = await withTaskCancellationHandler {
            await streaming.result
        } onCancel: {
            streaming.cancel()
        }
        if let watchID { state.withLockedValue { _ = $0.watches.removeValue(forKey: watchID) } }
        if expired.withLockedValue({ $0 }) {
            // Ended by the test: the apiserver's way of saying so.
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: Self.expiredEvent))))
        } else {
            try result.get()
        }
        try await outbound.write(.end(nil))
    }
}
