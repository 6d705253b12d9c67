import NIOCore
import Testing
@testable import SerinRouter

/// The proxy's connection state machine, driven with bytes: no sockets, no
/// event loop, no sleeps.
@Suite struct ProxyConnectionStateMachineTests {
    typealias Machine = ProxyConnectionStateMachine

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func machine(maximumQueuedBytes: Int = 1 << 20) -> Machine {
        Machine(allocator: ByteBufferAllocator(), maximumQueuedBytes: maximumQueuedBytes, now: start)
    }

    static func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    /// A client read that must be a whole head: routed to the primary, the
    /// upstream head being the request's own bytes (rewriting is tested elsewhere).
    static func route(_ machine: inout Machine, _ request: String, at now: NIODeadline = start) throws -> ByteBuffer {
        guard case .route(let head, var buffer) = machine.clientRead(ByteBuffer(string: request), now: now) else {
            Issue.record("no head in \(request)")
            throw CancellationError()
        }
        let upstreamHead = buffer.getSlice(at: buffer.readerIndex, length: head.length)!
        buffer.moveReaderIndex(forwardBy: head.length)
        machine.routed(head, role: .primary, setCookie: nil, isHead: false, upstreamHead: upstreamHead)
        _ = machine.requestBytes(after: &buffer)
        return upstreamHead
    }

    /// Everything the machine forwards of `response`, in order, as text; `finished` when it ended.
    static func respond(_ machine: inout Machine, _ parts: [String]) -> (written: String, finished: Bool?) {
        var written = ""
        var finished: Bool?
        for part in parts {
            machine.upstreamRead(ByteBuffer(string: part))
            loop: while let output = machine.nextResponseOutput() {
                switch output {
                case .write(let bytes): written += text(bytes)
                case .finished(let reusable):
                    finished = reusable
                    break loop
                case .invalid(let reason): written += "<invalid: \(reason)>"
                case .corrupt: written += "<corrupt>"
                }
            }
        }
        return (written, finished)
    }

