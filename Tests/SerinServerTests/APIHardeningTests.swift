import Foundation
import SerinEngine
@testable import SerinServer
import SerinServerTesting
import SerinTesting
import Testing

/// What someone on the network can do to the API: paths that dodge the
/// token, more connections and streams than it should hold, a request head
/// that never ends, a page on another site reaching a loopback API through
/// DNS rebinding. Each answer is checked on the wire.
@Suite struct APIHardeningTests {
    let token = "s3cret-token"

    /// The router folds empty segments away (`//api/v1/sources` is
    /// `/api/v1/sources` to it); a check on the raw path's prefix did not.
    @Test(arguments: ["//api/v1/sources", "/api//v1/sources", "/api/v1//sources", "///api/v1/rollouts", "/./api/v1/sources",
                      "/api/./v1/workloads", "/dashboard/../api/v1/sources", "/api/v1/x/../sources", "/%2e/api/v1/sources",
                      "/api/v1/%2E%2E/v1/sources", "//api/v1/events", "/api/v1/sources/"])
    func oddPathsNeverReadWithoutTheToken(path: String) async throws {
        try await withAPIServer(FakeOperator(), token: token, dashboardAuth: .token) { port in
            let answer = try await TestHTTP.get(port: port, path)
            #expect(answer.status == 400 || answer.status == 401, "\(path): \(answer.status) \(answer.text.prefix(200))")
            #expect(!answer.text.contains("\"name\""), "\(path) revealed data: \(answer.text.prefix(200))")
        }
    }

    /// The same odd paths are refused even with reads open: a path is
    /// either the one the routes name or an error, never a guess.
    @Test func pathsWithEmptyDotOrDotDotSegmentsAre400() async throws {
        try await withAPIServer(FakeOperator()) { port in
            for path in ["//api/v1/sources", "/api/v1/../v1/sources", "/api/v1/./rollouts"] {
                let answer = try await TestHTTP.get(port: port, path)
                #expect(answer.status == 400, "\(path)")
                #expect(answer.error?.contains("path") == true, "\(answer.text)")
            }
            let plain = try await TestHTTP.get(port: port, "/api/v1/sources")
            #expect(plain.status == 200)
        }
    }

    /// Commands authorise on the route as well: an odd path to a command
    /// without the token changes nothing.
    @Test func oddPathsToCommandsChangeNothing() async throws {
        let fake = FakeOperator()
        try await withAPIServer(fake, token: token) { port in
            for path in ["//api/v1/rollouts/web/abort", "/api//v1/namespaces/default/rollouts/web/abort"] {
                let answer = try await TestHTTP.post(port: port, path)
                #expect(answer.status == 400 || answer.status == 401, "\(path): \(answer.status)")
            }
        }
        #expect(fake.commands.isEmpty)
    }

    /// 10,000 connections that send nothing: the server keeps at most its
    /// cap open (the oldest idle ones are closed to make room) and a probe
    /// still gets its answer in under a second.
    @Test(.timeLimit(.minutes(4)))
    func tenThousandIdleConnectionsLeaveReadyzAnswering() async throws {
        Self.raiseDescriptorLimit()
        let control = FakeOperator()
        control.setReady(true)
        try await withAPIServer(control) { port in
            let flood = try await offPool { try IdleFlood(port: port, count: 10_000) }
            defer { flood.close() }
            let started = ContinuousClock.now
            let ready = try await TestHTTP.get(port: port, "/readyz")
            let elapsed = ContinuousClock.now - started
            #expect(ready.status == 200)
            #expect(elapsed < .seconds(1), "/readyz took \(elapsed) with 10,000 idle connections")
            // The server closed the idle connections past its cap.
            let closed = try await offPool { flood.closedByServer(waitingUpTo: .seconds(30), atLeast: 10_000 - APIServer.Configuration.defaultMaxConnections) }
            #expect(closed >= 10_000 - APIServer.Configuration.defaultMaxConnections, "only \(closed) idle connections were closed")
        }
    }

