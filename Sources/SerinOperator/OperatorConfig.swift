import Foundation
import SerinGit
import SerinKubernetes
import SerinSpec

/// `serin.yaml`: the host's configuration of the operator (not in Git).
public struct OperatorConfig: Sendable, Decodable {
    public struct Prometheus: Sendable, Decodable {
        public var address: String?
        /// Serin starts Debian's prometheus itself, scraping the router and the operator.
        public var managed: Bool?
        /// `host:port` the managed Prometheus listens on (default 127.0.0.1:9090).
        public var listen: String?
    }

    public struct Router: Sendable, Decodable {
        public var admin: String?
    }

    public struct API: Sendable, Decodable {
        public var listen: String?
        public var tokenFile: String?
        /// `none` (default): the dashboard and the API's reads need no token;
        /// `token`: they need it as commands do.
        public var dashboardAuth: String?
    }

    public struct Reference: Sendable, Decodable {
        public var branch: String?
        public var tag: String?
        public var semver: String?
        public var commit: String?
    }

    public struct Source: Sendable, Decodable {
        public var name: String?
        public var url: String?
        public var ref: Reference?
        public var path: String?
        public var interval: String?
        public var timeout: String?
        public var credentialsFile: String?
        public var knownHostsFile: String?
        public var webhookSecretFile: String?
        /// Nothing is fetched, applied or corrected until `serin resume`.
        public var suspend: Bool?
        /// False: nothing the source applied is deleted, neither what
        /// leaves Git nor, once the source leaves this file, the rest.
        public var prune: Bool?
        /// How long the source's objects may take to become healthy after
        /// an apply before it is not Ready (platform kubernetes; default 5m).
        public var healthTimeout: String?
    }

    /// `platform: kubernetes`: which cluster, and Serin's defaults there.
    public struct Kubernetes: Sendable, Decodable {
        public init() {}

        /// A kubeconfig file; without one, `$KUBECONFIG`, then the pod's service account (in-cluster).
        public var kubeconfig: String?
        public var context: String?
        /// Where Serin keeps its inventories and its Lease (default
        /// `serin-system`, or `watchNamespace` when that is set).
        public var namespace: String?
        /// Act in this namespace only, with a namespaced Role (`serin run --namespace`).
        public var watchNamespace: String?
        /// The router of a Canary that names no `spec.provider` (default `kubernetes`).
        public var provider: String?
        /// One active replica through a Lease (default true).
        public var leaderElection: Bool?
        /// The Lease's name, in `namespace` (default `serin-leader`).
        public var leaseName: String?
    }

    public var stateDir: String?
    public var platform: String?
    public var kubernetes: Kubernetes?
    public var prometheus: Prometheus?
    public var router: Router?
    public var api: API?
    public var sources: [Source]?
    /// How often readiness is polled between analysis ticks (default 250ms).
    public var pollInterval: String?

    /// The checked form the operator runs with.
    public struct Resolved: Sendable {
        public var stateDirectory: String
        public var platform: PlatformKind
        /// Set for `platform: kubernetes`.
        public var kubernetes: KubernetesSettings?
        public var prometheusAddress: URL?
        public var managedPrometheus: Bool
        public var prometheusListen: String
        public var routerAdmin: String
        public var apiListen: String
        public var tokenFile: String?
        /// `api.dashboardAuth: token`: reads need the token too.
        public var readsNeedToken: Bool
        public var sources: [(spec: GitSourceSpec, webhookSecretFile: String?, settings: SourceSettings)]
        public var pollInterval: Duration
    }

