/// Follows a chunked body's framing byte by byte, so a proxy can forward
/// the bytes untouched and still know where the message ends (and whether
/// the connection can carry another request). Chunk extensions are skipped;
/// trailers are allowed and bounded.
public struct ChunkedBodyTracker: Sendable, Equatable {
    public enum Progress: Equatable, Sendable {
        /// All of the given bytes belong to the body; more are needed.
        case consumed
        /// The body ends after this many of the given bytes.
        case finished(at: Int)
        case invalid(String)
    }

    enum State: Equatable, Sendable {
        case size(value: Int, digits: Int)
        case extensionText
        case sizeLF
        case data(remaining: Int)
        case dataCR
        case dataLF
        /// At the start of a trailer line (or the final empty line).
        case trailerStart
        /// In a trailer's name, up to its colon.
        case trailerName
        case trailerValue
        case trailerLF
        case finalLF
        case done
    }

    var state: State = .size(value: 0, digits: 0)
    var trailerBytes = 0
    /// The size of the chunk whose size line is being read.
    private var pendingSize = 0
    public var maximumChunkSize = 1 << 40
    public var maximumTrailerBytes = 16 * 1024

    public init() {}

    public var isFinished: Bool { state == .done }

    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Progress {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .size(let value, let digits):
                if let digit = Self.hex(byte) {
                    guard digits < 12, value <= maximumChunkSize / 16 else { return .invalid("chunk size too large") }
                    state = .size(value: value * 16 + digit, digits: digits + 1)
                } else if digits > 0 && byte == .cr {
                    state = .sizeLF
                    pendingSize = value
                } else if digits > 0 && (byte == UInt8(ascii: ";") || byte == .space || byte == .tab) {
                    pendingSize = value
                    state = .extensionText
                } else {
                    return .invalid("malformed chunk size")
                }
            case .extensionText:
                if byte == .cr { state = .sizeLF }
                else if byte == .lf || (byte < 0x20 && byte != .tab) { return .invalid("malformed chunk extension") }
            case .sizeLF:
                guard byte == .lf else { return .invalid("chunk size line without LF") }
                state = pendingSize == 0 ? .trailerStart : .data(remaining: pendingSize)
            case .data(let remaining):
                // Skip the data in one step: it is forwarded as it is.
                let take = min(remaining, bytes.count - index)
                index += take
                state = remaining - take == 0 ? .dataCR : .data(remaining: remaining - take)
                continue
            case .dataCR:
                guard byte == .cr else { return .invalid("chunk data not followed by CRLF") }
                state = .dataLF
            case .dataLF:
                guard byte == .lf else { return .invalid("chunk data not followed by CRLF") }
                state = .size(value: 0, digits: 0)
            case .trailerStart:
                if byte == .cr { state = .finalLF } else {
                    guard HeadScanner.isToken(byte) else { return .invalid("malformed trailer") }
                    state = .trailerName
                    trailerBytes += 1
                }
            case .trailerName:
                trailerBytes += 1
                guard trailerBytes <= maximumTrailerBytes else { return .invalid("trailers too large") }
                if byte == .colon { state = .trailerValue }
                else if !HeadScanner.isToken(byte) { return .invalid("malformed trailer") }
            case .trailerValue:
                trailerBytes += 1
                guard trailerBytes <= maximumTrailerBytes else { return .invalid("trailers too large") }
                if byte == .cr { state = .trailerLF }
                else if byte == .lf || (byte < 0x20 && byte != .tab) { return .invalid("control character in a trailer") }
            case .trailerLF:
                guard byte == .lf else { return .invalid("bare CR in a trailer") }
                state = .trailerStart
            case .finalLF:
                guard byte == .lf else { return .invalid("chunked body not ended by CRLF") }
                state = .done
                return .finished(at: index + 1)
            case .done:
                return .finished(at: index)
            }
            index += 1
        }
        return state == .done ? .finished(at: 0) : .consumed
    }


    static func hex(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
