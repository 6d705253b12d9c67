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
    public var manifests: Manifests
    /// One per Canary that compiled, keyed like the Canary.
    public var plans: [Plan]
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
    }

    public var origin: RevisionOrigin { RevisionOrigin(source: source, commit: commit, author: author) }

    /// The Canary releasing `workload`, if any: its `targetRef` names one of
    /// `kinds` and the workload, in the Canary's namespace.
    public func canary(for workload: WorkloadID, kinds: Set<String>) -> (canary: Canary, plan: Plan)? {
        for canary in manifests.canaries where canary.namespace == workload.namespace {
            guard let target = canary.spec.targetRef, let kind = target.kind, kinds.contains(kind), target.name == workload.name else { continue }
            guard let plan = plans.first(where: { $0.name == canary.name && $0.namespace == canary.namespace }) else { return nil }
            return (canary, plan)
        }
        return nil
    }
}