    @Test func aKeepAliveExchangeEndsReadyForTheNext() throws {
        var machine = Self.machine()
        let head = try Self.route(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(machine.phase == .exchanging)
        let firstWrite = machine.attached(reused: false)
        #expect(firstWrite.map(Self.text) == Self.text(head))
        let (written, finished) = Self.respond(&machine, ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n", "ok"])
        #expect(written == "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        #expect(finished == true)
        #expect(machine.upstreamKeepable)
        #expect(machine.status == 200)
        let keptAlive = machine.exchangeEnded(now: Self.start)
        #expect(keptAlive)
        #expect(machine.phase == .awaitingHead)
    }

    /// A head split anywhere waits for the rest; so does a response head.
    @Test func headsSplitAcrossReadsWaitForTheRest() throws {
        var machine = Self.machine()
        if case .none = machine.clientRead(ByteBuffer(string: "GET / HTTP/1.1\r\nHo"), now: Self.start) {} else { Issue.record("acted on half a head") }
        guard case .route = machine.clientRead(ByteBuffer(string: "st: a\r\n\r\n"), now: Self.start) else {
            Issue.record("the whole head was not routed")
            return
        }
        let (written, finished) = Self.respond(&machine, ["HTTP/1.1 204 No", " Content\r\n\r\n"])
        #expect(written == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(finished == true)
    }

    /// A request behind the one in progress is kept unread, reads pause, and
    /// it is taken up once the first response is complete.
    @Test func aPipelinedRequestWaitsForTheResponseBeforeIt() throws {
        var machine = Self.machine()
        _ = try Self.route(&machine, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        let readNow = machine.read()
        #expect(readNow == false)
        _ = machine.attached(reused: false)
        #expect(Self.respond(&machine, ["HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"]).finished == true)
        let keptAlive = machine.exchangeEnded(now: Self.start)
        #expect(keptAlive)
        let readWaited = machine.resume(.pipelined)
        #expect(readWaited)
        guard case .route(let second, let buffer) = machine.nextRequest() else {
            Issue.record("the pipelined request was lost")
            return
        }
        let target = buffer.getString(at: buffer.readerIndex + second.target.lowerBound, length: second.target.count)
        #expect(target == "/2")
        #expect(machine.exchange == 2)
    }

    /// A pooled connection the backend had closed: a request without a body
    /// is sent again on a fresh one, at most until three backends were tried.
    @Test func aStalePooledConnectionIsReplacedAndTheRequestResent() throws {
        var machine = Self.machine()
        let head = try Self.route(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = machine.attached(reused: true)
        let closed = machine.upstreamClosed(attempts: 1)
        #expect(closed == .resend)
        let resent = machine.attached(reused: false)
        #expect(resent.map(Self.text) == Self.text(head))
        // A fresh connection that closes without answering is an answer: 502.
        let closedAgain = machine.upstreamClosed(attempts: 1)
        #expect(closedAgain == .respond(code: 502, message: "the backend closed the connection without answering"))
        var again = Self.machine()
        _ = try Self.route(&again, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = again.attached(reused: true)
        let closedAfterThree = again.upstreamClosed(attempts: 3)
        #expect(closedAfterThree != .resend)
    }

    /// A body cannot be replayed: the request fails instead of being sent twice.
    @Test func aRequestWithABodyIsNotResent() throws {
        var machine = Self.machine()
        _ = try Self.route(&machine, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        _ = machine.attached(reused: true)
        let closed = machine.upstreamClosed(attempts: 1)
        #expect(closed == .respond(code: 502, message: "the backend closed the connection without answering"))
    }

    /// Body bytes that arrive before the backend connection are queued and
    /// written first once it is attached; past the limit, reads pause.
    @Test func bodyBytesWaitForTheBackendConnection() throws {
        var machine = Self.machine(maximumQueuedBytes: 8)
        guard case .route(let head, var buffer) = machine.clientRead(ByteBuffer(string: "POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n0123456789"), now: Self.start) else {
            Issue.record("no head")
            return
        }
        buffer.moveReaderIndex(forwardBy: head.length)
        machine.routed(head, role: .canary, setCookie: nil, isHead: false, upstreamHead: ByteBuffer(string: "HEAD;"))
        guard case .body(let first, toUpstream: false) = machine.requestBytes(after: &buffer) else {
            Issue.record("the body was not queued")
            return
        }
        #expect(Self.text(first) == "0123456789")
        let readNow = machine.read()
        #expect(readNow == false, "over the queue's limit: reads pause")
        let firstWrite = machine.attached(reused: false)
        #expect(firstWrite.map(Self.text) == "HEAD;0123456789")
        guard case .body(let rest, toUpstream: true) = machine.clientRead(ByteBuffer(string: "abcdefghij"), now: Self.start) else {
            Issue.record("the rest of the body did not go to the backend")
            return
        }
        #expect(Self.text(rest) == "abcdefghij")
        #expect(!machine.readingRequestBody)
    }

    @Test func aChunkedResponseEndsAtItsLastChunk() throws {
        var machine = Self.machine()
        _ = try Self.route(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = machine.attached(reused: false)
        let (written, finished) = Self.respond(&machine, ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n", "0\r\n\r\n"])
        #expect(written.hasSuffix("2\r\nok\r\n0\r\n\r\n"))
        #expect(finished == true)
    }

    /// Bytes after a complete response: the backend connection cannot be reused.
    @Test func bytesAfterTheResponseSpoilTheBackendConnection() throws {
        var machine = Self.machine()
        _ = try Self.route(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = machine.attached(reused: false)
        #expect(Self.respond(&machine, ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA"]).finished == false)
    }

    /// `Connection: close` from the client: the response says so and the connection ends after it.
    @Test func aClientThatClosesGetsConnectionClose() throws {
        var machine = Self.machine()
        _ = try Self.route(&machine, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        _ = machine.attached(reused: false)
        let (written, finished) = Self.respond(&machine, ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"])
        #expect(written.lowercased().contains("connection: close\r\n"))
        #expect(finished == true)
        let keptAlive = machine.exchangeEnded(now: Self.start)
        #expect(keptAlive == false)
    }

    @Test func badInputIsAnsweredByTheRouter() throws {
        var machine = Self.machine()
        guard case .respond(400, let message) = machine.clientRead(ByteBuffer(string: "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), now: Self.start) else {
            Issue.record("a bad head was not refused")
            return
        }
        #expect(message.hasPrefix("bad request:"))
        let answer400 = machine.errorResponse(code: 400, message: message)
        let answer = try #require(answer400)
        #expect(Self.text(answer).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let answerAgain = machine.errorResponse(code: 502, message: "again")
        #expect(answerAgain == nil, "one answer per exchange")

        var upstream = Self.machine()
        _ = try Self.route(&upstream, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = upstream.attached(reused: false)
        #expect(Self.respond(&upstream, ["HTTX/1.1 200 OK\r\n\r\n"]).written.hasPrefix("<invalid: bad response from backend"))
    }

    @Test func theTimerClosesIdleConnectionsAndAnswersSlowBackends() throws {
        let second = TimeAmount.seconds(1)
        var machine = Self.machine()
        let early = machine.timerFired(now: Self.start + .milliseconds(500), idleTimeout: second, responseTimeout: second)
        #expect(early == .rearm)
        let idle = machine.timerFired(now: Self.start + .seconds(2), idleTimeout: second, responseTimeout: second)
        #expect(idle == .closeIdle)
        var waiting = Self.machine()
        _ = try Self.route(&waiting, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = waiting.attached(reused: false)
        let waited = waiting.timerFired(now: Self.start + .seconds(2), idleTimeout: second, responseTimeout: second)
        #expect(waited == .responseTimedOut)
        // Once an answer is under way the response timeout no longer applies.
        _ = Self.respond(&waiting, ["HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\npart"])
        let answering = waiting.timerFired(now: Self.start + .seconds(5), idleTimeout: second, responseTimeout: second)
        #expect(answering == .rearm)
    }
}
