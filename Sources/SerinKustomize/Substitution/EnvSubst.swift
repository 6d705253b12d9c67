/// Flux's post-build variable substitution language (fluxcd/pkg `envsubst`):
/// `${var}`, `${var:=default}` and the other bash parameter expansions, with
/// `$${var}` kept as the literal `${var}`. A pure function of the text and
/// the variables.
enum EnvSubst {
    /// Why substitution failed: a syntax error, or a variable not set in strict mode.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// `text` with every expression replaced. `lookup` answers a variable's
    /// value and whether it is set; in non-strict mode Flux answers every
    /// name as set (an unset one is empty).
    static func evaluate(_ text: String, lookup: (String) -> (value: String, exists: Bool)) throws -> String {
        let tree: EnvSubstNode
        do {
            tree = try EnvSubstParser.parse(text)
        } catch let error as EnvSubstSyntaxError {
            throw Failure(description: error.description)
        }
        var output: [UInt8] = []
        try execute(tree, lookup: lookup, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static func execute(_ node: EnvSubstNode, lookup: (String) -> (value: String, exists: Bool), into output: inout [UInt8]) throws {
        switch node {
        case .text(let text):
            output += Array(text.utf8)
        case .list(let nodes):
            for node in nodes { try execute(node, lookup: lookup, into: &output) }
        case .function(let parameter, let name, let arguments):
            var values: [[UInt8]] = []
            for argument in arguments {
                var value: [UInt8] = []
                try execute(argument, lookup: lookup, into: &value)
                values.append(value)
            }
            let (value, exists) = lookup(parameter)
            // The operators that supply their own fallback tolerate an unset variable.
            if !exists && !["-", "+", "=", "?", ":-", ":+", ":=", ":?"].contains(name) {
                throw Failure(description: "variable not set (strict mode): \"\(parameter)\"")
            }
            output += EnvSubstFunctions.apply(name, to: Array(value.utf8), values)
        }
    }
}

/// envsubst `funcs.go`: what each operator does to a value, on bytes as in Go.
enum EnvSubstFunctions {
    static func apply(_ name: String, to value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        switch name {
        case ",": return mapFirst(value) { $0.lowercased() }
        case ",,": return Array(String(decoding: value, as: UTF8.self).lowercased().utf8)
        case "^": return mapFirst(value) { $0.uppercased() }
        case "^^": return Array(String(decoding: value, as: UTF8.self).uppercased().utf8)
        case "#": return arguments.isEmpty ? Array(String(value.count).utf8) : trimShortestPrefix(value, arguments)
        case "##": return trimLongestPrefix(value, arguments)
        case "%": return trimShortestSuffix(value, arguments)
        case "%%": return trimLongestSuffix(value, arguments)
        case ":": return substring(value, arguments)
        case "/#": return replacePrefix(value, arguments)
        case "/%": return replaceSuffix(value, arguments)
        case "/": return replace(value, arguments, all: false)
        case "//": return replace(value, arguments, all: true)
        default: return value.isEmpty && !arguments.isEmpty ? arguments.flatMap { $0 } : value
        }
    }

    private static func mapFirst(_ value: [UInt8], _ transform: (String) -> String) -> [UInt8] {
        guard !value.isEmpty else { return value }
        let (_, width) = EnvSubstScanner.decode(value, at: 0)
        return Array(transform(String(decoding: value[..<width], as: UTF8.self)).utf8) + value[width...]
    }

    private static func substring(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard let first = arguments.first else { return value }
        guard var position = Int(String(decoding: first, as: UTF8.self)) else { return value }
        if position < 0 { position = max(0, value.count + position) }
        guard arguments.count > 1 else { return position < value.count ? Array(value[position...]) : [] }
        guard let length = Int(String(decoding: arguments[1], as: UTF8.self)) else { return value }
        if position + length >= value.count { return position < value.count ? Array(value[position...]) : [] }
        // Go slices s[pos:pos+length]; a negative length would panic there, and leaves the value here.
        guard length >= 0 else { return value }
        return Array(value[position..<(position + length)])
    }

    private static func replace(_ value: [UInt8], _ arguments: [[UInt8]], all: Bool) -> [UInt8] {
        guard let pattern = arguments.first else { return value }
        let replacement = arguments.count > 1 ? arguments[1] : []
        return replacing(value, pattern, with: replacement, limit: all ? Int.max : 1)
    }

    /// Go's `strings.Replace`: an empty pattern matches before every rune and at the end.
    static func replacing(_ value: [UInt8], _ pattern: [UInt8], with replacement: [UInt8], limit: Int) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        var count = 0
        if pattern.isEmpty {
            while count < limit && index <= value.count {
                output += replacement
                count += 1
                guard index < value.count else { return output }
                let (_, width) = EnvSubstScanner.decode(value, at: index)
                output += value[index..<(index + width)]
                index += width
            }
            return output + value[min(index, value.count)...]
        }
        while count < limit, let found = firstRange(of: pattern, in: value, from: index) {
            output += value[index..<found]
            output += replacement
            index = found + pattern.count
            count += 1
        }
        return output + value[index...]
    }

    private static func firstRange(of pattern: [UInt8], in value: [UInt8], from start: Int) -> Int? {
        guard pattern.count <= value.count - start else { return nil }
        var index = start
        while index + pattern.count <= value.count {
            if value[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }

    private static func replacePrefix(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard arguments.count == 2 else { return value }
        guard value.starts(with: arguments[0]) else { return value }
        return replacing(value, arguments[0], with: arguments[1], limit: 1)
    }

    private static func replaceSuffix(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard arguments.count == 2 else { return value }
        let suffix = arguments[0]
        guard suffix.count <= value.count, value[(value.count - suffix.count)...].elementsEqual(suffix) else { return value }
        return Array(value[..<(value.count - suffix.count)]) + arguments[1]
    }

    private static func trimShortestPrefix(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard let pattern = arguments.first else { return value }
        return trimShortest(value, pattern)
    }

    private static func trimLongestPrefix(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard let pattern = arguments.first else { return value }
        return trimLongest(value, pattern)
    }

    private static func trimShortestSuffix(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard let pattern = arguments.first else { return value }
        return reversedRunes(trimShortest(reversedRunes(value), reversedRunes(pattern)))
    }

    private static func trimLongestSuffix(_ value: [UInt8], _ arguments: [[UInt8]]) -> [UInt8] {
        guard let pattern = arguments.first else { return value }
        return reversedRunes(trimLongest(reversedRunes(value), reversedRunes(pattern)))
    }

    private static func trimShortest(_ value: [UInt8], _ pattern: [UInt8]) -> [UInt8] {
        var shortest: [UInt8] = []
        for cut in 0..<value.count {
            let candidate = Array(value[0..<(value.count - cut)])
            guard let matched = ShellPattern.match(pattern, candidate) else { return value }
            if matched { shortest = candidate }
        }
        guard !shortest.isEmpty else { return value }
        return Array(value[shortest.count...])
    }

    private static func trimLongest(_ value: [UInt8], _ pattern: [UInt8]) -> [UInt8] {
        for cut in 0..<value.count {
            let candidate = Array(value[0..<(value.count - cut)])
            guard let matched = ShellPattern.match(pattern, candidate) else { return value }
            if matched { return Array(value[candidate.count...]) }
        }
        return value
    }

    private static func reversedRunes(_ value: [UInt8]) -> [UInt8] {
        var runes: [ArraySlice<UInt8>] = []
        var index = 0
        while index < value.count {
            let (_, width) = EnvSubstScanner.decode(value, at: index)
            runes.append(value[index..<(index + width)])
            index += width
        }
        return runes.reversed().flatMap { $0 }
    }
}

/// envsubst `path/match.go`: shell patterns where a trailing `*` matches
/// the rest of the name, slashes included. Nil for a malformed pattern.
enum ShellPattern {
    static func match(_ pattern: [UInt8], _ name: [UInt8]) -> Bool? {
        var pattern = ArraySlice(pattern)
        var name = ArraySlice(name)
        patternLoop: while !pattern.isEmpty {
            let (star, chunk, rest) = scanChunk(pattern)
            pattern = rest
            if star && chunk.isEmpty { return true }
            let (remainder, ok, bad) = matchChunk(chunk, name)
            if ok && (remainder.isEmpty || !pattern.isEmpty) {
                name = remainder
                continue
            }
            if bad { return nil }
            if star {
                var index = name.startIndex
                while index < name.endIndex {
                    let (remainder, ok, bad) = matchChunk(chunk, name[(index + 1)...])
                    if ok {
                        if pattern.isEmpty && !remainder.isEmpty {
                            index += 1
                            continue
                        }
                        name = remainder
                        continue patternLoop
                    }
                    if bad { return nil }
                    index += 1
                }
            }
            return false
        }
        return name.isEmpty
    }

    private static func scanChunk(_ pattern: ArraySlice<UInt8>) -> (Bool, ArraySlice<UInt8>, ArraySlice<UInt8>) {
        var pattern = pattern
        var star = false
        while pattern.first == UInt8(ascii: "*") {
            pattern = pattern.dropFirst()
            star = true
        }
        var inRange = false
        var index = pattern.startIndex
        scan: while index < pattern.endIndex {
            switch pattern[index] {
            case UInt8(ascii: "\\"):
                if index + 1 < pattern.endIndex { index += 1 }
            case UInt8(ascii: "["): inRange = true
            case UInt8(ascii: "]"): inRange = false
            case UInt8(ascii: "*"): if !inRange { break scan }
            default: break
            }
            index += 1
        }
        return (star, pattern[..<index], pattern[index...])
    }

    /// (rest of the name, matched, malformed pattern)
    private static func matchChunk(_ chunk: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Bool, Bool) {
        var chunk = chunk
        var name = name
        while !chunk.isEmpty {
            if name.isEmpty { return (name, false, false) }
            switch chunk.first! {
            case UInt8(ascii: "["):
                let (rune, width) = EnvSubstScanner.decode(Array(name), at: 0)
                name = name.dropFirst(width)
                chunk = chunk.dropFirst()
                var negated = false
                if chunk.first == UInt8(ascii: "^") {
                    negated = true
                    chunk = chunk.dropFirst()
                }
                var matched = false
                var ranges = 0
                while true {
                    if chunk.first == UInt8(ascii: "]") && ranges > 0 {
                        chunk = chunk.dropFirst()
                        break
                    }
                    guard let (low, afterLow) = escaped(chunk) else { return (name, false, true) }
                    chunk = afterLow
                    var high = low
                    if chunk.first == UInt8(ascii: "-") {
                        guard let (value, afterHigh) = escaped(chunk.dropFirst()) else { return (name, false, true) }
                        high = value
                        chunk = afterHigh
                    }
                    if low <= rune && rune <= high { matched = true }
                    ranges += 1
                }
                if matched == negated { return (name, false, false) }
            case UInt8(ascii: "?"):
                let (_, width) = EnvSubstScanner.decode(Array(name), at: 0)
                name = name.dropFirst(width)
                chunk = chunk.dropFirst()
            default:
                if chunk.first == UInt8(ascii: "\\") {
                    chunk = chunk.dropFirst()
                    if chunk.isEmpty { return (name, false, true) }
                }
                if chunk.first != name.first { return (name, false, false) }
                name = name.dropFirst()
                chunk = chunk.dropFirst()
            }
        }
        return (name, true, false)
    }

    /// A possibly escaped character of a class; nil for a malformed one
    /// (Go's `getEsc`, which also refuses a class that ends the pattern).
    private static func escaped(_ chunk: ArraySlice<UInt8>) -> (UInt32, ArraySlice<UInt8>)? {
        var chunk = chunk
        guard let first = chunk.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "]") else { return nil }
        if first == UInt8(ascii: "\\") {
            chunk = chunk.dropFirst()
            if chunk.isEmpty { return nil }
        }
        let (rune, width) = EnvSubstScanner.decode(Array(chunk), at: 0)
        if rune == 0xFFFD && width == 1 { return nil }
        let rest = chunk.dropFirst(width)
        if rest.isEmpty { return nil }
        return (rune, rest)
    }
}
