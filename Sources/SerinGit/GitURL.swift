import Foundation

/// A remote's address in any form Git takes: `https://`, `http://`,
/// `ssh://`, `git://`, `file://`, scp-like `git@host:org/repo.git`, or a
/// local path.
public struct GitURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case https, http, ssh, git, file
    }

    public var scheme: Scheme
    public var user: String?
    public var host: String
    public var port: Int?
    public var path: String
    /// What libgit2 is given.
    public var address: String

    public init(_ text: String) throws {
        let invalid = GitError(.invalidURL, "\"\(GitURL.redact(text))\" is not a Git URL (https://, http://, ssh://, git://, file://, user@host:path or a local path)")
        if let separator = text.range(of: "://") {
            guard let scheme = Scheme(rawValue: text[..<separator.lowerBound].lowercased()) else { throw invalid }
            self.scheme = scheme
            let rest = text[separator.upperBound...]
            if scheme == .file {
                guard rest.hasPrefix("/") else { throw invalid }
                host = ""
                path = String(rest)
                address = text
                return
            }
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            path = String(rest[authorityEnd...])
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                // A password written into the URL would end up in logs; refuse it.
                guard !userInfo.contains(":") else {
                    throw GitError(.invalidURL, "\(GitURL.redact(text)): put passwords in the credentials file, not in the URL")
                }
                user = String(userInfo)
                authority = authority[authority.index(after: at)...]
            }
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { throw invalid }
                self.port = port
                authority = authority[..<colon]
            }
            host = String(authority).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !host.isEmpty else { throw invalid }
            address = text
            return
        }
        // scp-like: [user@]host:path, with no slash before the colon.
        if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/"), !text.hasPrefix("/"), !text.hasPrefix(".") {
            scheme = .ssh
            var hostPart = text[..<colon]
            if let at = hostPart.lastIndex(of: "@") {
                user = String(hostPart[..<at])
                hostPart = hostPart[hostPart.index(after: at)...]
            }
            host = String(hostPart)
            path = String(text[text.index(after: colon)...])
            guard !host.isEmpty, !path.isEmpty else { throw invalid }
            address = text
            return
        }
        guard !text.isEmpty else { throw invalid }
        let absolute = text.hasPrefix("/") ? text : FileManager.default.currentDirectoryPath + "/" + text
        scheme = .file
        host = ""
        path = URL(fileURLWithPath: absolute).standardizedFileURL.path
        address = "file://" + path
    }

    /// The address with any user information removed, for messages.
    public var redacted: String { GitURL.redact(address) }

    public var description: String { redacted }

    /// Any text that may hold a URL, with user information removed.
    public static func redactedText(_ text: String) -> String { redact(text) }

    static func redact(_ text: String) -> String {
        guard let separator = text.range(of: "://"),
              let at = text[separator.upperBound...].prefix(while: { $0 != "/" }).lastIndex(of: "@") else { return text }
        return String(text[..<separator.upperBound]) + "***@" + text[text.index(after: at)...]
    }
}