    /// Reads and checks a file; every problem comes back with file:line:column.
    /// `watchNamespace`: `serin run --namespace`, over the file's `kubernetes.watchNamespace`.
    public static func load(_ path: String, watchNamespace: String? = nil) -> Result<Resolved, ConfigProblems> {
        let decoded = ConfigFile.decode(OperatorConfig.self, contentsOf: path)
        guard var config = decoded.value, decoded.errors.isEmpty else {
            return .failure(ConfigProblems(diagnostics: decoded.errors.isEmpty
                ? [.error(at: decoded.source.document, "cannot read the configuration")] : decoded.errors))
        }
        var problems: [Diagnostic] = []
        if let watchNamespace {
            if config.platform == PlatformKind.kubernetes.rawValue {
                var kubernetes = config.kubernetes ?? Kubernetes()
                kubernetes.watchNamespace = watchNamespace
                config.kubernetes = kubernetes
            } else {
                problems.append(.error(at: decoded.source.position("platform"), "--namespace is for platform: kubernetes"))
            }
        }
        func problem(_ field: String, _ message: String) {
            problems.append(.error(at: decoded.source.position(field), "\(field): \(message)"))
        }
        func duration(_ field: String, _ text: String?, default fallback: Duration) -> Duration {
            guard let text else { return fallback }
            guard let value = GoDuration.parse(text), value > .zero else {
                problem(field, "\"\(text)\" is not a positive duration (such as 10s)")
                return fallback
            }
            return value
        }
        if config.stateDir == nil { problem("stateDir", "is required (a directory Serin owns, such as /var/lib/serin)") }
        let platform = PlatformKind(rawValue: config.platform ?? "local")
        if platform == nil {
            problem("platform", "\"\(config.platform ?? "")\" is not a platform; use local or kubernetes")
        }
        var kubernetes: KubernetesSettings?
        if platform == .kubernetes {
            let given = config.kubernetes
            if let file = given?.kubeconfig, !FileManager.default.isReadableFile(atPath: file) {
                problem("kubernetes.kubeconfig", "cannot read \(file)")
            }
            let provider = given?.provider ?? "kubernetes"
            if !CanaryRouting.providers.contains(provider) {
                problem("kubernetes.provider", "\"\(provider)\" is not supported; use one of \(CanaryRouting.providers.joined(separator: ", "))")
            }
            if let watched = given?.watchNamespace, !Self.isDNSLabel(watched) {
                problem("kubernetes.watchNamespace", "\"\(watched)\" is not a namespace name (lower-case letters, digits and -, at most 63)")
            }
            kubernetes = KubernetesSettings(kubeconfig: given?.kubeconfig, context: given?.context,
                                            namespace: given?.namespace ?? given?.watchNamespace ?? "serin-system", provider: provider,
                                            leaseName: given?.leaderElection == false ? nil : given?.leaseName ?? "serin-leader",
                                            watchNamespace: given?.watchNamespace)
        } else if config.kubernetes != nil {
            problem("kubernetes", "is read only with platform: kubernetes")
        }
        let prometheus = config.prometheus
        var address: URL?
        if let text = prometheus?.address {
            if let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil {
                address = url
            } else {
                problem("prometheus.address", "\"\(text)\" is not an http(s) URL")
            }
        }
        let managed = prometheus?.managed ?? false
        if managed && address != nil { problem("prometheus", "give either address or managed: true, not both") }
        if !managed && address == nil { problem("prometheus", "needs address (such as http://127.0.0.1:9090) or managed: true") }
        let prometheusListen = prometheus?.listen ?? "127.0.0.1:9090"
        if managed { address = URL(string: "http://\(prometheusListen)") }
        var sources: [(GitSourceSpec, String?, SourceSettings)] = []
        var names: Set<String> = []
        for (index, source) in (config.sources ?? []).enumerated() {
            let field = "sources[\(index)]"
            guard let name = source.name, !name.isEmpty else { problem("\(field).name", "is required"); continue }
            guard names.insert(name).inserted else { problem("\(field).name", "\"\(name)\" is used twice"); continue }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                problem("\(field).name", "\"\(name)\" may hold letters, digits, '-', '_' and '.' only"); continue
            }
            guard let urlText = source.url else { problem("\(field).url", "is required"); continue }
            let url: GitURL
            do { url = try GitURL(urlText) } catch { problem("\(field).url", "\(error)"); continue }
            var reference = GitReference.defaultBranch
            if let ref = source.ref {
                let given = [ref.branch.map { "branch:\($0)" }, ref.tag.map { "tag:\($0)" }, ref.semver.map { "semver:\($0)" },
                             ref.commit.map { "commit:\($0)" }].compactMap { $0 }
                if given.count != 1 {
                    problem("\(field).ref", "needs exactly one of branch, tag, semver, commit")
                } else {
                    do { reference = try GitReference(parsing: given[0]) } catch { problem("\(field).ref", "\(error)") }
                }
            }
            let interval = duration("\(field).interval", source.interval, default: .seconds(60))
            let timeout = duration("\(field).timeout", source.timeout, default: .seconds(60))
            for (key, file) in [("credentialsFile", source.credentialsFile), ("knownHostsFile", source.knownHostsFile),
                                ("webhookSecretFile", source.webhookSecretFile)] {
                if let file, !FileManager.default.isReadableFile(atPath: file) { problem("\(field).\(key)", "cannot read \(file)") }
            }
            let healthTimeout = duration("\(field).healthTimeout", source.healthTimeout, default: .seconds(300))
            if source.healthTimeout != nil, platform != .kubernetes {
                problem("\(field).healthTimeout", "is read only with platform: kubernetes (the local platform judges readiness itself)")
            }
            sources.append((GitSourceSpec(name: name, url: url, reference: reference, path: source.path ?? "", interval: interval,
                                          timeout: timeout, credentialsFile: source.credentialsFile,
                                          knownHostsFile: source.knownHostsFile), source.webhookSecretFile,
                            SourceSettings(suspend: source.suspend ?? false, prune: source.prune ?? true, healthTimeout: healthTimeout)))
        }
        if sources.isEmpty && problems.isEmpty { problem("sources", "needs at least one Git source") }
        if let file = config.api?.tokenFile, !FileManager.default.isReadableFile(atPath: file) {
            problem("api.tokenFile", "cannot read \(file)")
        }
        var readsNeedToken = false
        switch config.api?.dashboardAuth ?? "none" {
        case "none": break
        case "token":
            readsNeedToken = true
            if config.api?.tokenFile == nil { problem("api.dashboardAuth", "token needs api.tokenFile (the token to ask for)") }
        case let other: problem("api.dashboardAuth", "\"\(other)\" is not a choice; use none or token")
        }
        let poll = duration("pollInterval", config.pollInterval, default: .milliseconds(250))
        guard problems.isEmpty else { return .failure(ConfigProblems(diagnostics: problems)) }
        return .success(Resolved(stateDirectory: config.stateDir!, platform: platform ?? .local, kubernetes: kubernetes,
                                 prometheusAddress: address, managedPrometheus: managed,
                                 prometheusListen: prometheusListen, routerAdmin: config.router?.admin ?? "127.0.0.1:9901",
                                 apiListen: config.api?.listen ?? "127.0.0.1:9797", tokenFile: config.api?.tokenFile,
                                 readsNeedToken: readsNeedToken, sources: sources, pollInterval: poll))
    }
}

/// Every problem of a configuration file, each with file:line:column.
public struct ConfigProblems: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// What serin.yaml says of a source besides where its Git is.
public struct SourceSettings: Sendable, Equatable {
    /// Suspended from the start (`serin resume` lifts it until the next start).
    public var suspend: Bool
    public var prune: Bool
    public var healthTimeout: Duration

    public init(suspend: Bool = false, prune: Bool = true, healthTimeout: Duration = .seconds(300)) {
        self.suspend = suspend
        self.prune = prune
        self.healthTimeout = healthTimeout
    }
}

/// The cluster `platform: kubernetes` runs on.
public struct KubernetesSettings: Sendable {
    public var kubeconfig: String?
    public var context: String?
    public var namespace: String
    public var provider: String
    /// The Lease that elects the active replica; nil without leader election.
    public var leaseName: String?
    /// Set: Serin acts in this namespace only (a namespaced Role suffices).
    public var watchNamespace: String?
}

extension OperatorConfig {
    /// A Kubernetes namespace name (RFC 1123 label).
    static func isDNSLabel(_ name: String) -> Bool {
        (1...63).contains(name.count) && name.first != "-" && name.last != "-"
            && name.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
