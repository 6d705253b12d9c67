import Foundation
import SerinAnalysis
import SerinGit
import SerinHTTP
import SerinKubernetes
import SerinKustomize
import SerinSpec
import Yams

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
        /// Host names the API answers to besides the loopback ones when it
        /// listens on loopback (DNS rebinding), or at all when given.
        public var allowedHosts: [String]?
    }

    /// Where manifests may make Serin send requests (MetricTemplate
    /// addresses, webhooks, alert providers).
    public struct Outbound: Sendable, Decodable {
        /// Host names, or `*.domain`; without the list, every host.
        public var allowedHosts: [String]?
    }

    /// `platform: local`: who workloads run as.
    public struct Local: Sendable, Decodable {
        /// Let a Workload without `runAs` run as root when serin runs as root (default false).
        public var allowRootWorkloads: Bool?
    }

    /// How much of a commit Serin reads (`sources[].limits`).
    public struct Limits: Sendable, Decodable {
        /// The largest file (and tree object): bytes, or with Ki, Mi, Gi (default 8Mi).
        public var maxFileSize: String?
        /// The most entries in a commit (default 100000).
        public var maxEntries: Int?
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
        /// The largest file and the most entries read from a commit.
        public var limits: Limits?
        // Flux's Kustomization fields, applied on top of the path's build
        // (SerinKustomize.KustomizeOptions says how).
        public var targetNamespace: String?
        public var namePrefix: String?
        public var nameSuffix: String?
        public var commonMetadata: CommonMetadata?
        public var images: [Image]?
        public var patches: [Patch]?
        public var components: [String]?
        public var postBuild: PostBuild?
        // Where the source goes, with several clusters (OperatorConfig+Clusters.swift).
        /// Its clusters in waves: `[[staging], [eu, us]]`.
        public var waves: [[String]]?
        /// Its clusters, all at once (every cluster by default).
        public var clusters: [String]?
        /// A cluster's own path (an overlay), instead of `path`.
        public var paths: [String: String]?
        /// Each wave after the first waits for `serin promote SOURCE`.
        public var pause: Bool?
        /// How long a wave's release must hold before the next wave gets it.
        public var bake: String?
        /// Kubernetes: the ServiceAccount (in Serin's namespace) this
        /// source's objects are applied, read and pruned as.
        public var serviceAccountName: String?
    }

    public struct CommonMetadata: Sendable, Decodable {
        public var labels: [String: String]?
        public var annotations: [String: String]?
    }

    public struct Image: Sendable, Decodable {
        public var name: String?
        public var newName: String?
        public var newTag: String?
        public var digest: String?
    }

    public struct Patch: Sendable, Decodable {
        public var patch: String?
        public var target: Selector?
    }

    public struct Selector: Sendable, Decodable {
        public var group: String?
        public var version: String?
        public var kind: String?
        public var name: String?
        public var namespace: String?
        public var labelSelector: String?
        public var annotationSelector: String?
    }

    public struct PostBuild: Sendable, Decodable {
        public var substitute: [String: String]?
        public var substituteFrom: [SubstituteReference]?
        /// `WithVariables` (default) or `Always`.
        public var substituteStrategy: String?
        /// Serin's switch for Flux's StrictPostBuildSubstitutions: an unset
        /// `${var}` without a default fails the build.
        public var strict: Bool?
    }

    public struct SubstituteReference: Sendable, Decodable {
        public var kind: String?
        public var name: String?
        public var optional: Bool?
    }

    /// `platform: kubernetes`: which cluster, and Serin's defaults there.
    public struct Kubernetes: Sendable, Decodable, KubernetesFields {
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
        /// The ServiceAccount of every source that names none.
        public var defaultServiceAccount: String?
        /// Flagger's `-selector-labels`: the pod labels a target may be
        /// selected by, the first found suffixed `-primary` (default app,
        /// name, app.kubernetes.io/name).
        public var selectorLabels: [String]?
        /// The labels Prometheus gives the app pods' series, which the
        /// built-in metrics select by.
        public var metricLabels: MetricLabels?
    }

    /// Flagger's own Prometheus names them `kubernetes_namespace` and
    /// `kubernetes_pod_name` (the default); kube-prometheus `namespace` and
    /// `pod`. `podTemplateHash`, when the series carry the pod's
    /// `pod-template-hash` label under that name, narrows the canary to the
    /// revision being judged.
    public struct MetricLabels: Sendable, Decodable {
        public var namespace: String?
        public var pod: String?
        public var podTemplateHash: String?
    }

    public var stateDir: String?
    public var platform: String?
    public var kubernetes: Kubernetes?
    /// Several clusters, instead of `kubernetes` (OperatorConfig+Clusters.swift).
    public var clusters: [Cluster]?
    public var prometheus: Prometheus?
    public var router: Router?
    public var api: API?
    public var outbound: Outbound?
    public var local: Local?
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
        /// Each source's Flux fields for its renderer, by source name
        /// (empty options when none is set).
        public var kustomize: [String: KustomizeOptions] = [:]
        /// The clusters of `platform: kubernetes`, the home cluster first
        /// (`kubernetes:` alone is one, named `kubernetes`); empty on the local platform.
        public var clusters: [ClusterSettings] = []
        /// Where each source goes (its clusters in waves, their paths), by source name.
        public var delivery: [String: SourceDelivery] = [:]
        /// `api.allowedHosts`.
        public var apiAllowedHosts: [String] = []
        /// `outbound.allowedHosts`.
        public var outboundPolicy = OutboundPolicy()
        /// `local.allowRootWorkloads`.
        public var allowRootWorkloads = false
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
            if config.platform == PlatformKind.kubernetes.rawValue, let clusters = config.clusters {
                // Every cluster of the fleet watches that namespace alone.
                config.clusters = clusters.map { cluster in
                    var cluster = cluster
                    cluster.watchNamespace = watchNamespace
                    return cluster
                }
            } else if config.platform == PlatformKind.kubernetes.rawValue {
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
        if config.clusters != nil {
            if platform != .kubernetes { problem("clusters", "is read only with platform: kubernetes") }
            if config.kubernetes != nil { problem("clusters", "give either kubernetes (one cluster) or clusters, not both") }
        } else if platform == .kubernetes {
            kubernetes = Self.settings(of: config.kubernetes ?? Kubernetes(), field: "kubernetes", elects: true, problem: problem)
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
        // On Kubernetes a Canary without metrics needs no Prometheus (Flagger runs
        // such Canaries); one with metrics is refused when its revision is validated.
        if !managed && address == nil && (platform != .kubernetes || prometheus != nil) {
            problem("prometheus", "needs address (such as http://127.0.0.1:9090) or managed: true")
        }
        let prometheusListen = prometheus?.listen ?? "127.0.0.1:9090"
        if managed { address = URL(string: "http://\(prometheusListen)") }
        var clusters = config.clusters.map { resolveClusters($0, source: decoded.source, problem: problem) }
            ?? kubernetes.map { [ClusterSettings(name: ClusterSettings.singleName, kubernetes: $0, isHome: true, ownState: false,
                                                 defaultServiceAccount: (config.kubernetes?.defaultServiceAccount, "kubernetes.defaultServiceAccount"))] }
            ?? []
        var sources: [(GitSourceSpec, String?, SourceSettings)] = []
        var kustomize: [String: KustomizeOptions] = [:]
        var delivery: [String: SourceDelivery] = [:]
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
            kustomize[name] = kustomizeOptions(of: source, field: field, problem: problem)
            delivery[name] = resolveDelivery(of: source, field: field, clusters: clusters, named: config.clusters != nil,
                                             duration: duration, problem: problem)
            for (key, file) in [("credentialsFile", source.credentialsFile), ("webhookSecretFile", source.webhookSecretFile)] {
                if let file, let why = Self.exposure(of: file) { problem("\(field).\(key)", why) }
            }
            var limits = GitTreeLimits()
            if let text = source.limits?.maxFileSize {
                if let bytes = Self.bytes(text), bytes > 0 { limits.maxFileBytes = bytes } else {
                    problem("\(field).limits.maxFileSize", "\"\(text)\" is not a size; give bytes, or a number with Ki, Mi or Gi (such as 8Mi)")
                }
            }
            if let entries = source.limits?.maxEntries {
                if entries > 0 { limits.maxEntries = entries } else { problem("\(field).limits.maxEntries", "must be a positive number, got \(entries)") }
            }
            sources.append((GitSourceSpec(name: name, url: url, reference: reference, path: source.path ?? "", interval: interval,
                                          timeout: timeout, credentialsFile: source.credentialsFile,
                                          knownHostsFile: source.knownHostsFile, limits: limits), source.webhookSecretFile,
                            SourceSettings(suspend: source.suspend ?? false, prune: source.prune ?? true, healthTimeout: healthTimeout)))
        }
        if sources.isEmpty && problems.isEmpty { problem("sources", "needs at least one Git source") }
        // Each cluster a source goes to gets its ServiceAccount (the source's,
        // else the cluster's default): the source acts as it in every cluster.
        var refusedAccounts: Set<String> = []
        for (index, source) in (config.sources ?? []).enumerated() {
            guard let name = source.name else { continue }
            guard platform == .kubernetes else {
                if source.serviceAccountName != nil { problem("sources[\(index)].serviceAccountName", "is read only with platform: kubernetes") }
                continue
            }
            for position in clusters.indices where delivery[name]?.waves.targets.contains(clusters[position].name) ?? true {
                let fallback = clusters[position].defaultServiceAccount
                guard let account = source.serviceAccountName ?? fallback.name else { continue }
                let field = source.serviceAccountName != nil ? "sources[\(index)].serviceAccountName" : fallback.field
                guard Self.isDNSSubdomain(account) else {
                    if refusedAccounts.insert(field).inserted {
                        problem(field, "\"\(account)\" is not a ServiceAccount name (lower-case letters, digits, - and ., at most 253)")
                    }
                    continue
                }
                clusters[position].kubernetes.serviceAccounts[name] = account
            }
        }
        if let home = clusters.first { kubernetes = home.kubernetes }
        if let file = config.api?.tokenFile {
            if !FileManager.default.isReadableFile(atPath: file) {
                problem("api.tokenFile", "cannot read \(file)")
            } else if let why = Self.exposure(of: file) {
                problem("api.tokenFile", why)
            }
        }
        if config.local != nil && platform != .local { problem("local", "is read only with platform: local") }
        for (index, host) in (config.outbound?.allowedHosts ?? []).enumerated() where !Self.isHostPattern(host) {
            problem("outbound.allowedHosts[\(index)]", "\"\(host)\" is not a host name or *.domain")
        }
        for (index, host) in (config.api?.allowedHosts ?? []).enumerated() where !Self.isHostPattern(host) || host.hasPrefix("*") {
            problem("api.allowedHosts[\(index)]", "\"\(host)\" is not a host name")
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
        var resolved = Resolved(stateDirectory: config.stateDir!, platform: platform ?? .local, kubernetes: kubernetes,
                                prometheusAddress: address, managedPrometheus: managed,
                                prometheusListen: prometheusListen, routerAdmin: config.router?.admin ?? "127.0.0.1:9901",
                                apiListen: config.api?.listen ?? "127.0.0.1:9797", tokenFile: config.api?.tokenFile,
                                readsNeedToken: readsNeedToken, sources: sources, pollInterval: poll, kustomize: kustomize,
                                clusters: clusters, delivery: delivery)
        resolved.apiAllowedHosts = config.api?.allowedHosts ?? []
        resolved.outboundPolicy = OutboundPolicy(allowedHosts: config.outbound?.allowedHosts)
        resolved.allowRootWorkloads = config.local?.allowRootWorkloads ?? false
        return .success(resolved)
    }

    /// A source's Flux fields, checked as kustomize-controller's API would
    /// check them; every problem is reported through `problem(field, message)`.
    static func kustomizeOptions(of source: Source, field: String, problem: (String, String) -> Void) -> KustomizeOptions {
        var options = KustomizeOptions(targetNamespace: source.targetNamespace, namePrefix: source.namePrefix, nameSuffix: source.nameSuffix)
        if let namespace = source.targetNamespace, !isDNSLabel(namespace) {
            problem("\(field).targetNamespace", "\"\(namespace)\" is not a namespace name (lower-case letters, digits and -, at most 63)")
        }
        for (key, affix) in [("namePrefix", source.namePrefix), ("nameSuffix", source.nameSuffix)] {
            if let affix, !affix.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }) {
                problem("\(field).\(key)", "\"\(affix)\" may hold lower-case letters, digits, '-' and '.' only (it becomes part of object names)")
            }
        }
        if let common = source.commonMetadata {
            options.commonMetadata = .init(labels: common.labels ?? [:], annotations: common.annotations ?? [:])
        }
        for (index, image) in (source.images ?? []).enumerated() {
            guard let name = image.name, !name.isEmpty else { problem("\(field).images[\(index)].name", "is required"); continue }
            if image.newName == nil && image.newTag == nil && image.digest == nil {
                problem("\(field).images[\(index)]", "needs newName, newTag or digest")
            }
            options.images.append(.init(name: name, newName: image.newName, newTag: image.newTag, digest: image.digest))
        }
        for (index, patch) in (source.patches ?? []).enumerated() {
            guard let text = patch.patch, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                problem("\(field).patches[\(index)].patch", "is required (a strategic-merge patch or a JSON 6902 list of operations)"); continue
            }
            do {
                _ = try Yams.compose(yaml: text)
            } catch {
                problem("\(field).patches[\(index)].patch", "is not valid YAML: \(String(describing: error).split(whereSeparator: \.isNewline).first ?? "")")
            }
            let target = patch.target.map {
                KustomizeOptions.Selector(group: $0.group, version: $0.version, kind: $0.kind, name: $0.name, namespace: $0.namespace,
                                          labelSelector: $0.labelSelector, annotationSelector: $0.annotationSelector)
            }
            options.patches.append(.init(patch: text, target: target))
        }
        for (index, component) in (source.components ?? []).enumerated() {
            if KustomizeOptions.isLocalRelativePath(component) {
                options.components.append(component)
            } else {
                problem("\(field).components[\(index)]", "\"\(component)\" must be a local, relative folder of the repository (Serin builds with no network)")
            }
        }
        if let postBuild = source.postBuild {
            var result = KustomizeOptions.PostBuild(substitute: postBuild.substitute ?? [:], strict: postBuild.strict ?? false)
            for name in (postBuild.substitute ?? [:]).keys.sorted() where !KustomizeOptions.isVariableName(name) {
                problem("\(field).postBuild.substitute", "'\(name)' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'")
            }
            switch postBuild.substituteStrategy ?? "WithVariables" {
            case "WithVariables": break
            case "Always": result.always = true
            case let other: problem("\(field).postBuild.substituteStrategy", "\"\(other)\" is not a choice; use WithVariables or Always")
            }
            for (index, reference) in (postBuild.substituteFrom ?? []).enumerated() {
                let at = "\(field).postBuild.substituteFrom[\(index)]"
                guard let kindText = reference.kind, let kind = KustomizeOptions.SubstituteReference.Kind(rawValue: kindText) else {
                    problem("\(at).kind", reference.kind.map { "\"\($0)\" is not a choice; use ConfigMap or Secret" } ?? "is required (ConfigMap or Secret)")
                    continue
                }
                guard let name = reference.name, !name.isEmpty else { problem("\(at).name", "is required"); continue }
                result.substituteFrom.append(.init(kind: kind, name: name, optional: reference.optional ?? false))
            }
            options.postBuild = result
        }
        return options
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
    /// Per source name, the ServiceAccount in `namespace` it acts as
    /// (`sources[].serviceAccountName`, else `kubernetes.defaultServiceAccount`).
    public var serviceAccounts: [String: String] = [:]
    public var selectorLabels: [String] = defaultSelectorLabels
    public static let defaultSelectorLabels = ["app", "name", "app.kubernetes.io/name"]
    public var metricLabels: MetricQueries.PodLabels = .flagger
}

