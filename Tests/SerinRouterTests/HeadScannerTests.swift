import SerinTesting
import Testing
@testable import SerinRouter

func scan(_ text: String) -> HeadScanner.Result {
    Array(text.utf8).withUnsafeBytes { HeadScanner().scan($0) }
}

func head(_ text: String) -> RequestHead? {
    if case .complete(let head) = scan(text) { return head }
    return nil
}

func string(_ text: String, _ range: Range<Int>) -> String {
    String(decoding: Array(text.utf8)[range], as: UTF8.self)
}

@Suite struct HeadScannerTests {
    @Test func readsTheRequestLineAndFields() throws {
        let request = "GET /api/v1?x=1 HTTP/1.1\r\nHost: example\r\nX-Canary:  insider \r\nCookie: a=1; serin=canary\r\n\r\n"
        let parsed = try #require(head(request))
        #expect(string(request, parsed.method) == "GET")
        #expect(string(request, parsed.target) == "/api/v1?x=1")
        #expect(parsed.minorVersion == 1)
        #expect(parsed.fields.map { string(request, $0.name) } == ["Host", "X-Canary", "Cookie"])
        #expect(string(request, parsed.fields[1].value) == "insider")
        #expect(parsed.body == RequestHead.Body.none)
        #expect(parsed.keepAlive)
        #expect(parsed.length == request.utf8.count)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nConnection: Keep-Alive, Upgrade\r\n\r\n", true),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
    ])
    func decidesKeepAlive(_ request: String, _ keepAlive: Bool) {
        #expect(head(request)?.keepAlive == keepAlive)
    }

    @Test func framesBodies() {
        #expect(head("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n")?.body == .length(12))
        #expect(head("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n")?.body == .length(5))
        #expect(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")?.body == .chunked)
        #expect(head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")?.body == RequestHead.Body.none)
    }

    /// What request smugglers rely on is refused, not guessed at.
    @Test(arguments: [
        ("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflicting Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer-Encoding"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "unsupported Transfer-Encoding"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked encoding in HTTP/1.0"),
        ("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", "obsolete line folding"),
        ("GET / HTTP/1.1\r\nX-A : 1\r\n\r\n", "malformed header field"),
        ("GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n", "bare CR"),
        ("GET / HTTP/1.1\r\nX-A: a\u{01}b\r\n\r\n", "control character in a header value"),
        ("GET / HTTP/2.0\r\n\r\n", "unsupported HTTP version"),
        ("GET  / HTTP/1.1\r\n\r\n", "malformed request target"),
        ("G@T / HTTP/1.1\r\n\r\n", "malformed request line"),
    ])
    func refusesAmbiguousRequests(_ request: String, _ reason: String) {
        #expect(scan(request) == .invalid(reason))
    }

    @Test func waitsForTheWholeHeadAndBoundsIt() {
        #expect(scan("GET / HTTP/1.1\r\nHost: a\r\n") == .needMore)
        let huge = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 70_000)
        #expect(scan(huge) == .invalid("request head larger than 65536 bytes"))
    }

    /// Scanning is incremental: every prefix short of the whole head needs
    /// more, and the whole head gives the same result as one read.
    @Test func everyPrefixNeedsMoreUntilTheHeadIsComplete() {
        let request = "POST /upload HTTP/1.1\r\nHost: example\r\nTransfer-Encoding: chunked\r\n\r\nrest-of-body"
        let bytes = Array(request.utf8)
        let headLength = request.utf8.count - "rest-of-body".utf8.count
        for cut in 0..<headLength {
            #expect(Array(bytes[..<cut]).withUnsafeBytes { HeadScanner().scan($0) } == .needMore, "cut at \(cut)")
        }
        #expect(head(request)?.length == headLength)
    }
}

@Suite struct ChunkedBodyTrackerTests {
    func track(_ pieces: [String]) -> [ChunkedBodyTracker.Progress] {
        var tracker = ChunkedBodyTracker()
        return pieces.map { piece in Array(piece.utf8).withUnsafeBytes { tracker.consume($0) } }
    }

    @Test func findsTheEndOfAChunkedBody() {
        #expect(track(["5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"]) == [.finished(at: 32)])
        #expect(track(["4\r\nwiki\r\n0\r\nExpires: never\r\n\r\nGET / HTTP/1.1"]) == [.finished(at: 30)])
        #expect(track(["A\r\n0123456789\r\n", "0\r\n", "\r\n"]) == [.consumed, .consumed, .finished(at: 2)])
    }

    @Test func everySplitGivesTheSameEnd() {
        let body = Array("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n3;x\r\nabc\r\n0\r\nT: v\r\n\r\nNEXT".utf8)
        let end = body.count - 4
        for cut in 1..<body.count {
            var tracker = ChunkedBodyTracker()
            let first = Array(body[..<cut]).withUnsafeBytes { tracker.consume($0) }
            if cut >= end {
                #expect(first == .finished(at: end), "cut at \(cut)")
                continue
            }
            #expect(first == .consumed, "cut at \(cut)")
            let second = Array(body[cut...]).withUnsafeBytes { tracker.consume($0) }
            #expect(second == .finished(at: end - cut), "cut at \(cut)")
        }
    }

    @Test(arguments: [
        ("x\r\n", "malformed chunk size"),
        ("5\r\nhelloX\r\n", "chunk data not followed by CRLF"),
        ("5\nhello", "malformed chunk size"),
        ("5\r\r", "chunk size line without LF"),
        ("fffffffffffffff\r\n", "chunk size too large"),
        ("0\r\nBad Trailer\r\n\r\n", "malformed trailer"),
    ])
    func refusesMalformedChunks(_ body: String, _ reason: String) {
        #expect(track([body]).last == .invalid(reason))
    }
}

/// 100,000 random requests and random cuts: the scanner never crashes, and a head
/// read in two pieces gives the same verdict as one read.
@Suite struct HTTPScannerFuzzTests {
    @Test(arguments: 0..<4)
    func mutatedRequestsNeverCrashAndSplitsAgree(shard: Int) {
        var random = SeededRandom(seed: 0x40_0000 + UInt64(shard))
        let seeds = [
            "GET /a HTTP/1.1\r\nHost: x\r\nCookie: serin=canary\r\n\r\n",
            "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ].map { Array($0.utf8) }
        let alphabet = Array("\r\n :;,-\t0aZ\u{7f}".utf8) + [0, 200]
        for _ in 0..<25_000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                default: bytes.remove(at: at)
                }
                if bytes.isEmpty { bytes = [13] }
            }
            let whole = bytes.withUnsafeBytes { HeadScanner().scan($0) }
            var tracker = ChunkedBodyTracker()
            _ = bytes.withUnsafeBytes { tracker.consume($0) }
            guard case .complete(let head) = whole else { continue }
            // Any prefix that still holds the whole head gives the same head.
            let cut = Int.random(in: head.length...bytes.count, using: &random)
            #expect(Array(bytes[..<cut]).withUnsafeBytes { HeadScanner().scan($0) } == whole)
            #expect(head.length <= bytes.count)
            #expect(head.fields.allSatisfy { $0.name.upperBound <= head.length && $0.value.upperBound <= head.length })
        }
    }
}
