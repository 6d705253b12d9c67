import Foundation

/// One entry of a route's `match`, prepared for the hot path: a request
/// matches when every condition given holds; a route's entries are
/// alternatives.
final class CompiledMatch: Sendable {
    let uri: StringMatcher?
    let scheme: StringMatcher?
    let method: StringMatcher?
    let authority: StringMatcher?
    let headers: [HeaderMatcher]
    let queryParams: [QueryMatcher]
    let withoutHeaders: [HeaderMatcher]

    init(_ condition: MatchCondition, path: String) throws(RouteTableError) {
        uri = try condition.uri.map { match throws(RouteTableError) in
            try StringMatcher(match, ignoringCase: condition.ignoreUriCase, path: "\(path).uri")
        }
        scheme = try condition.scheme.map { match throws(RouteTableError) in try StringMatcher(match, path: "\(path).scheme") }
        method = try condition.method.map { match throws(RouteTableError) in try StringMatcher(match, path: "\(path).method") }
        authority = try condition.authority.map { match throws(RouteTableError) in try StringMatcher(match, path: "\(path).authority") }
        headers = try Self.headers(condition.headers, path: "\(path).headers")
        withoutHeaders = try Self.headers(condition.withoutHeaders, path: "\(path).withoutHeaders")
        var queryParams: [QueryMatcher] = []
        for name in condition.queryParams.keys.sorted() {
            queryParams.append(try QueryMatcher(name: name, condition.queryParams[name]!, path: "\(path).queryParams.\(name)"))
        }
        self.queryParams = queryParams
        guard uri != nil || scheme != nil || method != nil || authority != nil
                || !headers.isEmpty || !queryParams.isEmpty || !withoutHeaders.isEmpty else {
            throw RouteTableError(path: path, "has no condition, so it would match every request")
        }
    }

    private static func headers(_ matches: [String: StringMatch], path: String) throws(RouteTableError) -> [HeaderMatcher] {
        var matchers: [HeaderMatcher] = []
        for name in matches.keys.sorted() {
            matchers.append(try HeaderMatcher(name: name, matches[name]!, path: "\(path).\(name)"))
        }
        return matchers
    }

    /// The scheme of a request without an absolute-form target: the router
    /// serves plain HTTP.
    private static let http = Array("http".utf8)

    func matches(_ head: RequestHead, _ target: RequestTarget, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if let method, !method.matches(bytes, head.method) { return false }
        if let uri, !uri.matches(bytes, target.path) { return false }
        if let scheme {
            let holds = target.scheme.map { scheme.matches(bytes, $0) } ?? Self.http.withUnsafeBytes { scheme.matches($0, 0..<$0.count) }
            if !holds { return false }
        }
        if let authority {
            guard let range = target.authority ?? head.fields.first(where: { HeadScanner.equalsIgnoringCase(bytes, $0.name, "host") })?.value,
                  authority.matches(bytes, range) else { return false }
        }
        for header in headers where !header.holds(head, bytes) { return false }
        for parameter in queryParams where !parameter.holds(target.query, bytes) { return false }
        for header in withoutHeaders where header.holds(head, bytes) { return false }
        return true
    }
}

/// How one value is compared: exact, prefix and suffix on its bytes
/// (optionally ignoring ASCII case), a regex on the whole value.
final class StringMatcher: Sendable {
    enum Kind: Sendable {
        case exact([UInt8]), prefix([UInt8]), suffix([UInt8])
        case regex(NSRegularExpressionBox)
    }

    let kind: Kind
    /// The expected bytes are lower-cased, and so is each byte compared.
    let ignoresCase: Bool

