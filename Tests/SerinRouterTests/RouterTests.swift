import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SerinTesting
import Testing
@testable import SerinRouter

/// A router in front of a primary and a canary test backend.
struct RouterFixture {
    let router: RouterServer
    let primary: TestBackend
    let canary: TestBackend
    let port: Int

    static func start(canaryWeight: Int = 0, mirrorWeight: Int = 0, match: [MatchCondition] = [],
                      affinity: SessionAffinity? = nil, primaryBackends: [String]? = nil,
                      options: RouterOptions = RouterOptions()) async throws -> RouterFixture {
        let primary = try await TestBackend("primary")
        let canary = try await TestBackend("canary")
        let router = RouterServer(options: options)
        try await router.apply(RouteTable(version: 1, routes: [
            Route(workload: "web", listen: "127.0.0.1:0", primary: primaryBackends ?? [primary.address], canary: [canary.address],
                  canaryWeight: canaryWeight, mirrorWeight: mirrorWeight, match: match, sessionAffinity: affinity),
        ]))
        let port = try #require(await router.boundAddresses()["web"])
        return RouterFixture(router: router, primary: primary, canary: canary, port: port)
    }

    func route(version: Int, canaryWeight: Int = 0, primary: [String]? = nil, canary: [String]? = nil) -> RouteTable {
        RouteTable(version: version, routes: [
            Route(workload: "web", listen: "127.0.0.1:\(port)", primary: primary ?? [self.primary.address],
                  canary: canary ?? [self.canary.address], canaryWeight: canaryWeight),
        ])
    }

    func stop() async {
        await router.shutdown()
        await primary.stop()
        await canary.stop()
    }
}

@Suite struct RouterTests {
    @Test(arguments: [0, 10, 37, 100])
    func weightsHoldOverTenThousandRequests(weight: Int) async throws {
        let fixture = try await RouterFixture.start(canaryWeight: weight)
        let port = fixture.port
        let counted: (canary: Int, failures: Int)
        do {
            counted = try await offPool { () -> (Int, Int) in
                var canary = 0, failures = 0
                let connections = try (0..<4).map { _ in try TestConnection(port: port) }
                for index in 0..<10_000 {
                    let response = try connections[index % 4].getNow("/")
                    if response.status != 200 { failures += 1 }
                    if response.text == "canary\n" { canary += 1 }
                }
                return (canary, failures)
            }
        } catch {
            await fixture.stop()
            throw error
        }
        let (canary, failures) = counted
        #expect(failures == 0)
        // Within ±1 percentage point; the split is an accumulator, not a draw.
        #expect(abs(Double(canary) / 100 - Double(weight)) <= 1, "\(canary) of 10000 went to the canary at weight \(weight)")
        await fixture.stop()
    }

    @Test func headerAndCookieMatchSendToTheCanary() async throws {
        let fixture = try await RouterFixture.start(match: [
            MatchCondition(headers: ["x-canary": StringMatch(exact: "insider")]),
            MatchCondition(headers: ["cookie": StringMatch(regex: "^(.*?;)?(canary=always)(;.*)?$")]),
        ])
        let connection = try TestConnection(port: fixture.port)
        #expect(try await connection.get("/").text == "primary\n")
        #expect(try await connection.get("/", headers: ["X-Canary": "insider"]).text == "canary\n")
        #expect(try await connection.get("/", headers: ["X-Canary": "outsider"]).text == "primary\n")
        #expect(try await connection.get("/", headers: ["Cookie": "canary=always; a=1"]).text == "canary\n")
        #expect(try await connection.get("/", headers: ["Cookie": "a=1;canary=always"]).text == "canary\n")
        #expect(try await connection.get("/", headers: ["Cookie": "canary=never"]).text == "primary\n")
        await fixture.stop()
    }

