import Foundation
import SerinEngine
import SerinKubernetes
import SerinKustomize
import SerinSpec

extension OperatorConfig {
    /// One cluster of `clusters:`: what `kubernetes:` takes, and a name.
    public struct Cluster: Sendable, Decodable, KubernetesFields {
        public var name: String?
        public var kubeconfig: String?
        public var context: String?
        public var namespace: String?
        public var watchNamespace: String?
        public var provider: String?
        /// On the home cluster only: one active replica through a Lease (default true).
        public var leaderElection: Bool?
        public var leaseName: String?
        /// The home cluster keeps the Lease and each source's record of
        /// waves (default: the first cluster).
        public var home: Bool?
        /// This cluster's post-build variables, for every source it gets.
        public var postBuild: ClusterPostBuild?
        /// The ServiceAccount (in this cluster's Serin namespace) of every
        /// source that names none.
        public var defaultServiceAccount: String?
        /// Flagger's `-selector-labels`, as `kubernetes.selectorLabels`.
        public var selectorLabels: [String]?
        /// The labels Prometheus gives the app pods' series, as `kubernetes.metricLabels`.
        public var metricLabels: MetricLabels?
    }

    /// What `kubernetes:` and a cluster of `clusters:` both take.
    public protocol KubernetesFields {
        var kubeconfig: String? { get }
        var context: String? { get }
        var namespace: String? { get }
        var watchNamespace: String? { get }
        var provider: String? { get }
        var leaderElection: Bool? { get }
        var leaseName: String? { get }
        var selectorLabels: [String]? { get }
        var metricLabels: MetricLabels? { get }
    }

    public struct ClusterPostBuild: Sendable, Decodable {
        /// `${NAME}` in the sources' manifests becomes the value here (over the source's own `postBuild.substitute`).
        public var substitute: [String: String]?
    }

    /// `clusters:` checked; the home cluster first.
    static func resolveClusters(_ given: [Cluster], source: SourceMap, problem: (String, String) -> Void) -> [ClusterSettings] {
        if given.isEmpty { problem("clusters", "needs at least one cluster (or use kubernetes: for one)") }
        let homes = given.indices.filter { given[$0].home == true }
        if homes.count > 1 {
            problem("clusters[\(homes[1])].home", "only one cluster can be the home (clusters[\(homes[0])] is)")
        }
        let home = homes.first ?? 0
        var names: Set<String> = []
        var places: [String: String] = [:]
        var result: [ClusterSettings] = []
        for (index, cluster) in given.enumerated() {
            let field = "clusters[\(index)]"
            guard let name = cluster.name else { problem("\(field).name", "is required"); continue }
            guard isDNSLabel(name) else {
                problem("\(field).name", "\"\(name)\" is not a cluster name (lower-case letters, digits and -, at most 63)"); continue
            }
            guard names.insert(name).inserted else { problem("\(field).name", "\"\(name)\" is used twice"); continue }
            // Two entries for one apiserver would apply and release everything twice.
            let place = "\(cluster.kubeconfig ?? "$KUBECONFIG or in-cluster")" + (cluster.context.map { ", context \($0)" } ?? "")
            if let other = places[place] {
                problem(cluster.kubeconfig == nil ? "\(field).name" : "\(field).kubeconfig",
                        "\(place) is cluster \(other) already; give each cluster its own kubeconfig or context")
            }
            places[place] = name
            let isHome = index == home
            let settings = Self.settings(of: cluster, field: field, elects: isHome, problem: problem)
            if !isHome {
                let homeName = given[home].name ?? "clusters[\(home)]"
                if cluster.leaderElection == true {
                    problem("\(field).leaderElection", "the Lease is kept in the home cluster (\(homeName)) only; leave it out here")
                }
                if cluster.leaseName != nil {
                    problem("\(field).leaseName", "the Lease is kept in the home cluster (\(homeName)) only; leave it out here")
                }
            }
            let substitute = cluster.postBuild?.substitute ?? [:]
            for variable in substitute.keys.sorted() where !KustomizeOptions.isVariableName(variable) {
                problem("\(field).postBuild.substitute", "'\(variable)' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'")
            }
            let resolved = ClusterSettings(name: name, kubernetes: settings, substitute: substitute, isHome: isHome, ownState: true,
                                           defaultServiceAccount: (cluster.defaultServiceAccount, "\(field).defaultServiceAccount"))
            if isHome { result.insert(resolved, at: 0) } else { result.append(resolved) }
        }
        return result
    }