    /// Past the cap on event streams a client gets 503 with Retry-After,
    /// and the streams already open go on.
    @Test func eventStreamsPastTheCapAre503WithRetryAfter() async throws {
        // A stream's slot comes back once a heartbeat finds its client gone: short heartbeats.
        try await withAPIServer(FakeOperator(), heartbeat: .milliseconds(200), configure: { $0.maxEventStreams = 3 }) { port in
            var streams: [EventStreamClient] = []
            defer { streams.forEach { $0.close() } }
            for _ in 0..<3 {
                let stream = try await EventStreamClient(port: port)
                #expect(stream.status == 200)
                _ = try await stream.next()
                streams.append(stream)
            }
            // Its head only: a stream that is served never ends.
            let refused = try await EventStreamClient(port: port)
            defer { refused.close() }
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] != nil)
            // One closes: a new one is taken.
            streams.removeFirst().close()
            try await eventually { (try? await EventStreamClient(port: port))?.status == 200 }
        }
    }

    /// A client that sends part of a request head and stalls is
    /// disconnected after the header timeout (slowloris).
    @Test func aHeadThatNeverEndsIsClosed() async throws {
        try await withAPIServer(FakeOperator(), configure: { $0.idleTimeout = .seconds(1) }) { port in
            let ended = try await offPool {
                let connection = try TestSocket(port: port, timeoutSeconds: 20)
                try connection.send(Array("GET /api/v1/rollouts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
                let started = Date()
                _ = try connection.readToEnd()
                return Date().timeIntervalSince(started)
            }
            #expect(ended < 15, "the stalled connection stayed open \(ended) s")
        }
    }

    /// A page on another site whose name resolves to 127.0.0.1 (DNS
    /// rebinding) sends its own Host: refused; loopback names are served.
    @Test func aForeignHostIsRefusedOnLoopback() async throws {
        try await withAPIServer(FakeOperator()) { port in
            for host in ["evil.example", "evil.example:\(port)", "127.0.0.1.nip.io:\(port)"] {
                let answer = try await TestHTTP.get(port: port, "/api/v1/rollouts", headers: ["Host": host])
                #expect(answer.status == 421, "Host \(host): \(answer.status)")
                #expect(answer.error?.contains("api.allowedHosts") == true, "\(answer.text)")
            }
            for host in ["127.0.0.1", "127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)", "LOCALHOST"] {
                let answer = try await TestHTTP.get(port: port, "/api/v1/rollouts", headers: ["Host": host])
                #expect(answer.status == 200, "Host \(host): \(answer.status)")
            }
        }
        try await withAPIServer(FakeOperator(), configure: { $0.allowedHosts = ["serin.example.com"] }) { port in
            let named = try await TestHTTP.get(port: port, "/api/v1/rollouts", headers: ["Host": "serin.example.com:\(port)"])
            #expect(named.status == 200)
        }
    }

    static func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    private func eventually(_ condition: () async -> Bool) async throws {
        for _ in 0..<200 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the condition did not hold within 10 s")
    }
}

/// Many TCP connections that never send a byte.
final class IdleFlood: Sendable {
    let descriptors: [Int32]

    init(port: Int, count: Int) throws {
        var descriptors: [Int32] = []
        descriptors.reserveCapacity(count)
        do {
            for _ in 0..<count { descriptors.append(try Loopback.connect(port: port, receiveTimeout: .milliseconds(1))) }
        } catch {
            for fd in descriptors { Glibc.close(fd) }
            throw error
        }
        self.descriptors = descriptors
    }

    /// How many of the connections the server has closed (a read sees the
    /// end of the stream), waiting until at least `expected` are.
    func closedByServer(waitingUpTo limit: Duration, atLeast expected: Int) -> Int {
        let deadline = ContinuousClock.now + limit
        var closed = Set<Int32>()
        var byte: UInt8 = 0
        repeat {
            for fd in descriptors where !closed.contains(fd) {
                let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { closed.insert(fd) }
            }
            if closed.count >= expected { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while ContinuousClock.now < deadline
        return closed.count
    }

    func close() {
        for fd in descriptors { Glibc.close(fd) }
    }
}
