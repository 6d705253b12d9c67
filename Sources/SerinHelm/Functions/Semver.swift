import SerinTemplate

/// Masterminds/semver v3 as Sprig's `semver` and `semverCompare` use it.
struct SemanticVersion: Comparable, Sendable {
    var major: UInt64
    var minor: UInt64
    var patch: UInt64
    var prerelease: String
    var metadata: String
    var original: String

    struct Invalid: Error, CustomStringConvertible {
        var description: String { "Invalid Semantic Version" }
    }

    /// `semver.NewVersion`: a leading `v`, minor and patch optional.
    init(_ text: String) throws {
        original = text
        var body = Substring(text)
        if body.hasPrefix("v") { body = body.dropFirst() }
        metadata = ""
        prerelease = ""
        if let plus = body.firstIndex(of: "+") {
            metadata = String(body[body.index(after: plus)...])
            body = body[..<plus]
        }
        if let dash = body.firstIndex(of: "-") {
            prerelease = String(body[body.index(after: dash)...])
            body = body[..<dash]
            guard !prerelease.isEmpty, prerelease.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else { throw Invalid() }
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { throw Invalid() }
        guard let major = UInt64(parts[0]) else { throw Invalid() }
        self.major = major
        minor = parts.count > 1 ? UInt64(parts[1]) ?? 0 : 0
        patch = parts.count > 2 ? UInt64(parts[2]) ?? 0 : 0
    }

    init(major: UInt64, minor: UInt64, patch: UInt64, prerelease: String = "") {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        metadata = ""
        original = "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease)
    }

    var string: String { "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease) + (metadata.isEmpty ? "" : "+" + metadata) }

    static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool { compare(lhs, rhs) < 0 }
    static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool { compare(lhs, rhs) == 0 }

    static func compare(_ a: SemanticVersion, _ b: SemanticVersion) -> Int {
        for (x, y) in [(a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)] where x != y { return x < y ? -1 : 1 }
        if a.prerelease == b.prerelease { return 0 }
        if a.prerelease.isEmpty { return 1 }
        if b.prerelease.isEmpty { return -1 }
        let left = a.prerelease.split(separator: "."), right = b.prerelease.split(separator: ".")
        for (x, y) in zip(left, right) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case (let p?, let q?): return p < q ? -1 : 1
            case (_?, nil): return -1
            case (nil, _?): return 1
            default: return x < y ? -1 : 1
            }
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }
}

/// A Masterminds/semver v3 constraint: `||` of `,`-or-space separated comparisons.
struct SemverConstraint {
    struct Comparison {
        var operation: String
        var version: SemanticVersion
        /// How many of major, minor, patch were written (the rest are wildcards).
        var given: Int
        var wildcardAt: Int?
    }

    var groups: [[Comparison]]

    struct Invalid: Error, CustomStringConvertible {
        var text: String
        var description: String { "improper constraint: \(text)" }
    }

    init(_ text: String) throws {
        groups = []
        for alternative in text.components(separatedBy: "||") {
            var comparisons: [Comparison] = []
            var tokens = alternative.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
            // Hyphen ranges: `1.2 - 1.4.5`.
            var index = 0
            while index < tokens.count {
                if index + 2 < tokens.count && tokens[index + 1] == "-" {
                    comparisons.append(try Self.comparison(">=" + tokens[index], text))
                    comparisons.append(try Self.comparison("<=" + tokens[index + 2], text))
                    index += 3
                    continue
                }
                var token = tokens[index]
                // An operator written apart from its version: `>= 1.2`.
                if token.allSatisfy({ "<>=!~^".contains($0) }), index + 1 < tokens.count {
                    token += tokens[index + 1]
                    index += 1
                }
                comparisons.append(try Self.comparison(token, text))
                index += 1
            }
            tokens = []
            guard !comparisons.isEmpty else { throw Invalid(text: text) }
            groups.append(comparisons)
        }
    }

    static func comparison(_ token: String, _ text: String) throws -> Comparison {
        var operation = String(token.prefix { "<>=!~^".contains($0) })
        var rest = String(token.dropFirst(operation.count))
        if operation == "=>" { operation = ">=" }
        if operation == "=<" { operation = "<=" }
        if operation == "~>" { operation = "~" }
        if operation.isEmpty { operation = "=" }
        if rest.hasPrefix("v") { rest.removeFirst() }
        var body = rest
        var suffix = ""
        if let cut = rest.firstIndex(where: { $0 == "-" || $0 == "+" }) {
            body = String(rest[..<cut])
            suffix = String(rest[cut...])
        }
        var parts = body.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count) else { throw Invalid(text: text) }
        var wildcardAt: Int?
        for (position, part) in parts.enumerated() where part == "x" || part == "X" || part == "*" {
            wildcardAt = wildcardAt ?? position
            parts[position] = "0"
        }
        let given = wildcardAt ?? parts.count
        while parts.count < 3 { parts.append("0") }
        let version = try SemanticVersion(parts.joined(separator: ".") + suffix)
        return Comparison(operation: operation, version: version, given: given, wildcardAt: wildcardAt)
    }

