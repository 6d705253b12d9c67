/// Cuts a byte stream into lines: the apiserver's JSON watch stream is one
/// event per line, and the network cuts it anywhere (inside a line, inside
/// a multi-byte character). Blank lines are skipped.
struct JSONLineSplitter: Sendable {
    private var buffer: [UInt8] = []
    /// Bytes at the front of `buffer` already searched for a newline.
    private var searched = 0

    /// The lines that `bytes` completes, in order.
    mutating func append(_ bytes: some Sequence<UInt8>) -> [ArraySlice<UInt8>] {
        buffer.append(contentsOf: bytes)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = searched
        while index < buffer.count {
            if buffer[index] == UInt8(ascii: "\n") {
                let line = buffer[start..<index]
                if !Self.isBlank(line) { lines.append(line) }
                start = index + 1
            }
            index += 1
        }
        if start > 0 {
            // The slices are copies-on-write of the old buffer; keep only the rest.
            buffer = Array(buffer[start...])
        }
        searched = buffer.count
        return lines
    }

    /// What is left when the stream ends: a last line without its newline.
    mutating func finish() -> ArraySlice<UInt8>? {
        defer {
            buffer = []
            searched = 0
        }
        let rest = buffer[...]
        return Self.isBlank(rest) ? nil : rest
    }

    private static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
    }
}
