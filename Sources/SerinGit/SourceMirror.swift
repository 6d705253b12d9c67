import Foundation
import SerinSpec

/// One source's persistent local clone (a bare repository under the state
/// directory, fetched incrementally: libgit2 1.5 has no shallow clone).
///
/// Not `Sendable`: used on its source's `GitThread` only.
public final class SourceMirror {
    public let spec: GitSourceSpec
    private let repository: GitRepository
    /// The last commit whose manifests were valid.
    public private(set) var lastGood: SyncResult?
    /// The last commit read whose manifests were invalid: polled again, it
    /// is reported again without being read again.
    private var lastInvalid: SyncResult?
    /// Each manifest file as last parsed, by path, with its blob id: a new
    /// commit re-parses only the files it changed.
    private var parsed: [String: (blob: ObjectID, manifests: Manifests)] = [:]

    public init(spec: GitSourceSpec, directory: String) throws {
        self.spec = spec
        self.repository = try GitRepository.openOrCreateBare(at: directory)
    }

    /// Asks the remote where the ref points; fetches and reads only when it
    /// moved. Throws when the remote cannot be read; returns `.invalid` when
    /// the new manifests are, keeping `lastGood` as it was. (`serin source
    /// check` and the Git benchmarks; the operator's pipeline fetches with
    /// `fetch(unless:)` and renders the snapshot.)
    public func poll(loader: ManifestLoader = ManifestLoader(), validator: Validator = Validator()) throws -> PollOutcome {
        let known = lastInvalid?.revision ?? lastGood?.revision
        guard let found = try fetch(unless: known) else {
            if let lastInvalid { return .invalid(lastInvalid) }
            return .unchanged(revision: lastGood?.revision ?? "")
        }
        if let lastGood, lastGood.commit.id == found.commit.id { return .unchanged(revision: lastGood.revision) }
        let result = try read(found.commit.id, name: found.name, fetched: found.fetched, loader: loader, validator: validator)
        guard result.isValid else {
            lastInvalid = result
            return .invalid(result)
        }
        lastInvalid = nil
        lastGood = result
        return .updated(result)
    }

    /// A commit the ref pointed at, in the local clone.
    public struct Fetched: Sendable {
        public var commit: CommitInfo
        /// The ref's name (`main`, `v1.2.0`); nil for a pinned commit.
        public var name: String?
        /// False when the commit was already in the local clone.
        public var fetched: Bool
        /// `main@sha1:<40 hex>`.
        public var revision: String { SyncResult.revision(name, commit.id) }
    }

    /// The fetch stage: where the ref points now, fetched into the local
    /// clone unless it is there already; nil when that is `known` (a
    /// revision as `Fetched.revision` words it).
    public func fetch(unless known: String?) throws -> Fetched? {
        let auth = try spec.auth()
        let heads = try GitRepository.listRemote(spec.url, auth: auth)
        let resolution = try spec.reference.resolve(in: heads, remote: spec.url.redacted)
        if SyncResult.revision(resolution.name, resolution.commit) == known { return nil }
        var fetched = false
        if !repository.hasCommit(resolution.commit) {
            try repository.fetch(spec.url, refspecs: resolution.refspecs, auth: auth)
            fetched = true
            guard repository.hasCommit(resolution.commit) else {
                throw GitError(.refNotFound, "\(spec.url.redacted): commit \(resolution.commit) is not on any branch")
            }
        }
        return Fetched(commit: try repository.commit(resolution.commit), name: resolution.name, fetched: fetched)
    }

    /// A commit the source had (for a rollback), from the local clone, or
    /// fetched with the ref's branches when the clone lacks it. `name`: the
    /// ref's name the revision carries.
    public func fetch(commit hex: String, name: String?) throws -> Fetched {
        guard let id = ObjectID(hex: hex.lowercased()) else {
            throw GitError(.refNotFound, "\(spec.url.redacted): \"\(hex)\" is not a commit id (40 hex digits)")
        }
        var fetched = false
        if !repository.hasCommit(id) {
            let auth = try spec.auth()
            let heads = try GitRepository.listRemote(spec.url, auth: auth)
            let resolution = try spec.reference.resolve(in: heads, remote: spec.url.redacted)
            try repository.fetch(spec.url, refspecs: resolution.refspecs, auth: auth)
            fetched = true
            guard repository.hasCommit(id) else {
                throw GitError(.refNotFound, "\(spec.url.redacted): commit \(hex) is neither in the local clone nor on the ref's branch")
            }
        }
        return Fetched(commit: try repository.commit(id), name: name, fetched: fetched)
    }

    /// Reads and validates the manifests under the source's path at `commit`.
    func read(_ commit: ObjectID, name: String?, fetched: Bool, loader: ManifestLoader, validator: Validator) throws -> SyncResult {
        let info = try repository.commit(commit)
        let path = spec.path.split(separator: "/").joined(separator: "/")
        guard let tree = try repository.subtree(of: info.tree, at: path) else {
            throw GitError(.refNotFound, "\(spec.url.redacted): path \"\(spec.path)\" does not exist at commit \(commit.short)")
        }
        var manifests = Manifests()
        var current: [String: (blob: ObjectID, manifests: Manifests)] = [:]
        // Only the source's path is read, each entry checked and each blob
        // sized from its header before it is loaded.
        var walk = TreeWalk(repository: repository, limits: spec.limits, context: "\(spec.url.redacted) at commit \(commit.short)")
        let reader = walk
        try walk.walk(tree, prefix: path) { entry in
            guard case .file = entry.kind, Self.isManifest(entry.path) else { return }
            let loaded: Manifests
            if let cached = parsed[entry.path], cached.blob == entry.id {
                loaded = cached.manifests
            } else {
                loaded = loader.load(data: try reader.blob(entry.id, at: entry.path), file: entry.path)
            }
            current[entry.path] = (entry.id, loaded)
            manifests.append(contentsOf: loaded)
        }
        parsed = current
        // Plans are compiled here, once, with the validation that needs them.
        let (diagnostics, plans) = validator.validateAndPlan(manifests)
        return SyncResult(revision: SyncResult.revision(name, commit), commit: info, pathTree: tree,
                          manifests: manifests, diagnostics: diagnostics, plans: plans, fetched: fetched)
    }

    /// The same files `serin validate` reads in a folder.
    static func isManifest(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        guard let name = parts.last, !parts.contains(where: { $0.hasPrefix(".") }) else { return false }
        return (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && name != "kustomization.yaml" && name != "kustomization.yml"
    }

    public func hasCommit(_ id: ObjectID) -> Bool { repository.hasCommit(id) }

    public func commit(_ id: ObjectID) throws -> CommitInfo { try repository.commit(id) }

    /// Exports the whole tree of `commit` for workloads (and renderers) to
    /// run from: checked whole first (names, sizes, entries, where every
    /// link leads), then written under folder descriptors; a refused tree
    /// writes nothing.
    public func snapshot(_ commit: ObjectID, into snapshots: RevisionSnapshots) throws -> String {
        try snapshots.export(commit) { directory in
            let info = try repository.commit(commit)
            var export = SnapshotExport(walk: TreeWalk(repository: repository, limits: spec.limits,
                                                       context: "\(spec.url.redacted) at commit \(commit.short)"))
            try export.export(info.tree, into: directory)
        }
    }
}
