import NIOCore

/// Writes the head a backend receives: the client's request line and fields
/// as they were, less the hop-by-hop ones (and any the client's Connection
/// field names), with X-Forwarded-For extended and X-Forwarded-Proto set.
///
/// Bytes kept as they are go out in runs, one `writeBytes` for many lines:
/// each write into a ByteBuffer is a call into NIO with its own checks, and
/// a head was a dozen of them.
enum RequestRewriter {
    /// The lines the router adds at the end of a head, for a client at
    /// `clientAddress` that sent no X-Forwarded-For, blank line included:
    /// made once per connection.
    static func forwardedTail(clientAddress: [UInt8]) -> [UInt8] {
        Array("x-forwarded-for: ".utf8) + clientAddress + Array("\r\nx-forwarded-proto: http\r\n\r\n".utf8)
    }

    static func write(_ head: RequestHead, _ bytes: UnsafeRawBufferPointer, clientAddress: [UInt8], connectionClose: Bool,
                      tail: [UInt8]? = nil, into out: inout ByteBuffer) {
        // The run being copied: the request line (CRLF included) to begin with.
        var run = 0..<(head.target.upperBound + 11)
        var connectionTokens: [Range<Int>] = []
        for field in head.fields where HeadScanner.equalsIgnoringCase(bytes, field.name, "connection") {
            HeadScanner.forEachToken(bytes, field.value) { connectionTokens.append($0) }
        }
        var forwardedFor: [Range<Int>] = []
        for field in head.fields {
            let name = field.name
            if isHopByHop(bytes, name) { continue }
            if HeadScanner.equalsIgnoringCase(bytes, name, "x-forwarded-for") {
                forwardedFor.append(field.value)
                continue
            }
            if HeadScanner.equalsIgnoringCase(bytes, name, "x-forwarded-proto") { continue }
            if !connectionTokens.isEmpty, connectionTokens.contains(where: { sameIgnoringCase(bytes, $0, name) }) { continue }
            // The line is sent as `name: value` CRLF, the value trimmed. When it
            // ends with its value (no trailing blanks) that is its bytes as
            // received, and it extends the run if it follows it.
            let valueEnd = field.value.upperBound
            let asReceived = bytes[valueEnd] == .cr
            if asReceived && name.lowerBound == run.upperBound {
                run = run.lowerBound..<(valueEnd + 2)
                continue
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[run]))
            if asReceived {
                run = name.lowerBound..<(valueEnd + 2)
            } else {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[name.lowerBound..<valueEnd]))
                out.writeStaticString("\r\n")
                run = 0..<0
            }
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[run]))
        if let tail, forwardedFor.isEmpty, !connectionClose {
            out.writeBytes(tail)
            return
        }
        out.writeStaticString("x-forwarded-for: ")
        for range in forwardedFor where !range.isEmpty {
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
            out.writeStaticString(", ")
        }
        out.writeBytes(clientAddress)
        out.writeStaticString("\r\nx-forwarded-proto: http\r\n")
        if connectionClose { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
    }

    /// RFC 9110 §7.6.1's hop-by-hop fields. Transfer-Encoding stays: the
    /// body is forwarded chunked as it came.
    static func isHopByHop(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        switch bytes[name.lowerBound] | 0x20 {
        case UInt8(ascii: "c"): return HeadScanner.equalsIgnoringCase(bytes, name, "connection")
        case UInt8(ascii: "k"): return HeadScanner.equalsIgnoringCase(bytes, name, "keep-alive")
        case UInt8(ascii: "p"): return HeadScanner.equalsIgnoringCase(bytes, name, "proxy-connection")
        case UInt8(ascii: "t"): return HeadScanner.equalsIgnoringCase(bytes, name, "te")
        case UInt8(ascii: "u"): return HeadScanner.equalsIgnoringCase(bytes, name, "upgrade")
        default: return false
        }
    }

    static func sameIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { (bytes[$0] | 0x20) == (bytes[$1] | 0x20) }
    }
}

/// Writes the head a client receives: the backend's, as HTTP/1.1, less its
/// hop-by-hop fields, plus the router's own Connection and Set-Cookie.
enum ResponseRewriter {
    static func write(_ head: ResponseHead, _ bytes: UnsafeRawBufferPointer, setCookie: String?, connectionClose: Bool,
                      into out: inout ByteBuffer) {
        // The status line is the backend's but for the version: from an
        // HTTP/1.1 backend it is copied with the fields that follow it.
        var cursor = 0
        if head.minorVersion != 1 {
            out.writeStaticString("HTTP/1.1")
            cursor = 8
        }
        for range in head.hopByHop {
            if range.lowerBound > cursor { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[cursor..<range.lowerBound])) }
            cursor = range.upperBound
        }
        if setCookie == nil && !connectionClose {
            // Nothing to add: the blank line that ends the head comes along.
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[cursor..<(head.fieldsEnd + 2)]))
            return
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[cursor..<head.fieldsEnd]))
        if let setCookie {
            out.writeStaticString("set-cookie: ")
            out.writeString(setCookie)
            out.writeStaticString("\r\n")
        }
        if connectionClose { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
    }
}
