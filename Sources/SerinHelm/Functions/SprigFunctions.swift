import Crypto
import Foundation
import SerinTemplate

/// Sprig's functions (Masterminds/sprig v3, as Helm installs them), with
/// Sprig's Go signatures so arguments are checked as Helm checks them.
/// Functions whose result is not fixed by their input (random strings,
/// keys and certificates, the clock) are refused: see `HelmFunctions.refused`.
enum SprigFunctions {
    typealias Table = [String: TemplateFunction]

    static func function(_ name: String, _ parameters: [GoType], variadic: GoType? = nil,
                         _ body: @escaping @Sendable ([Value]) throws -> Value) -> TemplateFunction {
        TemplateFunction(name, parameters, variadic: variadic) { arguments, _ in try body(arguments) }
    }

    static func str(_ value: Value) -> String { value.stringValue ?? "" }

    static var all: Table {
        var table = Table()
        for part in [strings, lists, dictionaries, math, encodings, conversions, flow, semver, paths] {
            table.merge(part) { $1 }
        }
        return table
    }

    // MARK: - Strings

    static var strings: Table {
        var t = Table()
        t["trim"] = function("trim", [.string]) { .string(str($0[0]).trimmingCharacters(in: goSpace)) }
        t["trimAll"] = function("trimAll", [.string, .string]) { .string(trim(str($0[1]), cutset: str($0[0]))) }
        t["trimPrefix"] = function("trimPrefix", [.string, .string]) { a in
            let s = str(a[1]), prefix = str(a[0])
            return .string(s.hasPrefix(prefix) ? String(s.dropFirst(prefix.count)) : s)
        }
        t["trimSuffix"] = function("trimSuffix", [.string, .string]) { a in
            let s = str(a[1]), suffix = str(a[0])
            return .string(!suffix.isEmpty && s.hasSuffix(suffix) ? String(s.dropLast(suffix.count)) : s)
        }
        t["upper"] = function("upper", [.string]) { .string(str($0[0]).uppercased()) }
        t["lower"] = function("lower", [.string]) { .string(str($0[0]).lowercased()) }
        t["title"] = function("title", [.string]) { .string(title(str($0[0]))) }
        t["untitle"] = function("untitle", [.string]) { a in
            .string(wordsMapped(str(a[0])) { $0.prefix(1).lowercased() + $0.dropFirst() })
        }
        t["repeat"] = function("repeat", [.int, .string]) { a in
            let count = Cast.int(a[0])
            guard count >= 0 else { throw FunctionError("strings: negative Repeat count") }
            guard count * str(a[1]).utf8.count <= 16 << 20 else { throw FunctionError("repeat: the result would be larger than 16 MiB") }
            return .string(String(repeating: str(a[1]), count: count))
        }
        t["substr"] = function("substr", [.int, .int, .string]) { a in
            let bytes = Array(str(a[2]).utf8)
            var start = Cast.int(a[0]), end = Cast.int(a[1])
            if start < 0 { return .string(String(decoding: bytes[..<min(max(end, 0), bytes.count)], as: UTF8.self)) }
            if end < 0 || end > bytes.count { end = bytes.count }
            start = min(start, end)
            return .string(String(decoding: bytes[start..<end], as: UTF8.self))
        }
        t["nospace"] = function("nospace", [.string]) { .string(String(str($0[0]).unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))) }
        t["trunc"] = function("trunc", [.int, .string]) { a in
            let c = Cast.int(a[0])
            let bytes = Array(str(a[1]).utf8)
            if c < 0 && bytes.count + c > 0 { return .string(String(decoding: bytes[(bytes.count + c)...], as: UTF8.self)) }
            if c >= 0 && bytes.count > c { return .string(String(decoding: bytes[..<c], as: UTF8.self)) }
            return .string(str(a[1]))
        }
        t["abbrev"] = function("abbrev", [.int, .string]) { a in
            let width = Cast.int(a[0]), s = str(a[1])
            if width < 4 || s.count <= width { return .string(s) }
            return .string(String(s.prefix(width - 3)) + "...")
        }
        t["initials"] = function("initials", [.string]) { a in
            .string(str(a[0]).split(whereSeparator: { $0.isWhitespace }).compactMap(\.first).map(String.init).joined())
        }
        t["wrap"] = function("wrap", [.int, .string]) { .string(wrap(str($0[1]), width: Cast.int($0[0]), newline: "\n", longWords: false)) }
        t["wrapWith"] = function("wrapWith", [.int, .string, .string]) { .string(wrap(str($0[2]), width: Cast.int($0[0]), newline: str($0[1]), longWords: true)) }
        t["contains"] = function("contains", [.string, .string]) { a in .bool(str(a[0]).isEmpty || str(a[1]).contains(str(a[0]))) }
        t["hasPrefix"] = function("hasPrefix", [.string, .string]) { .bool(str($0[1]).hasPrefix(str($0[0]))) }
        t["hasSuffix"] = function("hasSuffix", [.string, .string]) { .bool(str($0[1]).hasSuffix(str($0[0]))) }
        t["quote"] = function("quote", [], variadic: .interface) { a in
            .string(a.filter { if case .null = $0 { return false } else { return true } }
                .map { GoQuote.quote(Cast.string($0)) }.joined(separator: " "))
        }
        t["squote"] = function("squote", [], variadic: .interface) { a in
            .string(a.filter { if case .null = $0 { return false } else { return true } }
                .map { "'" + Cast.string($0) + "'" }.joined(separator: " "))
        }
        t["cat"] = function("cat", [], variadic: .interface) { a in
            .string(GoFormatter.sprint(a.filter { if case .null = $0 { return false } else { return true } }.map { $0 }.interleaved(with: .string(" ")))
                .trimmingCharacters(in: .init(charactersIn: " ")))
        }
        t["indent"] = function("indent", [.int, .string]) { a in .string(indent(str(a[1]), Cast.int(a[0]))) }
        t["nindent"] = function("nindent", [.int, .string]) { a in .string("\n" + indent(str(a[1]), Cast.int(a[0]))) }
        t["replace"] = function("replace", [.string, .string, .string]) { a in
            let old = str(a[0])
            if old.isEmpty { return .string(goReplaceEmpty(str(a[2]), with: str(a[1]))) }
            return .string(str(a[2]).replacingOccurrences(of: old, with: str(a[1])))
        }
        t["plural"] = function("plural", [.string, .string, .int]) { a in .string(Cast.int(a[2]) == 1 ? str(a[0]) : str(a[1])) }
        t["snakecase"] = function("snakecase", [.string]) { .string(caseWords(str($0[0])).map { $0.lowercased() }.joined(separator: "_")) }
        t["kebabcase"] = function("kebabcase", [.string]) { .string(caseWords(str($0[0])).map { $0.lowercased() }.joined(separator: "-")) }
        t["camelcase"] = function("camelcase", [.string]) { a in
            .string(str(a[0]).split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined())
        }
        t["swapcase"] = function("swapcase", [.string]) { a in
            .string(String(str(a[0]).map { $0.isUppercase ? Character($0.lowercased()) : $0.isLowercase ? Character($0.uppercased()) : $0 }))
        }
        t["toString"] = function("toString", [.interface]) { .string(Cast.string($0[0])) }
        t["toStrings"] = function("toStrings", [.interface]) { a in
            guard let items = Cast.list(a[0]) else {
                if case .null = a[0] { return .strings([]) }
                return .strings([Cast.string(a[0])])
            }
            return .strings(items.map(Cast.string))
        }
        t["split"] = function("split", [.string, .string]) { a in
            var map: [String: Value] = [:]
            for (index, part) in goSplit(str(a[1]), str(a[0]), limit: -1).enumerated() { map["_\(index)"] = .string(part) }
            return .map(ValueMap(map, type: .map(.string, .string)))
        }
        t["splitList"] = function("splitList", [.string, .string]) { .strings(goSplit(str($0[1]), str($0[0]), limit: -1)) }
        t["splitn"] = function("splitn", [.string, .int, .string]) { a in
            var map: [String: Value] = [:]
            for (index, part) in goSplit(str(a[2]), str(a[0]), limit: Cast.int(a[1])).enumerated() { map["_\(index)"] = .string(part) }
            return .map(ValueMap(map, type: .map(.string, .string)))
        }
        t["join"] = function("join", [.string, .interface]) { a in
            let items = Cast.list(a[1]) ?? (a[1].isNil ? [] : [a[1]])
            return .string(items.filter { if case .null = $0 { return false } else { return true } }.map(Cast.string).joined(separator: str(a[0])))
        }
        t["sortAlpha"] = function("sortAlpha", [.interface]) { a in
            guard let items = Cast.list(a[0]) else { return .strings([Cast.string(a[0])]) }
            return .strings(items.map(Cast.string).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        t["regexMatch"] = function("regexMatch", [.string, .string]) { a in .bool((try? GoRegex(str(a[0])).matches(str(a[1]))) ?? false) }
        t["mustRegexMatch"] = function("mustRegexMatch", [.string, .string]) { a in .bool(try GoRegex(str(a[0])).matches(str(a[1]))) }
        t["regexFind"] = function("regexFind", [.string, .string]) { a in .string((try? GoRegex(str(a[0])).find(str(a[1]))) ?? "") }
        t["mustRegexFind"] = function("mustRegexFind", [.string, .string]) { a in .string(try GoRegex(str(a[0])).find(str(a[1]))) }
        t["regexFindAll"] = function("regexFindAll", [.string, .string, .int]) { a in
            .strings((try? GoRegex(str(a[0])).findAll(str(a[1]), limit: Cast.int(a[2]))) ?? [])
        }
        t["mustRegexFindAll"] = function("mustRegexFindAll", [.string, .string, .int]) { a in
            .strings(try GoRegex(str(a[0])).findAll(str(a[1]), limit: Cast.int(a[2])))
        }
        t["regexReplaceAll"] = function("regexReplaceAll", [.string, .string, .string]) { a in
            .string((try? GoRegex(str(a[0])).replaceAll(str(a[1]), with: str(a[2]), literal: false)) ?? str(a[1]))
        }
        t["mustRegexReplaceAll"] = function("mustRegexReplaceAll", [.string, .string, .string]) { a in
            .string(try GoRegex(str(a[0])).replaceAll(str(a[1]), with: str(a[2]), literal: false))
        }
        t["regexReplaceAllLiteral"] = function("regexReplaceAllLiteral", [.string, .string, .string]) { a in
            .string((try? GoRegex(str(a[0])).replaceAll(str(a[1]), with: str(a[2]), literal: true)) ?? str(a[1]))
        }
        t["regexSplit"] = function("regexSplit", [.string, .string, .int]) { a in
            .strings((try? GoRegex(str(a[0])).split(str(a[1]), limit: Cast.int(a[2]))) ?? [])
        }
        t["regexQuoteMeta"] = function("regexQuoteMeta", [.string]) { a in
            .string(String(str(a[0]).flatMap { #"\.+*?()|[]{}^$"#.contains($0) ? ["\\", $0] : [$0] }))
        }
        return t
    }

    static let goSpace = CharacterSet(charactersIn: " \t\n\r\u{0B}\u{0C}\u{85}\u{A0}").union(.whitespacesAndNewlines)

    static func trim(_ s: String, cutset: String) -> String {
        let set = Set(cutset.unicodeScalars)
        var scalars = Array(s.unicodeScalars)[...]
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Go's deprecated `strings.Title`: the first letter of each word upper-cased.
    static func title(_ s: String) -> String {
        var out = ""
        var previous: Character = " "
        for character in s {
            let separator = !(previous.isLetter || previous.isNumber || previous == "_" || previous == "'")
            out.append(separator ? Character(character.uppercased().count == 1 ? character.uppercased() : String(character)) : character)
            previous = character
        }
        return out
    }

    static func wordsMapped(_ s: String, _ transform: (Substring) -> String) -> String {
        var out = ""
        var word = Substring()
        var start = s.startIndex
        for index in s.indices {
            if s[index].isWhitespace {
                word = s[start..<index]
                out += transform(word) + String(s[index])
                start = s.index(after: index)
            }
        }
        out += transform(s[start...])
        return out
    }

    static func indent(_ text: String, _ spaces: Int) -> String {
        let pad = String(repeating: " ", count: max(spaces, 0))
        return pad + text.replacingOccurrences(of: "\n", with: "\n" + pad)
    }

    static func goReplaceEmpty(_ s: String, with new: String) -> String {
        var out = new
        for character in s.unicodeScalars { out.unicodeScalars.append(character); out += new }
        return out
    }

    /// Go's `strings.SplitN` (`limit` < 0: all).
    static func goSplit(_ s: String, _ separator: String, limit: Int) -> [String] {
        if limit == 0 { return [] }
        if separator.isEmpty {
            var parts = s.unicodeScalars.map { String($0) }
            if limit > 0 && parts.count > limit { parts = Array(parts.prefix(limit - 1)) + [String(String.UnicodeScalarView(s.unicodeScalars.dropFirst(limit - 1)))] }
            return parts
        }
        var parts: [String] = []
        var rest = Substring(s)
        while limit < 0 || parts.count < limit - 1, let range = rest.range(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    /// goutils' `WrapCustom`, byte for byte.
    static func wrap(_ s: String, width: Int, newline: String, longWords: Bool) -> String {
        let bytes = Array(s.utf8)
        if bytes.isEmpty { return "" }
        let newlineBytes = Array((newline.isEmpty ? "\n" : newline).utf8)
        let length = max(width, 1)
        var offset = 0
        var out: [UInt8] = []
        func lastSpace(_ from: Int, _ to: Int) -> Int? {
            var index = min(to, bytes.count) - 1
            while index >= from { if bytes[index] == 0x20 { return index }; index -= 1 }
            return nil
        }
        while bytes.count - offset > length {
            if bytes[offset] == 0x20 {
                offset += 1
                continue
            }
            if let space = lastSpace(offset, length + offset + 1) {
                out += bytes[offset..<space] + newlineBytes
                offset = space + 1
            } else if longWords {
                out += bytes[offset..<(offset + length)] + newlineBytes
                offset += length
            } else {
                let end = length + offset
                if let space = bytes[end...].firstIndex(of: 0x20) {
                    out += bytes[offset..<space] + newlineBytes
                    offset = space + 1
                } else {
                    out += bytes[offset...]
                    offset = bytes.count
                }
            }
        }
        out += bytes[offset...]
        return String(decoding: out, as: UTF8.self)
    }

    static func caseWords(_ s: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in s {
            if character == "_" || character == "-" || character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else if character.isUppercase && !current.isEmpty && !(current.last?.isUppercase ?? false) {
                words.append(current)
                current = String(character)
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    // MARK: - Paths and durations

    static var paths: Table {
        var t = Table()
        for prefix in ["", "os"] {
            t[prefix.isEmpty ? "base" : "osBase"] = function(prefix + "base", [.string]) { .string(pathBase(str($0[0]))) }
            t[prefix.isEmpty ? "dir" : "osDir"] = function(prefix + "dir", [.string]) { .string(pathDir(str($0[0]))) }
            t[prefix.isEmpty ? "clean" : "osClean"] = function(prefix + "clean", [.string]) { .string(pathClean(str($0[0]))) }
            t[prefix.isEmpty ? "ext" : "osExt"] = function(prefix + "ext", [.string]) { a in
                let base = pathBase(str(a[0]))
                guard let dot = base.lastIndex(of: "."), !str(a[0]).hasSuffix("/") else { return .string("") }
                return .string(String(base[dot...]))
            }
            t[prefix.isEmpty ? "isAbs" : "osIsAbs"] = function(prefix + "isAbs", [.string]) { .bool(str($0[0]).hasPrefix("/")) }
        }
        // Sprig reads only int64 and string seconds; anything else is zero.
        t["duration"] = function("duration", [.interface]) { a in
            switch a[0] {
            case .int(let seconds, .int64): return .string(goDuration(seconds &* 1_000_000_000))
            case .string(let text): return .string(goDuration((Int64(text) ?? 0) &* 1_000_000_000))
            default: return .string("0s")
            }
        }
        return t
    }

    /// Go's `path.Clean`.
    static func pathClean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !rooted { parts.append(part) }
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `path.Base`.
    static func pathBase(_ path: String) -> String {
        if path.isEmpty { return "." }
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed == "/" { return "/" }
        return String(trimmed.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }

    /// Go's `path.Dir`.
    static func pathDir(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return pathClean(String(path[...slash]))
    }

    /// Go's `time.Duration.String()` for a number of nanoseconds.
    static func goDuration(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        let value = nanoseconds.magnitude
        var out: String
        if value < 1_000_000_000 {
            switch value {
            case ..<1_000: out = "\(value)ns"
            case ..<1_000_000: out = fraction(value, 1_000) + "µs"
            default: out = fraction(value, 1_000_000) + "ms"
            }
        } else {
            let seconds = value / 1_000_000_000
            let hours = seconds / 3600, minutes = (seconds / 60) % 60
            let secondsText = fraction(value % 60_000_000_000, 1_000_000_000) + "s"
            out = hours > 0 ? "\(hours)h\(minutes)m" + secondsText : minutes > 0 ? "\(minutes)m" + secondsText : secondsText
        }
        return negative ? "-" + out : out
    }

    static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var rest = String(value % unit)
        let width = String(unit).count - 1
        rest = String(repeating: "0", count: max(0, width - rest.count)) + rest
        while rest.hasSuffix("0") { rest.removeLast() }
        return rest.isEmpty ? "\(whole)" : "\(whole).\(rest)"
    }

    // MARK: - Conversions and flow

    static var conversions: Table {
        var t = Table()
        t["atoi"] = function("atoi", [.string]) { .int(Int(GoNumber.parseInt(str($0[0])) ?? 0)) }
        t["int"] = function("int", [.interface]) { .int(Cast.int($0[0])) }
        t["int64"] = function("int64", [.interface]) { .int64(Cast.int64($0[0])) }
        t["float64"] = function("float64", [.interface]) { .float64(Cast.float64($0[0])) }
        t["toDecimal"] = function("toDecimal", [.interface]) { a in
            .int64(Int64(Cast.string(a[0]), radix: 8) ?? 0)
        }
        t["typeOf"] = function("typeOf", [.interface]) { .string(GoFormatter.sprintf("%T", [$0[0]])) }
        t["typeIs"] = function("typeIs", [.string, .interface]) { .bool(str($0[0]) == $0[1].typeName) }
        t["typeIsLike"] = function("typeIsLike", [.string, .interface]) { a in
            .bool(str(a[0]) == a[1].typeName || str(a[0]) == "*" + a[1].typeName)
        }
        t["kindOf"] = function("kindOf", [.interface]) { .string(kind($0[0])) }
        t["kindIs"] = function("kindIs", [.string, .interface]) { .bool(str($0[0]) == kind($0[1])) }
        t["deepEqual"] = function("deepEqual", [.interface, .interface]) { a in
            .bool((try? GoJSON.normalize(a[0])) == (try? GoJSON.normalize(a[1])) && a[0].typeName == a[1].typeName)
        }
        return t
    }

    static func kind(_ value: Value) -> String {
        switch value {
        case .missing, .null: return "invalid"
        case .bool: return "bool"
        case .int(_, let type), .uint(_, let type), .float(_, let type), .complex(_, _, let type): return type.underlying.description
        case .string: return "string"
        case .list: return "slice"
        case .map: return "map"
        case .object(let object): return object.type.isPointerType ? "ptr" : "struct"
        case .function: return "func"
        case .typedNil(let type):
            switch type.underlying {
            case .map: return "map"
            case .slice: return "slice"
            case .pointer: return "ptr"
            default: return "func"
            }
        }
    }

    static var flow: Table {
        var t = Table()
        t["default"] = function("default", [.interface], variadic: .interface) { a in
            if a.count < 2 || Cast.isEmpty(a[1]) { return a[0] }
            return a[1]
        }
        t["empty"] = function("empty", [.interface]) { .bool(Cast.isEmpty($0[0])) }
        t["coalesce"] = function("coalesce", [], variadic: .interface) { a in a.first { !Cast.isEmpty($0) } ?? .null }
        t["all"] = function("all", [], variadic: .interface) { .bool($0.allSatisfy { !Cast.isEmpty($0) }) }
        t["any"] = function("any", [], variadic: .interface) { .bool($0.contains { !Cast.isEmpty($0) }) }
        t["ternary"] = function("ternary", [.interface, .interface, .bool]) { a in a[2].truth == true ? a[0] : a[1] }
        t["fail"] = function("fail", [.string]) { throw FunctionError(str($0[0])) }
        return t
    }

    // MARK: - Encodings

    static var encodings: Table {
        var t = Table()
        t["b64enc"] = function("b64enc", [.string]) { .string(Data(str($0[0]).utf8).base64EncodedString()) }
        t["b64dec"] = function("b64dec", [.string]) { a in
            guard let data = Data(base64Encoded: str(a[0])) else { return .string("illegal base64 data at input byte 0") }
            return .string(String(decoding: data, as: UTF8.self))
        }
        t["b32enc"] = function("b32enc", [.string]) { .string(Base32.encode(Array(str($0[0]).utf8))) }
        t["b32dec"] = function("b32dec", [.string]) { a in
            guard let bytes = Base32.decode(str(a[0])) else { return .string("illegal base32 data at input byte 0") }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
        t["sha1sum"] = function("sha1sum", [.string]) { .string(hex(Insecure.SHA1.hash(data: Data(str($0[0]).utf8)))) }
        t["sha256sum"] = function("sha256sum", [.string]) { .string(hex(SHA256.hash(data: Data(str($0[0]).utf8)))) }
        t["sha512sum"] = function("sha512sum", [.string]) { .string(hex(SHA512.hash(data: Data(str($0[0]).utf8)))) }
        t["adler32sum"] = function("adler32sum", [.string]) { a in
            var a1: UInt32 = 1, b1: UInt32 = 0
            for byte in str(a[0]).utf8 {
                a1 = (a1 + UInt32(byte)) % 65521
                b1 = (b1 + a1) % 65521
            }
            return .string(String((b1 << 16) | a1))
        }
        t["urlquery"] = function("urlquery", [], variadic: .interface) { a in .string(Builtins.queryEscape(a.map(Cast.string).joined())) }
        return t
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

extension Array {
    func interleaved(with separator: Element) -> [Element] {
        var out: [Element] = []
        for (index, element) in enumerated() {
            if index > 0 { out.append(separator) }
            out.append(element)
        }
        return out
    }
}

extension GoType {
    var isPointerType: Bool {
        if case .pointer = self { return true }
        return false
    }
}

/// RFC 4648 base32 with padding, as Go's `base32.StdEncoding`.
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 5, bytes.count)])
            var buffer: UInt64 = 0
            for position in 0..<5 { buffer = buffer << 8 | UInt64(position < chunk.count ? chunk[position] : 0) }
            let symbols = [0, 2, 4, 5, 7, 8][chunk.count]
            for position in 0..<8 {
                if position < symbols {
                    out.append(alphabet[Int((buffer >> UInt64(35 - position * 5)) & 31)])
                } else {
                    out.append(UInt8(ascii: "="))
                }
            }
            index += 5
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let symbols = Array(text.utf8.filter { $0 != UInt8(ascii: "=") })
        var out = [UInt8]()
        var buffer: UInt64 = 0
        var bits = 0
        for symbol in symbols {
            guard let value = alphabet.firstIndex(of: symbol) else { return nil }
            buffer = buffer << 5 | UInt64(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt64(bits)) & 0xFF))
            }
        }
        return out
    }
}
