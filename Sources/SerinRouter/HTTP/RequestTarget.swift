/// The parts of a request target that `match` conditions look at, as byte
/// ranges into the head: the path without its query (`/a/b` of
/// `/a/b?x=1`), the query, and for the absolute form a client may send
/// (`http://host/a?x=1`) its scheme and authority, which then stand for
/// the Host header (RFC 9112 §3.2.2).
struct RequestTarget {
    var path: Range<Int>
    var query: Range<Int>?
    var scheme: Range<Int>?
    var authority: Range<Int>?

    init(_ target: Range<Int>, in bytes: UnsafeRawBufferPointer) {
        var start = target.lowerBound
        let end = HeadScanner.firstIndex(of: UInt8(ascii: "#"), in: bytes, from: start, to: target.upperBound) ?? target.upperBound
        if start < end, bytes[start] != UInt8(ascii: "/"), bytes[start] != UInt8(ascii: "*"),
           let colon = HeadScanner.firstIndex(of: UInt8(ascii: ":"), in: bytes, from: start, to: end),
           colon + 2 < end, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") {
            scheme = start..<colon
            let authorityStart = colon + 3
            var authorityEnd = authorityStart
            while authorityEnd < end, bytes[authorityEnd] != UInt8(ascii: "/"), bytes[authorityEnd] != UInt8(ascii: "?") { authorityEnd += 1 }
            authority = authorityStart..<authorityEnd
            start = authorityEnd
        }
        if let mark = HeadScanner.firstIndex(of: UInt8(ascii: "?"), in: bytes, from: start, to: end) {
            path = start..<mark
            query = (mark + 1)..<end
        } else {
            path = start..<end
        }
    }
}
