#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Scans an HTTP/1.1 request head in one pass over bytes, incrementally:
/// call again with more bytes until it completes. Strict where lenience is
/// dangerous for a proxy (request smuggling): a request with both
/// Content-Length and Transfer-Encoding, differing Content-Lengths, a
/// Transfer-Encoding other than `chunked`, obsolete line folding, a bare
/// CR, or a space before a header's colon is refused.
public struct HeadScanner: Sendable {
    public enum Result: Equatable, Sendable {
        case needMore
        case complete(RequestHead)
        case invalid(String)
    }

    public var maximumHeadLength = 64 * 1024
    public var maximumFields = 128

    public init() {}

    public func scan(_ bytes: UnsafeRawBufferPointer) -> Result {
        var fields: [RequestHead.Field] = []
        return scan(bytes, reusing: &fields)
    }

    /// `scan`, with the fields collected in `fields` (emptied first), whose
    /// capacity a connection keeps from one request to the next: the head
    /// returned shares its storage, so the array is unique again, and can be
    /// refilled without allocating, once that head is gone.
    func scan(_ bytes: UnsafeRawBufferPointer, reusing fields: inout [RequestHead.Field]) -> Result {
        fields.removeAll(keepingCapacity: true)
        // Find the end of the head first: nothing is judged on a partial head.
        guard let end = Self.endOfHead(bytes, limit: maximumHeadLength) else {
            return bytes.count >= maximumHeadLength ? .invalid("request head larger than \(maximumHeadLength) bytes") : .needMore
        }
        var index = 0
        // Request line: method SP target SP HTTP/1.x CRLF
        let methodStart = index
        while index < end, Self.isToken(bytes[index]) { index += 1 }
        guard index > methodStart, index < end, bytes[index] == .space else { return .invalid("malformed request line") }
        let method = methodStart..<index
        index += 1
        let targetStart = index
        while index < end, bytes[index] > 0x20, bytes[index] != 0x7F { index += 1 }
        guard index > targetStart, index < end, bytes[index] == .space else { return .invalid("malformed request target") }
        let target = targetStart..<index
        index += 1
        guard index + 10 <= end, Self.matches(bytes, at: index, "HTTP/1."),
              bytes[index + 7] == UInt8(ascii: "0") || bytes[index + 7] == UInt8(ascii: "1"),
              bytes[index + 8] == .cr, bytes[index + 9] == .lf else { return .invalid("unsupported HTTP version") }
        let minor = Int(bytes[index + 7] - UInt8(ascii: "0"))
        index += 10

        var contentLength: Int?
        var chunked = false
        var transferEncoding = false
        var closeToken = false
        var keepAliveToken = false
        while true {
            guard index < end else { return .invalid("truncated head") }
            if bytes[index] == .cr {
                guard bytes[index + 1] == .lf else { return .invalid("bare CR") }
                index += 2
                break
            }
            if bytes[index] == .space || bytes[index] == .tab { return .invalid("obsolete line folding") }
            let nameStart = index
            while index < end, Self.isToken(bytes[index]) { index += 1 }
            guard index > nameStart, index < end, bytes[index] == .colon else {
                return .invalid("malformed header field")
            }
            let name = nameStart..<index
            index += 1
            while index < end, bytes[index] == .space || bytes[index] == .tab { index += 1 }
            let valueStart = index
            var valueEnd = index
            while index < end, bytes[index] != .cr {
                let byte = bytes[index]
                if byte == .lf || (byte < 0x20 && byte != .tab) || byte == 0x7F { return .invalid("control character in a header value") }
                index += 1
                if byte != .space && byte != .tab { valueEnd = index }
            }
            guard index + 1 < bytes.count, bytes[index] == .cr, bytes[index + 1] == .lf else { return .invalid("bare CR") }
            index += 2
            guard fields.count < maximumFields else { return .invalid("more than \(maximumFields) header fields") }
            let field = RequestHead.Field(name: name, value: valueStart..<valueEnd)
            fields.append(field)

            if Self.equalsIgnoringCase(bytes, name, "content-length") {
                guard let length = Self.decimal(bytes, field.value) else { return .invalid("invalid Content-Length") }
                if let previous = contentLength, previous != length { return .invalid("conflicting Content-Length") }
                contentLength = length
            } else if Self.equalsIgnoringCase(bytes, name, "transfer-encoding") {
                transferEncoding = true
                // Only a lone `chunked` is accepted: anything else cannot be framed safely.
                guard Self.equalsIgnoringCase(bytes, field.value, "chunked"), !chunked else {
                    return .invalid("unsupported Transfer-Encoding")
                }
                chunked = true
            } else if Self.equalsIgnoringCase(bytes, name, "connection") {
                Self.forEachToken(bytes, field.value) { token in
                    if Self.equalsIgnoringCase(bytes, token, "close") { closeToken = true }
                    if Self.equalsIgnoringCase(bytes, token, "keep-alive") { keepAliveToken = true }
                }
            }
        }
        guard index == end else { return .invalid("malformed head") }
        if transferEncoding && contentLength != nil { return .invalid("both Content-Length and Transfer-Encoding") }
        if chunked && minor == 0 { return .invalid("chunked encoding in HTTP/1.0") }
        let body: RequestHead.Body = chunked ? .chunked : contentLength.map { $0 == 0 ? .none : .length($0) } ?? .none
        // HTTP/1.1 keeps the connection unless told to close; 1.0 only when asked.
        let keepAlive = minor == 1 ? !closeToken : keepAliveToken && !closeToken
        return .complete(RequestHead(method: method, target: target, minorVersion: minor, fields: fields, body: body,
                                     keepAlive: keepAlive, length: end))
    }

    /// The index just past the first CRLFCRLF, if within `limit` bytes.
    static func endOfHead(_ bytes: UnsafeRawBufferPointer, limit: Int) -> Int? {
        let count = min(bytes.count, limit)
        guard count >= 4 else { return nil }
        var index = 3
        // From LF to LF (memchr is vectorised) rather than byte by byte: heads
        // are scanned twice per request, and this was most of their cost.
        while let lf = firstIndex(of: .lf, in: bytes, from: index, to: count) {
            if bytes[lf - 1] == .cr && bytes[lf - 2] == .lf && bytes[lf - 3] == .cr {
                return lf + 1
            }
            index = lf + 1
        }
        return nil
    }

    /// The first index of `byte` in `bytes[start..<end]`.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = bytes.baseAddress, let found = memchr(base + start, Int32(byte), end - start) else {
            return nil
        }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// RFC 9110 tchar.
    static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func matches(_ bytes: UnsafeRawBufferPointer, at index: Int, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return text.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
    }

    /// `range` equals the lower-case ASCII `text`, ignoring case.
    public static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { expected in
            var offset = 0
            for index in range {
                var byte = bytes[index]
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
                if byte != expected[offset] { return false }
                offset += 1
            }
            return true
        }
    }

    static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Comma-separated tokens of a value, trimmed.
    static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        var index = range.lowerBound
        func emit(_ end: Int) {
            var low = start, high = end
            while low < high, bytes[low] == .space || bytes[low] == .tab { low += 1 }
            while high > low, bytes[high - 1] == .space || bytes[high - 1] == .tab { high -= 1 }
            if low < high { body(low..<high) }
        }
        while index < range.upperBound {
            if bytes[index] == UInt8(ascii: ",") {
                emit(index)
                start = index + 1
            }
            index += 1
        }
        emit(range.upperBound)
    }
}

extension UInt8 {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
}