    @Test func mirroringCopiesRequestsAndServesThePrimarysAnswer() async throws {
        let fixture = try await RouterFixture.start(mirrorWeight: 100)
        let connection = try TestConnection(port: fixture.port)
        let body = Array("mirrored body".utf8)
        for _ in 0..<20 {
            let response = try await connection.post("/echo", body: body)
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.header("x-backend") == "primary")
        }
        try? await eventually("the canary got the 20 copies") { fixture.canary.requestCount >= 20 }
        #expect(fixture.canary.requestCount == 20)
        #expect(fixture.canary.requests.allSatisfy { $0.path == "/echo" && $0.body == body })
        #expect(fixture.primary.requestCount == 20)
        // The copy is counted when the canary closes its connection, a moment after it answered.
        try? await eventually("the copies are counted") {
            await fixture.router.metricsText().contains("role=\"canary\",revision=\"\",code=\"200\"} 20")
        }
        let metrics = await fixture.router.metricsText()
        #expect(metrics.contains("serin_router_requests_total{workload=\"web\",role=\"canary\",revision=\"\",code=\"200\"} 20"))
        #expect(metrics.contains("serin_router_mirrored_requests_total{workload=\"web\"} 20"))
        await fixture.stop()
    }

    @Test func stickySessionsKeepAClientOnTheCanary() async throws {
        let fixture = try await RouterFixture.start(canaryWeight: 50, affinity: SessionAffinity(cookieName: "serin-canary", maxAge: 60))
        let connection = try TestConnection(port: fixture.port)
        var cookie: String?
        for _ in 0..<4 {
            let response = try await connection.get("/")
            if response.text == "canary\n" {
                cookie = response.header("set-cookie")
                #expect(cookie?.contains("Max-Age=60") == true)
            } else {
                #expect(response.header("set-cookie") == nil)
            }
        }
        let pair = try #require(cookie?.split(separator: ";").first.map(String.init))
        for _ in 0..<50 {
            #expect(try await connection.get("/", headers: ["Cookie": "other=1; \(pair)"]).text == "canary\n")
        }
        await fixture.stop()
    }

    @Test func hopByHopFieldsAreDroppedAndForwardedForAdded() async throws {
        let fixture = try await RouterFixture.start()
        let connection = try TestConnection(port: fixture.port)
        let response = try await connection.get("/headers", headers: [
            "Connection": "keep-alive, X-Secret", "X-Secret": "1", "Keep-Alive": "timeout=5",
            "X-Forwarded-For": "10.0.0.1", "X-Forwarded-Proto": "https", "TE": "trailers", "X-Kept": "yes",
        ])
        let lines = Set(response.text.split(separator: "\n").map(String.init))
        #expect(lines.contains("x-forwarded-for: 10.0.0.1, 127.0.0.1"))
        #expect(lines.contains("x-forwarded-proto: http"))
        #expect(lines.contains("x-kept: yes"))
        #expect(lines.contains("host: test"))
        #expect(!lines.contains { $0.hasPrefix("x-secret") || $0.hasPrefix("keep-alive") || $0.hasPrefix("te:") || $0.hasPrefix("connection") })
        await fixture.stop()
    }

    @Test func bodiesStreamBothWaysWithLengthOrChunks() async throws {
        let fixture = try await RouterFixture.start()
        let connection = try TestConnection(port: fixture.port)
        let body = [UInt8](repeating: 0, count: 2 << 20).enumerated().map { UInt8(truncatingIfNeeded: $0.offset * 31 / 7) }
        let echoed = try await connection.post("/echo", body: body)
        #expect(echoed.body == body)
        // Chunked, in uneven pieces, with an extension and a trailer.
        var request = Array("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var expected: [UInt8] = []
        for size in [1, 4096, 70_000, 3] {
            let piece = Array(body[0..<size])
            expected += piece
            request += Array("\(String(size, radix: 16));ext=1\r\n".utf8) + piece + Array("\r\n".utf8)
        }
        request += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
        try await connection.send(request)
        let response = try await connection.readResponse()
        #expect(response.body == expected)
        #expect(try await connection.get("/").text == "primary\n")
        await fixture.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let fixture = try await RouterFixture.start()
        let connection = try TestConnection(port: fixture.port)
        try await connection.send("GET /slow/100 HTTP/1.1\r\nHost: t\r\n\r\nGET /status/201 HTTP/1.1\r\nHost: t\r\n\r\nGET /headers HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse().text == "primary\n")
        #expect(try await connection.readResponse().status == 201)
        #expect(try await connection.readResponse().text.contains("host: t"))
        await fixture.stop()
    }

    @Test func aRefusingBackendIsSkippedAndTheRequestRetried() async throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        let dead = refusing.address
        let live = try await TestBackend("live")
        let fixture = try await RouterFixture.start(primaryBackends: [dead, live.address])
        for _ in 0..<20 {
            let connection = try TestConnection(port: fixture.port)
            let response = try await connection.get("/", headers: ["Connection": "close"])
            #expect(response.status == 200)
            #expect(response.text == "live\n")
        }
        await live.stop()
        await fixture.stop()
    }

    @Test func noBackendLeftAnswers502AndCountsIt() async throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        let dead = refusing.address
        let fixture = try await RouterFixture.start(primaryBackends: [dead])
        let connection = try TestConnection(port: fixture.port)
        let response = try await connection.get("/")
        #expect(response.status == 502)
        #expect(response.header("connection") == "close")
        #expect(await fixture.router.metricsText().contains("role=\"primary\",revision=\"\",code=\"502\"} 1"))
        await fixture.stop()
    }

    @Test func aSlowBackendGets504AfterTheResponseTimeout() async throws {
        var options = RouterOptions()
        options.responseTimeout = .milliseconds(200)
        let fixture = try await RouterFixture.start(options: options)
        let connection = try TestConnection(port: fixture.port)
        let started = ContinuousClock.now
        #expect(try await connection.get("/slow/20000").status == 504)
        #expect(ContinuousClock.now - started < .seconds(10))
        await fixture.stop()
    }

    @Test func aRequestInFlightFinishesOnTheBackendItStartedOn() async throws {
        let fixture = try await RouterFixture.start()
        let connection = try TestConnection(port: fixture.port, timeoutSeconds: 45)
        // The primary answers 30 s after the request reached it (the test
        // connection reads for 45 s at most): the table change comes before
        // even in a whole parallel run on a loaded machine (8 s was passed
        // once, at 8.6 s).
        try await connection.send("GET /slow/30000 HTTP/1.1\r\nHost: t\r\n\r\n")
        try await eventually("the request reached the primary") { fixture.primary.requestCount == 1 }
        let arrived = ContinuousClock.now
        // The primary leaves the table while its request is in flight.
        try await fixture.router.apply(fixture.route(version: 2, canaryWeight: 100, primary: [fixture.canary.address]))
        #expect(ContinuousClock.now - arrived < .seconds(30), "the table changed after the answer, not while the request was in flight")
        let response = try await connection.readResponse()
        #expect(response.text == "primary\n")
        #expect(try await connection.get("/").text == "canary\n")
        await fixture.stop()
    }

    @Test func tablesAreVersionedAndIdempotent() async throws {
        let fixture = try await RouterFixture.start()
        let next = fixture.route(version: 2, canaryWeight: 30)
        #expect(try await fixture.router.apply(next) == .init(version: 2, changed: true))
        #expect(try await fixture.router.apply(next) == .init(version: 2, changed: false))
        await #expect(throws: RouterServer.ConflictError.self) { try await fixture.router.apply(fixture.route(version: 1)) }
        await #expect(throws: RouterServer.ConflictError.self) { try await fixture.router.apply(fixture.route(version: 2, canaryWeight: 31)) }
        await #expect(throws: RouteTableError.self) { try await fixture.router.apply(fixture.route(version: 3, canaryWeight: 101)) }
        #expect(await fixture.router.currentTable == next)
        await fixture.stop()
    }

    @Test func theControlSocketReadsAndReplacesTheTable() async throws {
        let fixture = try await RouterFixture.start()
        let directory = try TemporaryDirectory()
        let socket = directory.path + "/router.sock"
        let control = try await AdminServer.listen(fixture.router, unixSocket: socket)
        // Sized for a loaded machine: the default 5 s is the operator's, which retries.
        let client = RouterControlClient(socketPath: socket, timeout: .seconds(30))
        #expect(try await client.table().version == 1)
        #expect(try await client.apply(fixture.route(version: 5, canaryWeight: 100)) == .init(version: 5, changed: true))
        #expect(try await TestConnection(port: fixture.port).get("/").text == "canary\n")
        await #expect(throws: RouterControlClient.Failure.self) { try await client.apply(fixture.route(version: 4)) }
        try await control.close()
        await fixture.stop()
    }

    @Test func weightChangesUnderLoadFailNoRequest() async throws {
        let fixture = try await RouterFixture.start()
        let stop = ManagedFlag()
        let answered = NIOLockedValueBox(0)
        let port = fixture.port
        let load = Task { try await offPool { () -> (ok: Int, failed: Int) in
            var ok = 0, failed = 0
            let connections = try (0..<4).map { _ in try TestConnection(port: port) }
            var index = 0
            while !stop.isSet {
                let response = try? connections[index % 4].getNow("/")
                if response?.status == 200 { ok += 1 } else { failed += 1 }
                answered.withLockedValue { $0 += 1 }
                index += 1
                usleep(4_000) // about 200 requests/s
            }
            return (ok, failed)
        } }
        var version = 2
        for weight in Array(stride(from: 0, through: 100, by: 5)) + Array(stride(from: 95, through: 0, by: -5)) {
            try await fixture.router.apply(fixture.route(version: version, canaryWeight: weight))
            version += 1
            // Requests under each table, however slow the machine.
            let before = answered.withLockedValue { $0 }
            try await eventually("5 requests at weight \(weight)") { answered.withLockedValue { $0 } >= before + 5 }
        }
        stop.set()
        let result = try await load.value
        #expect(result.failed == 0)
        #expect(result.ok > 100)
        #expect(fixture.canary.requestCount > 0)
        await fixture.stop()
    }
}