    /// A source's `waves`, `clusters`, `paths`, `pause` and `bake` checked
    /// against the clusters; `named`: the clusters came from `clusters:`.
    static func resolveDelivery(of source: Source, field: String, clusters: [ClusterSettings], named: Bool,
                                duration: (String, String?, Duration) -> Duration, problem: (String, String) -> Void) -> SourceDelivery {
        let known = clusters.map(\.name)
        let staged = source.waves != nil || source.clusters != nil || source.paths != nil || source.pause != nil || source.bake != nil
        if staged && clusters.isEmpty {
            let given = ["waves", "clusters", "paths", "pause", "bake"].first { key in
                switch key {
                case "waves": source.waves != nil
                case "clusters": source.clusters != nil
                case "paths": source.paths != nil
                case "pause": source.pause != nil
                default: source.bake != nil
                }
            } ?? "waves"
            problem("\(field).\(given)", "is read only with platform: kubernetes (the local platform is one target)")
            return SourceDelivery(waves: .allAtOnce(known))
        }
        func check(_ name: String, at path: String) -> Bool {
            guard known.contains(name) else {
                let hint = named ? "the clusters are \(known.joined(separator: ", "))"
                    : "with kubernetes: the one cluster is \(ClusterSettings.singleName); name clusters under clusters:"
                problem(path, "\"\(name)\" is not a cluster; \(hint)")
                return false
            }
            return true
        }
        var waves: [[String]] = []
        var seen: Set<String> = []
        if let given = source.waves {
            if given.isEmpty { problem("\(field).waves", "needs at least one wave (a list of cluster names)") }
            for (index, wave) in given.enumerated() {
                if wave.isEmpty { problem("\(field).waves[\(index)]", "is empty: a wave names at least one cluster") }
                var kept: [String] = []
                for (position, name) in wave.enumerated() where check(name, at: "\(field).waves[\(index)][\(position)]") {
                    if seen.insert(name).inserted {
                        kept.append(name)
                    } else {
                        problem("\(field).waves[\(index)][\(position)]", "\"\(name)\" is in an earlier wave already: a cluster gets a revision once")
                    }
                }
                if !kept.isEmpty { waves.append(kept) }
            }
        }
        var limited: [String]?
        if let given = source.clusters {
            if given.isEmpty { problem("\(field).clusters", "names no cluster: leave it out for every cluster") }
            var names: [String] = []
            for (index, name) in given.enumerated() where check(name, at: "\(field).clusters[\(index)]") {
                if names.contains(name) { problem("\(field).clusters[\(index)]", "\"\(name)\" is named twice") } else { names.append(name) }
            }
            limited = names
            if source.waves != nil, Set(names) != seen {
                problem("\(field).clusters", "names \(names.sorted().joined(separator: ", ")) but waves name \(seen.sorted().joined(separator: ", ")); "
                    + "give the same clusters, or waves alone")
            }
        }
        if source.waves == nil { waves = [limited ?? known] }
        let targets = Set(waves.flatMap { $0 })
        var paths: [String: String] = [:]
        for (cluster, path) in (source.paths ?? [:]).sorted(by: { $0.key < $1.key }) {
            let at = "\(field).paths.\(cluster)"
            guard check(cluster, at: at) else { continue }
            guard targets.contains(cluster) else { problem(at, "\(cluster) does not get this source (see its waves or clusters)"); continue }
            let parts = path.split(separator: "/", omittingEmptySubsequences: true)
            if path.hasPrefix("/") || parts.contains("..") || parts.contains(".") {
                problem(at, "\"\(path)\" must be a relative folder of the repository, without . or .. (such as deploy/\(cluster))"); continue
            }
            paths[cluster] = parts.joined(separator: "/")
        }
        var bake = Duration.zero
        if let text = source.bake { bake = duration("\(field).bake", text, .zero) }
        if waves.count < 2 {
            if source.pause == true { problem("\(field).pause", "waits between waves, and this source has one wave; give waves: [[first], [next]]") }
            if source.bake != nil { problem("\(field).bake", "is a wait between waves, and this source has one wave; give waves: [[first], [next]]") }
        }
        return SourceDelivery(waves: WavePlan(waves: waves, pause: source.pause ?? false, bake: bake), paths: paths)
    }
}

/// One cluster of `platform: kubernetes`, as the operator runs it.
public struct ClusterSettings: Sendable {
    /// The target name of the one cluster `kubernetes:` configures.
    public static let singleName = "kubernetes"

    public var name: String
    public var kubernetes: KubernetesSettings
    /// Post-build variables for every source delivered here.
    public var substitute: [String: String] = [:]
    /// Holds the Lease and the records of waves.
    public var isHome: Bool
    /// Its rollouts' states in a folder of its own (`<stateDir>/clusters/<name>`)
    /// and its entries in the event log named by it: true for `clusters:`,
    /// false for `kubernetes:` (whose layout stays as it was).
    public var ownState: Bool
    /// The ServiceAccount of a source delivered here that names none, and
    /// the field that gave it (for the diagnostic of a bad name).
    public var defaultServiceAccount: (name: String?, field: String)

    public init(name: String, kubernetes: KubernetesSettings, substitute: [String: String] = [:], isHome: Bool, ownState: Bool,
                defaultServiceAccount: (name: String?, field: String) = (nil, "kubernetes.defaultServiceAccount")) {
        self.name = name
        self.kubernetes = kubernetes
        self.substitute = substitute
        self.isHome = isHome
        self.ownState = ownState
        self.defaultServiceAccount = defaultServiceAccount
    }
}

/// Where one source's revisions go.
public struct SourceDelivery: Sendable, Equatable {
    public var waves: WavePlan
    /// A cluster's own path, instead of the source's.
    public var paths: [String: String]

    public init(waves: WavePlan, paths: [String: String] = [:]) {
        self.waves = waves
        self.paths = paths
    }
}
