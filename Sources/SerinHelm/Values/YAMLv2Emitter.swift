import SerinTemplate

/// What Helm's `toYaml` prints: `sigs.k8s.io/yaml.Marshal`, which is
/// `json.Marshal`, then go-yaml v2 reading that JSON and writing it again
/// with its emitter (keys in go-yaml's natural order, block style, two
/// spaces, `- ` items not indented under a key, strings that would read as
/// something else double-quoted, multi-line strings as literal blocks,
/// long lines folded at 80 columns). A port of the parts of go-yaml v2's
/// `emitterc.go` that such documents reach.
public enum GoYAMLEncoder {
    public static func encode(_ value: Value) throws -> String {
        var emitter = YAMLv2Emitter()
        emitter.emitDocument(node(try GoJSON.normalize(value)))
        return String(decoding: emitter.out, as: UTF8.self)
    }

    /// go-yaml v2's view of the JSON document.
    indirect enum YNode {
        case scalar(String, style: Style)
        case sequence([YNode])
        case mapping([(YNode, YNode)])

        enum Style { case plain, doubleQuoted, literal }
    }

    static func node(_ json: GoJSONValue) -> YNode {
        switch json {
        case .null: return .scalar("null", style: .plain)
        case .bool(let flag): return .scalar(flag ? "true" : "false", style: .plain)
        case .number(let text): return .scalar(numberText(text), style: .plain)
        case .string(let text): return stringNode(text)
        case .array(let items): return .sequence(items.map(node))
        case .object(let entries):
            let sorted = entries.sorted { naturalLess($0.0, $1.0) }
            return .mapping(sorted.map { (stringNode($0.0), node($0.1)) })
        }
    }

    /// A JSON number as go-yaml reads it (int when it fits, else float64) and writes it back.
    static func numberText(_ text: String) -> String {
        if let integer = Int64(text) { return String(integer) }
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let unsigned = UInt64(text) { return String(unsigned) }
        guard let number = Double(text) else { return text }
        return GoFloat.format(number, "g", precision: -1)
    }

    /// go-yaml v2's `stringv`: plain when it reads back as the same string.
    static func stringNode(_ text: String) -> YNode {
        if text.contains("\n") { return .scalar(text, style: .literal) }
        let resolved = GoYAML.resolve(text)
        if resolved == .string && !GoYAML.isBase60Float(text) { return .scalar(text, style: .plain) }
        return .scalar(text, style: .doubleQuoted)
    }

    /// go-yaml v2's key order (`keyList.Less`): runs of digits compared as numbers.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        let ar = Array(a.unicodeScalars), br = Array(b.unicodeScalars)
        func isLetter(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
            default: return false
            }
        }
        func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .decimalNumber }
        func digitValue(_ scalar: Unicode.Scalar) -> Int64 { Int64(scalar.properties.numericValue ?? 0) }
        var index = 0
        while index < ar.count && index < br.count {
            if ar[index] == br[index] {
                index += 1
                continue
            }
            let al = isLetter(ar[index]), bl = isLetter(br[index])
            if al && bl { return ar[index].value < br[index].value }
            if al || bl { return bl }
            var an: Int64 = 0, bn: Int64 = 0
            if ar[index] == "0" || br[index] == "0" {
                var j = index - 1
                while j >= 0 && isDigit(ar[j]) {
                    if ar[j] != "0" {
                        an = 1
                        bn = 1
                        break
                    }
                    j -= 1
                }
            }
            var ai = index
            while ai < ar.count && isDigit(ar[ai]) {
                an = an &* 10 &+ digitValue(ar[ai])
                ai += 1
            }
            var bi = index
            while bi < br.count && isDigit(br[bi]) {
                bn = bn &* 10 &+ digitValue(br[bi])
                bi += 1
            }
            if an != bn { return an < bn }
            if ai != bi { return ai < bi }
            return ar[index].value < br[index].value
        }
        return ar.count < br.count
    }
}

/// go-yaml v2's emitter state for the block documents `toYaml` writes.
struct YAMLv2Emitter {
    var out: [UInt8] = []
    var column = 0
    var indent = -1
    var indents: [Int] = []
    var whitespace = true
    var indention = true
    var flowLevel = 0
    var rootContext = false
    var sequenceContext = false
    var mappingContext = false
    var simpleKeyContext = false
    let bestIndent = 2
    let bestWidth = 80

