/// Breaks YAML in the ways people and tools do: characters that mean
/// something in YAML inserted, lines dropped, duplicated or re-indented,
/// numbers replaced by extreme ones, text cut short.
public struct YAMLMutator: Sendable {
    static let significant: [String] = [
        ":", "-", " ", "\n", "[", "]", "{", "}", "\"", "'", "&a", "*a", "!!str", "|", ">", "#", "%", "@", "`", ",", "?", "\t",
        "<<: *a", "---", "...", "~", "null", "true", "0x1F", "1e309", "-0", ".nan", "\u{0}", "\u{FEFF}", "é", "\\",
    ]
    static let numbers = ["0", "-1", "101", "9223372036854775807", "99999999999999999999", "1.5", "-.inf", "\"10\"", "[]", "{}"]

    public init() {}

    public func mutate(_ text: String, using random: inout SeededRandom) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let rounds = Int.random(in: 1...4, using: &random)
        for _ in 0..<rounds where !lines.isEmpty {
            let index = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<9, using: &random) {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: index)
            case 2:
                let other = Int.random(in: 0..<lines.count, using: &random)
                lines.swapAt(index, other)
            case 3: lines[index] = String(repeating: " ", count: Int.random(in: 0...6, using: &random)) + lines[index].drop { $0 == " " }
            case 4:
                var line = Array(lines[index])
                let at = Int.random(in: 0...line.count, using: &random)
                line.insert(contentsOf: Self.significant.randomElement(using: &random)!, at: at)
                lines[index] = String(line)
            case 5:
                var line = Array(lines[index])
                guard !line.isEmpty else { continue }
                let start = Int.random(in: 0..<line.count, using: &random)
                let end = min(line.count, start + Int.random(in: 1...8, using: &random))
                line.removeSubrange(start..<end)
                lines[index] = String(line)
            case 6:
                if let colon = lines[index].firstIndex(of: ":") {
                    lines[index] = lines[index][...colon] + " " + Self.numbers.randomElement(using: &random)!
                }
            case 7:
                lines = Array(lines.prefix(index))
            default:
                var line = Array(lines[index].utf8)
                let at = Int.random(in: 0...line.count, using: &random)
                line.insert(UInt8.random(in: 0...255, using: &random), at: at)
                lines[index] = String(decoding: line, as: UTF8.self)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Bytes with no structure at all, biased toward YAML's punctuation.
    public func randomBytes(count: Int, using random: inout SeededRandom) -> [UInt8] {
        let punctuation = Array(":-[]{}\"'&*!|>#%@,? \n\t".utf8)
        return (0..<count).map { _ in
            Bool.random(using: &random) ? punctuation.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
        }
    }
}
