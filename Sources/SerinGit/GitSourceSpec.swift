/// A Git source: where desired state lives and how to reach it.
public struct GitSourceSpec: Sendable {
    public var name: String
    public var url: GitURL
    public var reference: GitReference
    /// The folder inside the repository that holds the manifests.
    public var path: String
    public var interval: Duration
    public var timeout: Duration
    public var credentialsFile: String?
    public var knownHostsFile: String?
    /// The largest blob and the most entries read from a commit.
    public var limits: GitTreeLimits

    public init(name: String, url: GitURL, reference: GitReference = .branch("main"), path: String = "",
                interval: Duration = .seconds(60), timeout: Duration = .seconds(60),
                credentialsFile: String? = nil, knownHostsFile: String? = nil, limits: GitTreeLimits = GitTreeLimits()) {
        self.name = name
        self.url = url
        self.reference = reference
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.credentialsFile = credentialsFile
        self.knownHostsFile = knownHostsFile
        self.limits = limits
    }

    /// Reads the credentials and known hosts files, each time, so a rotated
    /// secret takes effect at the next sync.
    func auth() throws -> GitAuth {
        let credentials = try credentialsFile.map(GitCredentials.load) ?? GitCredentials()
        if let caFile = credentials.caFile { try LibGit2.trust(caFile: caFile) }
        let knownHosts = try knownHostsFile.map(KnownHosts.load)
        return GitAuth(credentials: credentials, knownHosts: knownHosts, timeout: timeout)
    }
}
