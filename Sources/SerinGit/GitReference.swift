/// Which commit of a repository a source follows.
public enum GitReference: Sendable, CustomStringConvertible {
    /// The branch the remote's HEAD points at.
    case defaultBranch
    case branch(String)
    case tag(String)
    case semver(SemverRange)
    case commit(ObjectID)

    /// `branch:main`, `tag:v1.2.0`, `semver:>=1.0.0 <2.0.0`, `commit:<40 hex>`;
    /// a bare name is a branch.
    public init(parsing text: String) throws {
        let kind = text.prefix { $0 != ":" }
        let value = text.dropFirst(kind.count + 1)
        guard text.contains(":"), !value.isEmpty else {
            guard !text.isEmpty else { throw GitError(.invalidReference, "the ref is empty") }
            self = .branch(text)
            return
        }
        switch kind {
        case "branch": self = .branch(String(value))
        case "tag": self = .tag(String(value))
        case "semver": self = .semver(try SemverRange(String(value)))
        case "commit":
            guard let id = ObjectID(hex: value.lowercased()) else {
                throw GitError(.invalidReference, "commit:\(value) is not a 40-digit commit id")
            }
            self = .commit(id)
        default:
            throw GitError(.invalidReference, "ref \"\(text)\" must start with branch:, tag:, semver: or commit:")
        }
    }

    public var description: String {
        switch self {
        case .defaultBranch: return "HEAD"
        case .branch(let name): return "branch:\(name)"
        case .tag(let name): return "tag:\(name)"
        case .semver(let range): return "semver:\(range)"
        case .commit(let id): return "commit:\(id)"
        }
    }

    /// What the reference points at on the remote, from its advertisement.
    struct Resolution: Sendable {
        /// `main`, `v1.2.0`, or nil for a commit.
        var name: String?
        var commit: ObjectID
        /// What to fetch when the commit is missing locally.
        var refspecs: [String]
    }

    func resolve(in heads: [RemoteHead], remote: String) throws -> Resolution {
        var byName: [String: ObjectID] = [:]
        for head in heads { byName[head.name] = head.target }
        switch self {
        case .defaultBranch:
            guard let head = byName["HEAD"] else {
                throw GitError(.refNotFound, "\(remote): the remote has no HEAD; name a branch with --ref branch:NAME")
            }
            // The advertisement gives HEAD's commit, not its name: take the
            // branch at the same commit, main or master first.
            let branches = heads.filter { $0.name.hasPrefix("refs/heads/") && $0.target == head }.map { String($0.name.dropFirst(11)) }
            let name = branches.first { $0 == "main" } ?? branches.first { $0 == "master" } ?? branches.sorted().first
            guard let name else { throw GitError(.refNotFound, "\(remote): HEAD is not on a branch; name one with --ref branch:NAME") }
            return try GitReference.branch(name).resolve(in: heads, remote: remote)
        case .branch(let name):
            guard let target = byName["refs/heads/\(name)"] else {
                throw GitError(.refNotFound, "\(remote): branch \(name) does not exist")
            }
            return Resolution(name: name, commit: target, refspecs: ["+refs/heads/\(name):refs/serin/heads/\(name)"])
        case .tag(let name):
            // An annotated tag is advertised twice; `^{}` is the commit it tags.
            guard let target = byName["refs/tags/\(name)^{}"] ?? byName["refs/tags/\(name)"] else {
                throw GitError(.refNotFound, "\(remote): tag \(name) does not exist")
            }
            return Resolution(name: name, commit: target, refspecs: ["+refs/tags/\(name):refs/serin/tags/\(name)"])
        case .semver(let range):
            let tags = heads.map(\.name).filter { $0.hasPrefix("refs/tags/") && !$0.hasSuffix("^{}") }.map { String($0.dropFirst(10)) }
            guard let best = range.best(among: tags) else {
                throw GitError(.refNotFound, "\(remote): no tag matches semver range \"\(range)\"")
            }
            return try GitReference.tag(best.tag).resolve(in: heads, remote: remote)
        case .commit(let id):
            // Servers rarely allow fetching a commit by id: fetch the branches
            // and look for it among them.
            return Resolution(name: nil, commit: id, refspecs: ["+refs/heads/*:refs/serin/heads/*"])
        }
    }
}
