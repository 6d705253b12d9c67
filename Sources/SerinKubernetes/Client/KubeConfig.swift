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
}