/// A flag a detached load loop polls.
final class ManagedFlag: Sendable {
    private let value = NIOLockedValueBox(false)
    var isSet: Bool { value.withLockedValue { $0 } }
    func set() { value.withLockedValue { $0 = true } }
}

/// A release is judged on its own revision's answers: the router's series
/// carry the revision that answered.
@Suite struct RevisionMetricsTests {
    func table(_ fixture: RouterFixture, version: Int, canaryRevision: String) -> RouteTable {
        RouteTable(version: version, routes: [
            Route(workload: "web", listen: "127.0.0.1:\(fixture.port)", primary: [fixture.primary.address], canary: [fixture.canary.address],
                  canaryWeight: 100, primaryRevision: "aaa", canaryRevision: canaryRevision),
        ])
    }

    @Test func eachRevisionHasItsOwnSeriesAndAReleasedOneStopsGrowing() async throws {
        let fixture = try await RouterFixture.start(canaryWeight: 100)
        try await fixture.router.apply(table(fixture, version: 2, canaryRevision: "bad"))
        let connection = try TestConnection(port: fixture.port)
        for _ in 0..<5 { _ = try await connection.get("/") }
        try await fixture.router.apply(table(fixture, version: 3, canaryRevision: "good"))
        for _ in 0..<3 { _ = try await connection.get("/") }
        let metrics = await fixture.router.metricsText()
        #expect(metrics.contains(#"serin_router_requests_total{workload="web",role="canary",revision="bad",code="200"} 5"#), "\(metrics)")
        #expect(metrics.contains(#"serin_router_requests_total{workload="web",role="canary",revision="good",code="200"} 3"#), "\(metrics)")
        #expect(metrics.contains(#"serin_router_request_duration_seconds_count{workload="web",role="canary",revision="good"} 3"#))
        // The primary answered nothing: its series is there, at zero.
        #expect(metrics.contains(#"serin_router_request_duration_seconds_count{workload="web",role="primary",revision="aaa"} 0"#))
        // A revision that comes back continues its series.
        try await fixture.router.apply(table(fixture, version: 4, canaryRevision: "bad"))
        _ = try await connection.get("/")
        #expect(await fixture.router.metricsText().contains(#"revision="bad",code="200"} 6"#))
        await fixture.stop()
    }

    @Test func aRevisionThatIsNotPrintableIsRefused() async throws {
        let router = RouterServer(options: RouterOptions())
        await #expect(throws: (any Error).self) {
            try await router.apply(RouteTable(version: 1, routes: [
                Route(workload: "web", listen: "127.0.0.1:0", primary: [], canaryRevision: "a b"),
            ]))
        }
        await router.shutdown()
    }
}
