/// Yams composes nodes recursively, so a deeply nested document
/// (`[[[[...` or `- - - - ...`) would exhaust the stack. This scan bounds the
/// nesting depth from above without parsing: a block level needs more
/// indentation or a `- `, `? ` or `: ` indicator on its line, and a flow level
/// needs a bracket. Documents past the bound are refused before parsing.
enum NestingLimit {
    static let maximum = 400

    /// The line and column where the bound is first exceeded, if anywhere.
    static func firstViolation(in bytes: UnsafeBufferPointer<UInt8>, limit: Int = maximum) -> (line: Int, column: Int)? {
        var line = 1
        var column = 0
        var indent = 0
        var atLineStart = true
        var indicators = 0
        var flowDepth = 0
        var previous: UInt8 = UInt8(ascii: "\n")
        for byte in bytes {
            column += 1
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                column = 0
                indent = 0
                indicators = 0
                atLineStart = true
                previous = byte
                continue
            case UInt8(ascii: " ") where atLineStart:
                indent += 1
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flowDepth += 1
                atLineStart = false
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flowDepth = max(0, flowDepth - 1)
                atLineStart = false
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?") || previous == UInt8(ascii: ":") {
                    indicators += 1
                }
            default:
                atLineStart = false
            }
            previous = byte
            if indent + indicators + flowDepth > limit {
                return (line, column)
            }
        }
        return nil
    }
}
