import Crypto
import Foundation

/// An OpenSSH known_hosts file: which host keys an SSH remote may present.
/// Plain (`host,other ssh-ed25519 AAAA...`), bracketed with a port
/// (`[host]:2222 ...`) and hashed (`|1|salt|hash ...`) entries are read;
/// `@revoked` entries refuse a key, `@cert-authority` ones are skipped.
public struct KnownHosts: Sendable {
    struct Entry: Sendable {
        enum Pattern: Sendable {
            case names([String])
            case hashed(salt: Data, hash: Data)
        }
        var pattern: Pattern
        var key: Data
        var revoked: Bool
    }

    enum Verdict: Equatable {
        case trusted
        case unknown
        case changed
    }

    var entries: [Entry]

    public init(contents: String) {
        entries = contents.split(whereSeparator: \.isNewline).compactMap(Self.parse)
    }

    public static func load(from file: String) throws -> KnownHosts {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw GitError(.hostKey, "\(file): cannot read the known_hosts file")
        }
        return KnownHosts(contents: text)
    }

    static func parse(_ line: Substring) -> Entry? {
        var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = fields.first, !first.hasPrefix("#") else { return nil }
        var revoked = false
        if first.hasPrefix("@") {
            guard first == "@revoked" else { return nil }
            revoked = true
            fields.removeFirst()
        }
        guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { return nil }
        let hosts = fields[0]
        if hosts.hasPrefix("|1|") {
            let parts = hosts.split(separator: "|")
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])), let hash = Data(base64Encoded: String(parts[2])) else { return nil }
            return Entry(pattern: .hashed(salt: salt, hash: hash), key: key, revoked: revoked)
        }
        return Entry(pattern: .names(hosts.split(separator: ",").map(String.init)), key: key, revoked: revoked)
    }

    /// How known_hosts names a host: `host`, or `[host]:port` off port 22.
    static func hostPattern(_ host: String, _ port: Int?) -> String {
        guard let port, port != 22 else { return host }
        return "[\(host)]:\(port)"
    }

    func verify(host: String, port: Int?, key: Data) -> Verdict {
        let name = Self.hostPattern(host, port)
        var seen = false
        for entry in entries where matches(entry.pattern, name) {
            if entry.key == key {
                if entry.revoked { return .changed }
                return .trusted
            }
            if !entry.revoked { seen = true }
        }
        return seen ? .changed : .unknown
    }

    private func matches(_ pattern: Entry.Pattern, _ name: String) -> Bool {
        switch pattern {
        case .names(let names):
            var matched = false
            for candidate in names {
                if candidate.hasPrefix("!") {
                    if Self.glob(String(candidate.dropFirst()), name) { return false }
                } else if Self.glob(candidate, name) {
                    matched = true
                }
            }
            return matched
        case .hashed(let salt, let hash):
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(name.utf8), using: SymmetricKey(data: salt))
            return Data(mac) == hash
        }
    }

    /// known_hosts patterns: `*` and `?` wildcards.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.lowercased()), n = Array(name.lowercased())
        var pi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == n[ni]) { pi += 1; ni += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = ni; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ni = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// OpenSSH's form: `SHA256:` and the unpadded base64 of the key's hash.
    public static func fingerprint(_ key: Data) -> String {
        let digest = Data(SHA256.hash(data: key)).base64EncodedString()
        return "SHA256:" + digest.trimmingCharacters(in: CharacterSet(charactersIn: "="))
    }
}
