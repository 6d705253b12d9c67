import SerinSpec

/// One source's validated revision, as the reconciler takes it: its
/// resources and the plans compiled from its Canaries, read and checked
/// once where the revision was read.
public struct DesiredState: Sendable {
    /// The Git source's name (`serin.yaml`).
    public var source: String
    /// `branch@sha1:<40 hex>`.
    public var revision: String
    public var commit: String
    public var author: String?
    public var manifests: Manifests { didSet { index() } }
    /// One per Canary that compiled, keyed like the Canary.
    public var plans: [Plan] { didSet { index() } }
    /// The Canary (and its plan) of each target, by `namespace/kind/name`:
    /// every workload asks, so it is looked up once, not scanned for.
    private var releasing: [String: (canary: Canary, plan: Plan?)] = [:]
    /// The revision's read-only checkout, for platforms that run files from
    /// it (the local platform); nil where none is needed.
    public var checkout: String?
    /// Validation's warnings, one line each.
    public var warnings: [String]
    /// The renderer that made the documents (`plain`, `kustomize`, `helm`).
    public var renderer: String
    /// The commit as the API shows it.
    public var commitSummary: CommitSummary?

    public init(source: String, revision: String, commit: String, author: String?, manifests: Manifests, plans: [Plan],
                checkout: String? = nil, warnings: [String] = [], renderer: String = "plain", commitSummary: CommitSummary? = nil) {
        self.warnings = warnings
        self.renderer = renderer
        self.commitSummary = commitSummary
        self.source = source
        self.revision = revision
        self.commit = commit
        self.author = author
        self.manifests = manifests
        self.plans = plans
        self.checkout = checkout
        index()
    }

    private mutating func index() {
        var plans: [String: Plan] = [:]
        for plan in self.plans { plans["\(plan.namespace)/\(plan.name)"] = plan }
        releasing = [:]
        for canary in manifests.canaries {
            guard let target = canary.spec.targetRef, let kind = target.kind, let name = target.name else { continue }
            let key = "\(canary.namespace)/\(kind)/\(name)"
            // The first Canary in Git's order; validation refuses a second one.
            if releasing[key] == nil { releasing[key] = (canary, plans["\(canary.namespace)/\(canary.name)"]) }
        }
    }

    public var origin: RevisionOrigin { RevisionOrigin(source: source, commit: commit, author: author) }

    /// The Canary releasing `workload`, if any: its `targetRef` names one of
    /// `kinds` and the workload, in the Canary's namespace.
    public func canary(for workload: WorkloadID, kinds: Set<String>) -> (canary: Canary, plan: Plan)? {
        for kind in kinds {
            guard let found = releasing["\(workload.namespace)/\(kind)/\(workload.name)"] else { continue }
            guard let plan = found.plan else { return nil }
            return (found.canary, plan)
        }
        return nil
    }
}