    typealias YNode = GoYAMLEncoder.YNode

    mutating func emitDocument(_ root: YNode) {
        emitNode(root, root: true, sequence: false, mapping: false, simpleKey: false)
        writeIndent()
    }

    mutating func increaseIndent(flow: Bool, indentless: Bool) {
        indents.append(indent)
        if indent < 0 {
            indent = flow ? bestIndent : 0
        } else if !indentless {
            indent += bestIndent
        }
    }

    mutating func popIndent() { indent = indents.removeLast() }

    mutating func emitNode(_ node: YNode, root: Bool, sequence: Bool, mapping: Bool, simpleKey: Bool) {
        rootContext = root
        sequenceContext = sequence
        mappingContext = mapping
        simpleKeyContext = simpleKey
        switch node {
        case .scalar(let text, let style):
            emitScalar(Array(text.utf8), requested: style)
        case .sequence(let items):
            if flowLevel > 0 || items.isEmpty {
                writeIndicator("[", needWhitespace: true, isWhitespace: true, isIndention: false)
                increaseIndent(flow: true, indentless: false)
                flowLevel += 1
                flowLevel -= 1
                popIndent()
                writeIndicator("]", needWhitespace: false, isWhitespace: false, isIndention: false)
                return
            }
            increaseIndent(flow: false, indentless: mappingContext && !indention)
            for item in items {
                writeIndent()
                writeIndicator("-", needWhitespace: true, isWhitespace: false, isIndention: true)
                emitNode(item, root: false, sequence: true, mapping: false, simpleKey: false)
            }
            popIndent()
        case .mapping(let entries):
            if flowLevel > 0 || entries.isEmpty {
                writeIndicator("{", needWhitespace: true, isWhitespace: true, isIndention: false)
                increaseIndent(flow: true, indentless: false)
                popIndent()
                writeIndicator("}", needWhitespace: false, isWhitespace: false, isIndention: false)
                return
            }
            increaseIndent(flow: false, indentless: false)
            for (key, value) in entries {
                writeIndent()
                if isSimpleKey(key) {
                    emitNode(key, root: false, sequence: false, mapping: true, simpleKey: true)
                    writeIndicator(":", needWhitespace: false, isWhitespace: false, isIndention: false)
                } else {
                    writeIndicator("?", needWhitespace: true, isWhitespace: false, isIndention: true)
                    emitNode(key, root: false, sequence: false, mapping: true, simpleKey: false)
                    writeIndent()
                    writeIndicator(":", needWhitespace: true, isWhitespace: false, isIndention: true)
                }
                emitNode(value, root: false, sequence: false, mapping: true, simpleKey: false)
            }
            popIndent()
        }
    }

    func isSimpleKey(_ node: YNode) -> Bool {
        switch node {
        case .scalar(let text, _):
            let analysis = ScalarAnalysis(Array(text.utf8))
            return !analysis.multiline && text.utf8.count <= 128
        case .sequence(let items): return items.isEmpty
        case .mapping(let entries): return entries.isEmpty
        }
    }

    // MARK: - Scalars

    struct ScalarAnalysis {
        var multiline = false
        var flowPlainAllowed = true
        var blockPlainAllowed = true
        var singleQuotedAllowed = true
        var blockAllowed = true

