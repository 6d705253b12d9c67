import Foundation

/// Where the apiserver is and how to prove who we are: one context of a
/// kubeconfig file, or the pod's service account (`inCluster`).
public struct KubeConfig: Sendable, Hashable {
    /// "https://host:port", without a trailing slash.
    public var server: String
    /// PEM of the cluster's CA; nil trusts the system's roots.
    public var certificateAuthority: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// The name the server certificate must carry, when not the host of
    /// `server`. Read, but not applied yet: AsyncHTTPClient checks the
    /// certificate against the URL's host.
    public var tlsServerName: String?
    public var credentials: Credentials
    /// The context's namespace, or the pod's, or "default".
    public var namespace: String

    public init(server: String, certificateAuthority: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
                tlsServerName: String? = nil, credentials: Credentials = Credentials(), namespace: String = "default") {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.certificateAuthority = certificateAuthority
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.credentials = credentials
        self.namespace = namespace
    }

    public struct Credentials: Sendable, Hashable {
        public var token: String?
        /// Read again when it changes: projected service-account tokens rotate.
        public var tokenFile: String?
        /// PEM of the client certificate (chain) and of its private key.
        public var clientCertificate: [UInt8]?
        public var clientKey: [UInt8]?
        public var username: String?
        public var password: String?
        /// Who the apiserver is asked to act as (`Impersonate-User`,
        /// `Impersonate-Group`): RBAC then decides with that identity's
        /// rights, not the operator's, as Flux's `serviceAccountName` does.
        public var impersonation: Impersonation?

        public init(token: String? = nil, tokenFile: String? = nil, clientCertificate: [UInt8]? = nil, clientKey: [UInt8]? = nil,
                    username: String? = nil, password: String? = nil) {
            self.token = token
            self.tokenFile = tokenFile
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.username = username
            self.password = password
        }
    }

    /// An identity to act as.
    public struct Impersonation: Sendable, Hashable {
        public var user: String
        public var groups: [String]

        public init(user: String, groups: [String] = []) {
            self.user = user
            self.groups = groups
        }

        /// A service account. No groups are asked for: the apiserver adds a
        /// service account's own groups itself, so only `impersonate` on
        /// `serviceaccounts` is needed, not on `groups`.
        public static func serviceAccount(_ name: String, namespace: String) -> Impersonation {
            Impersonation(user: "system:serviceaccount:\(namespace):\(name)")
        }
    }

    /// The same apiserver and credentials, acting as `identity`.
    public func impersonating(_ identity: Impersonation) -> KubeConfig {
        var config = self
        config.credentials.impersonation = identity
        return config
    }
}