    func check(_ version: SemanticVersion) -> Bool {
        groups.contains { group in group.allSatisfy { check($0, version) } }
    }

    func check(_ c: Comparison, _ v: SemanticVersion) -> Bool {
        // Prereleases match only constraints that name one.
        if !v.prerelease.isEmpty && c.version.prerelease.isEmpty { return false }
        let base = c.version
        switch c.operation {
        case "=":
            if c.given < 3 { return inRange(v, from: base, to: bump(base, at: c.given)) }
            return SemanticVersion.compare(v, base) == 0
        case "!=":
            if c.given < 3 { return !inRange(v, from: base, to: bump(base, at: c.given)) }
            return SemanticVersion.compare(v, base) != 0
        case ">":
            if c.given < 3 { return SemanticVersion.compare(v, bump(base, at: c.given)) >= 0 }
            return SemanticVersion.compare(v, base) > 0
        case ">=": return SemanticVersion.compare(v, base) >= 0
        case "<": return SemanticVersion.compare(v, base) < 0
        case "<=":
            if c.given < 3 { return SemanticVersion.compare(v, bump(base, at: c.given)) < 0 }
            return SemanticVersion.compare(v, base) <= 0
        case "~":
            let upper = c.given <= 1 ? bump(base, at: 1) : bump(base, at: 2)
            return inRange(v, from: base, to: upper)
        case "^":
            let upper: SemanticVersion
            if base.major > 0 || c.given == 1 { upper = bump(base, at: 1) }
            else if base.minor > 0 || c.given == 2 { upper = bump(base, at: 2) }
            else { upper = bump(base, at: 3) }
            return inRange(v, from: base, to: upper)
        default:
            return false
        }
    }

    func inRange(_ v: SemanticVersion, from lower: SemanticVersion, to upper: SemanticVersion) -> Bool {
        SemanticVersion.compare(v, lower) >= 0 && SemanticVersion.compare(v, upper) < 0
    }

    /// The first version past the written part: `1.2` at 2 is `1.3.0-0`-like (the smallest 1.3).
    func bump(_ version: SemanticVersion, at given: Int) -> SemanticVersion {
        switch given {
        case 0: return SemanticVersion(major: UInt64.max, minor: 0, patch: 0)
        case 1: return SemanticVersion(major: version.major + 1, minor: 0, patch: 0, prerelease: "0")
        case 2: return SemanticVersion(major: version.major, minor: version.minor + 1, patch: 0, prerelease: "0")
        default: return SemanticVersion(major: version.major, minor: version.minor, patch: version.patch + 1, prerelease: "0")
        }
    }
}

/// The value `semver` returns (`*semver.Version`): methods `Major`, `Minor`, `Patch`, ...
struct VersionObject: TemplateObject {
    let version: SemanticVersion
    var type: GoType { .pointer(.named("semver.Version", .structure("semver.Version"))) }
    func field(_ name: String) -> TemplateField? { nil }
    var formatted: String? { version.string }
    var printedFields: [(name: String, value: Value)] { [] }

    func method(_ name: String) -> TemplateFunction? {
        let version = self.version
        switch name {
        case "Major": return TemplateFunction("Major", []) { _, _ in .uint(version.major, .uint64) }
        case "Minor": return TemplateFunction("Minor", []) { _, _ in .uint(version.minor, .uint64) }
        case "Patch": return TemplateFunction("Patch", []) { _, _ in .uint(version.patch, .uint64) }
        case "Prerelease": return TemplateFunction("Prerelease", []) { _, _ in .string(version.prerelease) }
        case "Metadata": return TemplateFunction("Metadata", []) { _, _ in .string(version.metadata) }
        case "Original": return TemplateFunction("Original", []) { _, _ in .string(version.original) }
        case "String": return TemplateFunction("String", []) { _, _ in .string(version.string) }
        default: return nil
        }
    }
}

extension SprigFunctions {
    static var semver: Table {
        var t = Table()
        t["semver"] = function("semver", [.string]) { a in .object(VersionObject(version: try SemanticVersion(str(a[0])))) }
        t["semverCompare"] = function("semverCompare", [.string, .string]) { a in
            let constraint = try SemverConstraint(str(a[0]))
            let version = try SemanticVersion(str(a[1]))
            return .bool(constraint.check(version))
        }
        return t
    }
}
