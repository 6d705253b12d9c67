/// A request head as the router needs it: byte ranges into the buffer it
/// was scanned from (nothing is copied), plus the framing facts decided
/// while scanning.
public struct RequestHead: Sendable, Equatable {
    /// A header as ranges: name and value, value trimmed of spaces and tabs.
    public struct Field: Sendable, Equatable {
        public var name: Range<Int>
        public var value: Range<Int>
    }

    public enum Body: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    public var method: Range<Int>
    public var target: Range<Int>
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var fields: [Field]
    public var body: Body
    /// Whether the client wants the connection kept open after this request.
    public var keepAlive: Bool
    /// Bytes of the head, including the blank line that ends it.
    public var length: Int
}
