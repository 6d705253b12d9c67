import Yams
import SerinSpec

/// The parts of a kubeconfig file Serin reads.
struct KubeConfigFile: Decodable {
    /// A list entry: `{name: ..., cluster|user|context: {...}}`.
    struct Named<Value: KubeConfigEntry>: Decodable {
        var name: String
        var value: Value

        private struct Keys: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            name = try container.decode(String.self, forKey: Keys(stringValue: "name"))
            value = try container.decode(Value.self, forKey: Keys(stringValue: Value.member))
        }
    }

    struct Cluster: KubeConfigEntry {
        static let member = "cluster"
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    struct User: KubeConfigEntry {
        static let member = "user"
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: JSONValue?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
        }
    }

    struct Context: KubeConfigEntry {
        static let member = "context"
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    var clusters: [Named<Cluster>]?
    var users: [Named<User>]?
    var contexts: [Named<Context>]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    static func parse(_ text: String, path: String) throws(KubeConfigError) -> KubeConfigFile {
        do {
            return try YAMLDecoder().decode(KubeConfigFile.self, from: text)
        } catch {
            throw KubeConfigError("\(path): not a kubeconfig: \(error)")
        }
    }
}

protocol KubeConfigEntry: Decodable {
    /// The member of a list entry that holds the value.
    static var member: String { get }
}
