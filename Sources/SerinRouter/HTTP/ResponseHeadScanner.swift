/// Scans a backend's response head: the status, how its body is framed,
/// and which fields are hop-by-hop (the router drops them and speaks for
/// itself about its own connection to the client).
struct ResponseHead: Equatable {
    enum Body: Equatable {
        case none
        case length(Int)
        case chunked
        /// No framing: the body ends when the backend closes.
        case untilClose
    }

    var status: Int
    var minorVersion: Int
    var body: Body
    /// The backend keeps the connection after this response.
    var keepAlive: Bool
    /// Byte ranges of whole lines (CRLF included) to leave out when forwarding.
    var hopByHop: [Range<Int>]
    /// Where the header lines start (after the status line) and the blank
    /// line that ends the head starts.
    var fieldsStart: Int
    var fieldsEnd: Int
    var length: Int
}

struct ResponseHeadScanner {
    enum Result: Equatable {
        case needMore
        case complete(ResponseHead)
        case invalid(String)
    }

    var maximumHeadLength = 64 * 1024

    /// `requestMethodIsHead`: a response to HEAD has no body whatever it says.
    func scan(_ bytes: UnsafeRawBufferPointer, requestMethodIsHead: Bool) -> Result {
        var hopByHop: [Range<Int>] = []
        return scan(bytes, requestMethodIsHead: requestMethodIsHead, reusing: &hopByHop)
    }

    /// `scan`, collecting the hop-by-hop ranges in `hopByHop` (emptied first):
    /// a connection keeps one array so that a response does not allocate one
    /// (nearly every backend response carries a Connection field).
    func scan(_ bytes: UnsafeRawBufferPointer, requestMethodIsHead: Bool, reusing hopByHop: inout [Range<Int>]) -> Result {
        hopByHop.removeAll(keepingCapacity: true)
        guard let end = HeadScanner.endOfHead(bytes, limit: maximumHeadLength) else {
            return bytes.count >= maximumHeadLength ? .invalid("response head larger than \(maximumHeadLength) bytes") : .needMore
        }
        guard end >= 14, HeadScanner.matches(bytes, at: 0, "HTTP/1."),
              bytes[7] == UInt8(ascii: "0") || bytes[7] == UInt8(ascii: "1"), bytes[8] == .space,
              let status = HeadScanner.decimal(bytes, 9..<12), status >= 100, status <= 999 else {
            return .invalid("malformed status line")
        }
        let minor = Int(bytes[7] - UInt8(ascii: "0"))
        var index = 12
        while index < end, bytes[index] != .lf { index += 1 }
        index += 1
        let fieldsStart = index
        var contentLength: Int?
        var chunked = false
        var transferEncoding = false
        var close = false
        var keepAliveToken = false
        while index < end - 2 {
            let lineStart = index
            let nameStart = index
            while index < end, HeadScanner.isToken(bytes[index]) { index += 1 }
            guard index > nameStart, index < end, bytes[index] == .colon else { return .invalid("malformed header field") }
            let name = nameStart..<index
            index += 1
            let initial = bytes[name.lowerBound] | 0x20
            guard initial == UInt8(ascii: "c") || initial == UInt8(ascii: "t") || initial == UInt8(ascii: "k")
                    || initial == UInt8(ascii: "p") else {
                // A field the router does not read (most of them): only its
                // line's end matters, found with memchr. The value ends at the
                // first CR or LF, and a CR must be followed by LF: so there is
                // an LF, and no CR before the byte just ahead of it.
                guard let lf = HeadScanner.firstIndex(of: .lf, in: bytes, from: index, to: end) else {
                    return .invalid("truncated head")
                }
                if HeadScanner.firstIndex(of: .cr, in: bytes, from: index, to: lf - 1) != nil { return .invalid("bare CR") }
                index = lf + 1
                continue
            }
            while index < end, bytes[index] == .space || bytes[index] == .tab { index += 1 }
            let valueStart = index
            var valueEnd = index
            while index < end, bytes[index] != .cr, bytes[index] != .lf {
                index += 1
                if bytes[index - 1] != .space && bytes[index - 1] != .tab { valueEnd = index }
            }
            guard index < end else { return .invalid("truncated head") }
            if bytes[index] == .cr { index += 1 }
            guard index < end, bytes[index] == .lf else { return .invalid("bare CR") }
            index += 1
            let value = valueStart..<valueEnd
            switch initial {
            case UInt8(ascii: "c"):
                if HeadScanner.equalsIgnoringCase(bytes, name, "content-length") {
                    guard let length = HeadScanner.decimal(bytes, value) else { return .invalid("invalid Content-Length") }
                    if let previous = contentLength, previous != length { return .invalid("conflicting Content-Length") }
                    contentLength = length
                } else if HeadScanner.equalsIgnoringCase(bytes, name, "connection") {
                    HeadScanner.forEachToken(bytes, value) { token in
                        if HeadScanner.equalsIgnoringCase(bytes, token, "close") { close = true }
                        if HeadScanner.equalsIgnoringCase(bytes, token, "keep-alive") { keepAliveToken = true }
                    }
                    hopByHop.append(lineStart..<index)
                }
            case UInt8(ascii: "t"):
                if HeadScanner.equalsIgnoringCase(bytes, name, "transfer-encoding") {
                    transferEncoding = true
                    var last: Range<Int>?
                    HeadScanner.forEachToken(bytes, value) { last = $0 }
                    chunked = last.map { HeadScanner.equalsIgnoringCase(bytes, $0, "chunked") } ?? false
                }
            case UInt8(ascii: "k"):
                if HeadScanner.equalsIgnoringCase(bytes, name, "keep-alive") { hopByHop.append(lineStart..<index) }
            case UInt8(ascii: "p"):
                if HeadScanner.equalsIgnoringCase(bytes, name, "proxy-connection") { hopByHop.append(lineStart..<index) }
            default:
                break
            }
        }
        let keepAlive = minor == 1 ? !close : keepAliveToken && !close
        let body: ResponseHead.Body
        if requestMethodIsHead || status < 200 || status == 204 || status == 304 {
            body = .none
        } else if transferEncoding {
            // A body that is not chunked last can only end with the connection.
            body = chunked ? .chunked : .untilClose
        } else if let contentLength {
            body = contentLength == 0 ? .none : .length(contentLength)
        } else {
            body = .untilClose
        }
        return .complete(ResponseHead(status: status, minorVersion: minor, body: body,
                                      keepAlive: keepAlive && body != .untilClose, hopByHop: hopByHop,
                                      fieldsStart: fieldsStart, fieldsEnd: end - 2, length: end))
    }
}