    /// `ignoringCase` applies to exact, prefix and suffix; not to a regex,
    /// as Istio's `ignoreUriCase` does not.
    init(_ match: StringMatch, ignoringCase: Bool = false, path: String) throws(RouteTableError) {
        let given = [match.exact, match.prefix, match.suffix, match.regex].compactMap { $0 }
        guard given.count == 1 else { throw RouteTableError(path: path, "needs exactly one of exact, prefix, suffix, regex") }
        ignoresCase = ignoringCase
        func expected(_ text: String) -> [UInt8] {
            Array(text.utf8).map { ignoringCase && $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        }
        if let exact = match.exact { kind = .exact(expected(exact)) }
        else if let prefix = match.prefix { kind = .prefix(expected(prefix)) }
        else if let suffix = match.suffix { kind = .suffix(expected(suffix)) }
        else {
            guard let regex = Self.wholeValueRegex(match.regex!) else {
                throw RouteTableError(path: "\(path).regex", "\"\(match.regex!)\" is not a valid regular expression")
            }
            kind = .regex(NSRegularExpressionBox(regex))
        }
    }

    /// `pattern` anchored at both ends, as Envoy matches a regex against the
    /// whole value: `v1` does not match `v10`. `\A` and `\z` rather than `^`
    /// and `$`, which also match around a line break. The pattern must
    /// compile on its own first, so its parentheses cannot pair with ours.
    static func wholeValueRegex(_ pattern: String) -> NSRegularExpression? {
        guard (try? NSRegularExpression(pattern: pattern)) != nil else { return nil }
        return try? NSRegularExpression(pattern: #"\A(?:"# + pattern + #")\z"#)
    }

    func matches(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        switch kind {
        case .exact(let expected):
            return value.count == expected.count && equal(bytes, value, expected)
        case .prefix(let expected):
            return value.count >= expected.count && equal(bytes, value.prefix(expected.count), expected)
        case .suffix(let expected):
            return value.count >= expected.count && equal(bytes, value.suffix(expected.count), expected)
        case .regex(let box):
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[value]), as: UTF8.self)
            return box.regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    private func equal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        if !ignoresCase { return zip(range, expected).allSatisfy { bytes[$0] == $1 } }
        return zip(range, expected).allSatisfy { index, byte in
            let actual = bytes[index]
            return (actual >= UInt8(ascii: "A") && actual <= UInt8(ascii: "Z") ? actual + 32 : actual) == byte
        }
    }
}

/// NSRegularExpression is immutable once made and documented as safe to use
/// from several threads; Foundation on Linux does not mark it Sendable.
struct NSRegularExpressionBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}

/// One header condition: it holds when a field of that name has a value
/// that matches (any of them, when the header is repeated).
final class HeaderMatcher: Sendable {
    /// Lower-cased, for a case-insensitive comparison with the request's names.
    let name: [UInt8]
    let value: StringMatcher

    init(name: String, _ match: StringMatch, path: String) throws(RouteTableError) {
        guard !name.isEmpty, name.utf8.allSatisfy(HeadScanner.isToken) else {
            throw RouteTableError(path: path, "\"\(name)\" is not a header name")
        }
        self.name = Array(name.lowercased().utf8)
        value = try StringMatcher(match, path: path)
    }

    func holds(_ head: RequestHead, _ bytes: UnsafeRawBufferPointer) -> Bool {
        head.fields.contains { field in
            RouteDecision.equalsLowercased(bytes, field.name, name) && value.matches(bytes, field.value)
        }
    }
}

/// One query parameter condition, on decoded names and values: it holds
/// when a parameter of that name has a value that matches (any of them,
/// when the parameter is repeated). `?flag` has the empty value.
final class QueryMatcher: Sendable {
    /// Decoded, as written in the Canary.
    let name: [UInt8]
    let value: StringMatcher

    init(name: String, _ match: StringMatch, path: String) throws(RouteTableError) {
        guard !name.isEmpty else { throw RouteTableError(path: path, "a query parameter needs a name") }
        self.name = Array(name.utf8)
        value = try StringMatcher(match, path: path)
    }

    func holds(_ query: Range<Int>?, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let query, !query.isEmpty else { return false }
        // Decoded text is never longer than the encoded one: one scratch
        // buffer, on the stack for any usual query, serves every parameter.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: query.count) { scratch in
            let decoded = UnsafeRawBufferPointer(scratch)
            var start = query.lowerBound
            while start < query.upperBound {
                let end = HeadScanner.firstIndex(of: UInt8(ascii: "&"), in: bytes, from: start, to: query.upperBound) ?? query.upperBound
                let equals = HeadScanner.firstIndex(of: UInt8(ascii: "="), in: bytes, from: start, to: end)
                let nameCount = Self.decode(bytes, start..<(equals ?? end), into: scratch)
                if nameCount == name.count, zip(0..<nameCount, name).allSatisfy({ decoded[$0] == $1 }) {
                    let valueCount = equals.map { Self.decode(bytes, ($0 + 1)..<end, into: scratch) } ?? 0
                    if value.matches(decoded, 0..<valueCount) { return true }
                }
                start = end + 1
            }
            return false
        }
    }

    /// Decodes `%XX` and `+` (a space, as HTML forms encode one) into
    /// `buffer`; a `%` without two hex digits after it stays as it is.
    /// Returns how many bytes it wrote.
    static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        var index = range.lowerBound
        while index < range.upperBound {
            var byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                byte = .space
            } else if byte == UInt8(ascii: "%"), index + 2 < range.upperBound,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                byte = high << 4 | low
                index += 2
            }
            buffer[count] = byte
            count += 1
            index += 1
        }
        return count
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
