import Foundation
import SerinSpec
import Yams

/// Secrets for a remote, read from a file on the host, never from Git:
///
/// ```yaml
/// username: deploy
/// password: s3cret          # HTTPS basic auth
/// bearerToken: ghp_...      # HTTPS bearer auth
/// identityFile: /etc/serin/id_ed25519   # SSH key
/// passphrase: ...           # for the SSH key
/// caFile: /etc/serin/ca.pem # private CA for HTTPS
/// ```
public struct GitCredentials: Sendable, Decodable {
    public var username: String?
    public var password: String?
    public var bearerToken: String?
    public var identityFile: String?
    public var passphrase: String?
    public var caFile: String?

    public init(username: String? = nil, password: String? = nil, bearerToken: String? = nil,
                identityFile: String? = nil, passphrase: String? = nil, caFile: String? = nil) {
        self.username = username
        self.password = password
        self.bearerToken = bearerToken
        self.identityFile = identityFile
        self.passphrase = passphrase
        self.caFile = caFile
    }

    /// Reads a credentials file. Errors name the file and the field, never a value.
    public static func load(from file: String) throws -> GitCredentials {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw GitError(.credentials, "\(file): cannot read the credentials file")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return GitCredentials() }
        let known = ["username", "password", "bearerToken", "identityFile", "passphrase", "caFile"]
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw GitError(.credentials, "\(file): not valid YAML")
        }
        guard case .mapping(let mapping)? = node else {
            throw GitError(.credentials, "\(file): must be a mapping of \(known.joined(separator: ", "))")
        }
        var credentials = GitCredentials()
        for (key, value) in mapping {
            let name = key.string ?? ""
            let at = key.mark.map { "\(file):\($0.line):\($0.column)" } ?? file
            guard case .scalar(let scalar) = value else {
                throw GitError(.credentials, "\(at): \(name) must be a string")
            }
            let string = scalar.string
            switch name {
            case "username": credentials.username = string
            case "password": credentials.password = string
            case "bearerToken": credentials.bearerToken = string
            case "identityFile": credentials.identityFile = string
            case "passphrase": credentials.passphrase = string
            case "caFile": credentials.caFile = string
            default:
                throw GitError(.credentials, "\(at): \(name) is not a known field (\(known.joined(separator: ", ")))")
            }
        }
        if credentials.password != nil && credentials.bearerToken != nil {
            throw GitError(.credentials, "\(file): set password or bearerToken, not both")
        }
        if let identity = credentials.identityFile, !FileManager.default.isReadableFile(atPath: identity) {
            throw GitError(.credentials, "\(file): identityFile \(identity) cannot be read")
        }
        return credentials
    }
}