        init(_ value: [UInt8]) {
            if value.isEmpty {
                flowPlainAllowed = false
                blockAllowed = false
                return
            }
            var blockIndicators = false, flowIndicators = false, lineBreaks = false, specialCharacters = false
            var leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false
            var breakSpace = false, spaceBreak = false
            var precededByWhitespace = true, previousSpace = false, previousBreak = false
            if value.count >= 3 && (value[0...2] == [0x2D, 0x2D, 0x2D] || value[0...2] == [0x2E, 0x2E, 0x2E]) {
                blockIndicators = true
                flowIndicators = true
            }
            var i = 0
            while i < value.count {
                let w = YAMLv2Emitter.width(value[i])
                let followedByWhitespace = i + w >= value.count || YAMLv2Emitter.isBlank(value, i + w)
                let c = value[i]
                if i == 0 {
                    switch c {
                    case UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                         UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"),
                         UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
                        flowIndicators = true
                        blockIndicators = true
                    case UInt8(ascii: "?"), UInt8(ascii: ":"):
                        flowIndicators = true
                        if followedByWhitespace { blockIndicators = true }
                    case UInt8(ascii: "-"):
                        if followedByWhitespace {
                            flowIndicators = true
                            blockIndicators = true
                        }
                    default: break
                    }
                } else {
                    switch c {
                    case UInt8(ascii: ","), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"):
                        flowIndicators = true
                    case UInt8(ascii: ":"):
                        flowIndicators = true
                        if followedByWhitespace { blockIndicators = true }
                    case UInt8(ascii: "#"):
                        if precededByWhitespace {
                            flowIndicators = true
                            blockIndicators = true
                        }
                    default: break
                    }
                }
                if !YAMLv2Emitter.isPrintable(value, i) { specialCharacters = true }
                if YAMLv2Emitter.isSpace(value, i) {
                    if i == 0 { leadingSpace = true }
                    if i + w == value.count { trailingSpace = true }
                    if previousBreak { breakSpace = true }
                    previousSpace = true
                    previousBreak = false
                } else if YAMLv2Emitter.isBreak(value, i) {
                    lineBreaks = true
                    if i == 0 { leadingBreak = true }
                    if i + w == value.count { trailingBreak = true }
                    if previousSpace { spaceBreak = true }
                    previousSpace = false
                    previousBreak = true
                } else {
                    previousSpace = false
                    previousBreak = false
                }
                precededByWhitespace = YAMLv2Emitter.isBlankZ(value, i)
                i += w
            }
            multiline = lineBreaks
            if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
                flowPlainAllowed = false
                blockPlainAllowed = false
            }
            if trailingSpace { blockAllowed = false }
            if breakSpace {
                flowPlainAllowed = false
                blockPlainAllowed = false
                singleQuotedAllowed = false
            }
            if spaceBreak || specialCharacters {
                flowPlainAllowed = false
                blockPlainAllowed = false
                singleQuotedAllowed = false
                blockAllowed = false
            }
            if lineBreaks {
                flowPlainAllowed = false
                blockPlainAllowed = false
            }
            if flowIndicators { flowPlainAllowed = false }
            if blockIndicators { blockPlainAllowed = false }
        }
    }

    enum Style { case plain, singleQuoted, doubleQuoted, literal }

    mutating func emitScalar(_ value: [UInt8], requested: GoYAMLEncoder.YNode.Style) {
        let analysis = ScalarAnalysis(value)
        var style: Style
        switch requested {
        case .plain: style = .plain
        case .doubleQuoted: style = .doubleQuoted
        case .literal: style = .literal
        }
        if simpleKeyContext && analysis.multiline { style = .doubleQuoted }
        if style == .plain {
            if (flowLevel > 0 && !analysis.flowPlainAllowed) || (flowLevel == 0 && !analysis.blockPlainAllowed) {
                style = .singleQuoted
            }
            if value.isEmpty && (flowLevel > 0 || simpleKeyContext) { style = .singleQuoted }
        }
        if style == .singleQuoted && !analysis.singleQuotedAllowed { style = .doubleQuoted }
        if style == .literal && (!analysis.blockAllowed || flowLevel > 0 || simpleKeyContext) { style = .doubleQuoted }
        increaseIndent(flow: true, indentless: false)
        switch style {
        case .plain: writePlain(value, allowBreaks: !simpleKeyContext)
        case .singleQuoted: writeSingleQuoted(value, allowBreaks: !simpleKeyContext)
        case .doubleQuoted: writeDoubleQuoted(value, allowBreaks: !simpleKeyContext)
        case .literal: writeLiteral(value)
        }
        popIndent()
    }

    // MARK: - Writing

    static func width(_ byte: UInt8) -> Int {
        if byte & 0x80 == 0 { return 1 }
        if byte & 0xE0 == 0xC0 { return 2 }
        if byte & 0xF0 == 0xE0 { return 3 }
        if byte & 0xF8 == 0xF0 { return 4 }
        return 0
    }

    static func at(_ b: [UInt8], _ i: Int) -> UInt8 { i < b.count ? b[i] : 0 }
    static func isSpace(_ b: [UInt8], _ i: Int) -> Bool { at(b, i) == 0x20 }
    static func isBlank(_ b: [UInt8], _ i: Int) -> Bool { at(b, i) == 0x20 || at(b, i) == 0x09 }
    static func isBreak(_ b: [UInt8], _ i: Int) -> Bool {
        let c = at(b, i)
        return c == 0x0D || c == 0x0A
            || (c == 0xC2 && at(b, i + 1) == 0x85)
            || (c == 0xE2 && at(b, i + 1) == 0x80 && (at(b, i + 2) == 0xA8 || at(b, i + 2) == 0xA9))
    }
    static func isBlankZ(_ b: [UInt8], _ i: Int) -> Bool { isBlank(b, i) || isBreak(b, i) || at(b, i) == 0 }
    static func isPrintable(_ b: [UInt8], _ i: Int) -> Bool {
        let c = at(b, i)
        return c == 0x0A || (c >= 0x20 && c <= 0x7E)
            || (c == 0xC2 && at(b, i + 1) >= 0xA0)
            || (c > 0xC2 && c < 0xED)
            || (c == 0xED && at(b, i + 1) < 0xA0)
            || c == 0xEE
            || (c == 0xEF && !(at(b, i + 1) == 0xBB && at(b, i + 2) == 0xBF) && !(at(b, i + 1) == 0xBF && (at(b, i + 2) == 0xBE || at(b, i + 2) == 0xBF)))
    }

    mutating func put(_ byte: UInt8) {
        out.append(byte)
        column += 1
    }

    mutating func putBreak() {
        out.append(0x0A)
        column = 0
    }

    /// One character of `value` at `i`.
    mutating func write(_ value: [UInt8], _ i: inout Int) {
        let w = max(Self.width(value[i]), 1)
        out.append(contentsOf: value[i..<min(i + w, value.count)])
        column += 1
        i += w
    }

    mutating func writeBreak(_ value: [UInt8], _ i: inout Int) {
        if value[i] == 0x0A {
            putBreak()
            i += 1
        } else {
            write(value, &i)
            column = 0
        }
    }

    mutating func writeIndent() {
        let target = max(indent, 0)
        if !indention || column > target || (column == target && !whitespace) { putBreak() }
        while column < target { put(0x20) }
        whitespace = true
        indention = true
    }

    mutating func writeIndicator(_ indicator: String, needWhitespace: Bool, isWhitespace: Bool, isIndention: Bool) {
        if needWhitespace && !whitespace { put(0x20) }
        for byte in indicator.utf8 { put(byte) }
        whitespace = isWhitespace
        indention = indention && isIndention
    }

    mutating func writePlain(_ value: [UInt8], allowBreaks: Bool) {
        if !whitespace { put(0x20) }
        var spaces = false
        var breaks = false
        var i = 0
        while i < value.count {
            if Self.isSpace(value, i) {
                if allowBreaks && !spaces && column > bestWidth && !Self.isSpace(value, i + 1) {
                    writeIndent()
                    i += Self.width(value[i])
                } else {
                    write(value, &i)
                }
                spaces = true
            } else if Self.isBreak(value, i) {
                if !breaks && value[i] == 0x0A { putBreak() }
                writeBreak(value, &i)
                indention = true
                breaks = true
            } else {
                if breaks { writeIndent() }
                write(value, &i)
                indention = false
                spaces = false
                breaks = false
            }
        }
        whitespace = false
        indention = false
    }

    mutating func writeSingleQuoted(_ value: [UInt8], allowBreaks: Bool) {
        writeIndicator("'", needWhitespace: true, isWhitespace: false, isIndention: false)
        var spaces = false
        var breaks = false
        var i = 0
        while i < value.count {
            if Self.isSpace(value, i) {
                if allowBreaks && !spaces && column > bestWidth && i > 0 && i < value.count - 1 && !Self.isSpace(value, i + 1) {
                    writeIndent()
                    i += Self.width(value[i])
                } else {
                    write(value, &i)
                }
                spaces = true
            } else if Self.isBreak(value, i) {
                if !breaks && value[i] == 0x0A { putBreak() }
                writeBreak(value, &i)
                indention = true
                breaks = true
            } else {
                if breaks { writeIndent() }
                if value[i] == UInt8(ascii: "'") { put(UInt8(ascii: "'")) }
                write(value, &i)
                indention = false
                spaces = false
                breaks = false
            }
        }
        writeIndicator("'", needWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    mutating func writeDoubleQuoted(_ value: [UInt8], allowBreaks: Bool) {
        var spaces = false
        writeIndicator("\"", needWhitespace: true, isWhitespace: false, isIndention: false)
        var i = 0
        while i < value.count {
            let c = value[i]
            let isBOM = c == 0xEF && Self.at(value, i + 1) == 0xBB && Self.at(value, i + 2) == 0xBF
            if !Self.isPrintable(value, i) || isBOM || Self.isBreak(value, i) || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
                var w = 1
                var v = UInt32(c & 0x7F)
                if c & 0xE0 == 0xC0 { w = 2; v = UInt32(c & 0x1F) }
                else if c & 0xF0 == 0xE0 { w = 3; v = UInt32(c & 0x0F) }
                else if c & 0xF8 == 0xF0 { w = 4; v = UInt32(c & 0x07) }
                for k in 1..<max(w, 1) where i + k < value.count { v = (v << 6) + UInt32(value[i + k] & 0x3F) }
                i += w
                put(UInt8(ascii: "\\"))
                switch v {
                case 0x00: put(UInt8(ascii: "0"))
                case 0x07: put(UInt8(ascii: "a"))
                case 0x08: put(UInt8(ascii: "b"))
                case 0x09: put(UInt8(ascii: "t"))
                case 0x0A: put(UInt8(ascii: "n"))
                case 0x0B: put(UInt8(ascii: "v"))
                case 0x0C: put(UInt8(ascii: "f"))
                case 0x0D: put(UInt8(ascii: "r"))
                case 0x1B: put(UInt8(ascii: "e"))
                case 0x22: put(UInt8(ascii: "\""))
                case 0x5C: put(UInt8(ascii: "\\"))
                case 0x85: put(UInt8(ascii: "N"))
                case 0xA0: put(UInt8(ascii: "_"))
                case 0x2028: put(UInt8(ascii: "L"))
                case 0x2029: put(UInt8(ascii: "P"))
                default:
                    let digits: Int
                    if v <= 0xFF { put(UInt8(ascii: "x")); digits = 2 }
                    else if v <= 0xFFFF { put(UInt8(ascii: "u")); digits = 4 }
                    else { put(UInt8(ascii: "U")); digits = 8 }
                    for k in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                        let digit = UInt8((v >> UInt32(k)) & 0x0F)
                        put(digit < 10 ? digit + 0x30 : digit + UInt8(ascii: "A") - 10)
                    }
                }
                spaces = false
            } else if Self.isSpace(value, i) {
                if allowBreaks && !spaces && column > bestWidth && i > 0 && i < value.count - 1 {
                    writeIndent()
                    if Self.isSpace(value, i + 1) { put(UInt8(ascii: "\\")) }
                    i += Self.width(value[i])
                } else {
                    write(value, &i)
                }
                spaces = true
            } else {
                write(value, &i)
                spaces = false
            }
        }
        writeIndicator("\"", needWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    mutating func writeBlockScalarHints(_ value: [UInt8]) {
        if Self.isSpace(value, 0) || Self.isBreak(value, 0) {
            writeIndicator(String(bestIndent), needWhitespace: false, isWhitespace: false, isIndention: false)
        }
        var chomp: String?
        if value.isEmpty {
            chomp = "-"
        } else {
            var i = value.count - 1
            while i > 0 && value[i] & 0xC0 == 0x80 { i -= 1 }
            if !Self.isBreak(value, i) {
                chomp = "-"
            } else if i == 0 {
                chomp = "+"
            } else {
                i -= 1
                while i > 0 && value[i] & 0xC0 == 0x80 { i -= 1 }
                if Self.isBreak(value, i) { chomp = "+" }
            }
        }
        if let chomp { writeIndicator(chomp, needWhitespace: false, isWhitespace: false, isIndention: false) }
    }

    mutating func writeLiteral(_ value: [UInt8]) {
        writeIndicator("|", needWhitespace: true, isWhitespace: false, isIndention: false)
        writeBlockScalarHints(value)
        putBreak()
        indention = true
        whitespace = true
        var breaks = true
        var i = 0
        while i < value.count {
            if Self.isBreak(value, i) {
                writeBreak(value, &i)
                indention = true
                breaks = true
            } else {
                if breaks { writeIndent() }
                write(value, &i)
                indention = false
                breaks = false
            }
        }
    }
}
