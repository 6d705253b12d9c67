import Version

/// A semantic-version range over tags, as Flux's `semver` takes it:
/// comparators joined by spaces (all must hold), alternatives by `||`.
/// `>=1.2.0 <2.0.0`, `^1.2`, `~1.2.3`, `1.x`, `=1.4.0`, `1.4.0`.
/// Pre-releases match only a range that names a pre-release.
public struct SemverRange: Sendable, CustomStringConvertible {
    enum Operator: String { case gte = ">=", gt = ">", lte = "<=", lt = "<", eq = "=" }
    struct Comparator { var op: Operator; var version: Version }

    let alternatives: [[Comparator]]
    let allowsPrerelease: Bool
    public let description: String

    public init(_ text: String) throws {
        description = text
        let invalid = GitError(.invalidReference, "semver range \"\(text)\" is not valid (examples: \">=1.2.0 <2.0.0\", \"^1.2\", \"~1.2.3\", \"1.x\")")
        var alternatives: [[Comparator]] = []
        var prerelease = false
        for alternative in text.components(separatedBy: "||") {
            var comparators: [Comparator] = []
            let parts = alternative.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
            guard !parts.isEmpty else { throw invalid }
            for part in parts {
                let expanded = try Self.expand(part, invalid)
                prerelease = prerelease || expanded.contains { !$0.version.prereleaseIdentifiers.isEmpty }
                comparators += expanded
            }
            alternatives.append(comparators)
        }
        self.alternatives = alternatives
        self.allowsPrerelease = prerelease
    }

    public func contains(_ version: Version) -> Bool {
        if !version.prereleaseIdentifiers.isEmpty && !allowsPrerelease { return false }
        return alternatives.contains { comparators in
            comparators.allSatisfy { comparator in
                switch comparator.op {
                case .gte: return version >= comparator.version
                case .gt: return version > comparator.version
                case .lte: return version <= comparator.version
                case .lt: return version < comparator.version
                case .eq: return version == comparator.version
                }
            }
        }
    }

    /// The highest tag in the range, with its version.
    func best(among tags: [String]) -> (tag: String, version: Version)? {
        tags.compactMap { tag in Self.parse(tag).map { (tag, $0) } }
            .filter { contains($0.1) }
            .max { $0.1 < $1.1 }
    }

    /// A tag or a version: `v1.2.3`, `1.2.3`, `1.2` (as 1.2.0).
    static func parse(_ text: String) -> Version? {
        var body = Substring(text)
        if body.first == "v" || body.first == "V" { body = body.dropFirst() }
        let core = body.prefix { $0 != "-" && $0 != "+" }
        let suffix = body.dropFirst(core.count)
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count), numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        let padded = (numbers.map(String.init) + Array(repeating: "0", count: 3 - numbers.count)).joined(separator: ".")
        return Version(padded + suffix)
    }

    private static func expand(_ part: String, _ invalid: GitError) throws -> [Comparator] {
        for op in [Operator.gte, .lte, .gt, .lt, .eq] where part.hasPrefix(op.rawValue) {
            guard let version = parse(String(part.dropFirst(op.rawValue.count))) else { throw invalid }
            return [Comparator(op: op, version: version)]
        }
        if part.hasPrefix("^") || part.hasPrefix("~") {
            let body = String(part.dropFirst())
            guard let low = parse(body) else { throw invalid }
            let given = body.split(separator: ".").count
            let high: Version
            if part.hasPrefix("^") {
                high = low.major > 0 || given == 1 ? Version(low.major + 1, 0, 0)
                    : low.minor > 0 || given == 2 ? Version(0, low.minor + 1, 0) : Version(0, 0, low.patch + 1)
            } else {
                high = given == 1 ? Version(low.major + 1, 0, 0) : Version(low.major, low.minor + 1, 0)
            }
            return [Comparator(op: .gte, version: low), Comparator(op: .lt, version: high)]
        }
        // x-ranges: 1.x, 1.2.x, *
        let numbers = part.split(separator: ".")
        if part == "*" || part == "x" { return [Comparator(op: .gte, version: Version(0, 0, 0))] }
        if let wildcard = numbers.firstIndex(where: { $0 == "x" || $0 == "X" || $0 == "*" }) {
            let fixed = numbers[..<wildcard].compactMap { Int($0) }
            guard fixed.count == wildcard, !fixed.isEmpty else { throw invalid }
            let low = Version(fixed[0], fixed.count > 1 ? fixed[1] : 0, 0)
            let high = fixed.count == 1 ? Version(fixed[0] + 1, 0, 0) : Version(fixed[0], fixed[1] + 1, 0)
            return [Comparator(op: .gte, version: low), Comparator(op: .lt, version: high)]
        }
        guard let exact = parse(part) else { throw invalid }
        return [Comparator(op: .eq, version: exact)]
    }
}