extension OperatorConfig {
    /// Why a secret file (a token, Git credentials, a webhook secret) must
    /// not be used: others on the host can read it. Nil when only its owner
    /// (and group) can.
    static func exposure(of file: String) -> String? {
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & 0o004 != 0 else { return nil }
        return "\(file) is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 \(file)"
    }

    /// The fields `kubernetes:` and each of `clusters:` share, checked
    /// (`field`: where they were written); `elects`: the Lease is kept in
    /// this cluster (the only one, or the home cluster).
    static func settings(of given: some KubernetesFields, field: String, elects: Bool, problem: (String, String) -> Void) -> KubernetesSettings {
        if let file = given.kubeconfig, !FileManager.default.isReadableFile(atPath: file) {
            problem("\(field).kubeconfig", "cannot read \(file)")
        }
        let provider = given.provider ?? "kubernetes"
        if !CanaryRouting.providers.contains(provider) {
            problem("\(field).provider", "\"\(provider)\" is not supported; use one of \(CanaryRouting.providers.joined(separator: ", "))")
        }
        if let watched = given.watchNamespace, !isDNSLabel(watched) {
            problem("\(field).watchNamespace", "\"\(watched)\" is not a namespace name (lower-case letters, digits and -, at most 63)")
        }
        if let labels = given.selectorLabels, labels.isEmpty || labels.contains(where: \.isEmpty) {
            problem("\(field).selectorLabels", "must name at least one label, none empty")
        }
        let labels = given.metricLabels
        return KubernetesSettings(kubeconfig: given.kubeconfig, context: given.context,
                                  namespace: given.namespace ?? given.watchNamespace ?? "serin-system", provider: provider,
                                  leaseName: !elects || given.leaderElection == false ? nil : given.leaseName ?? "serin-leader",
                                  watchNamespace: given.watchNamespace, selectorLabels: given.selectorLabels ?? KubernetesSettings.defaultSelectorLabels,
                                  metricLabels: MetricQueries.PodLabels(namespace: labels?.namespace ?? MetricQueries.PodLabels.flagger.namespace,
                                                                        pod: labels?.pod ?? MetricQueries.PodLabels.flagger.pod,
                                                                        podTemplateHash: labels?.podTemplateHash))
    }

    /// `8388608`, `512Ki`, `8Mi`, `1Gi` in bytes.
    static func bytes(_ text: String) -> Int? {
        let units: [(String, Int)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let number = Int(text.dropLast(2)) else { return nil }
            let (bytes, overflow) = number.multipliedReportingOverflow(by: factor)
            return overflow ? nil : bytes
        }
        return Int(text)
    }

    static func isHostPattern(_ host: String) -> Bool {
        let name = host.hasPrefix("*.") ? String(host.dropFirst(2)) : host
        return !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }
    }

    /// A Kubernetes namespace name (RFC 1123 label).
    static func isDNSLabel(_ name: String) -> Bool {
        (1...63).contains(name.count) && name.first != "-" && name.last != "-"
            && name.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func isDNSSubdomain(_ name: String) -> Bool {
        (1...253).contains(name.count) && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }
}
