import SerinEngine
import SerinSpec
import Synchronization

/// The tree each source fetched last, by source name: a HelmRelease of one
/// source may take its chart from another (`sourceRef.name`).
final class SourceTrees: Sendable {
    private let trees = Mutex<[String: any SourceFiles]>([:])

    subscript(source: String) -> (any SourceFiles)? {
        trees.withLock { $0[source] }
    }

    func record(_ files: any SourceFiles, of source: String) {
        trees.withLock { $0[source] = files }
    }
}

/// A fetch stage that also records the tree it fetched in `trees`.
struct TreeRecordingFetcher: SourceFetcher {
    let base: any SourceFetcher
    let source: String
    let trees: SourceTrees

    func fetch(unless known: String?) async throws -> FetchedRevision? {
        let fetched = try await base.fetch(unless: known)
        if let fetched { trees.record(fetched.files, of: source) }
        return fetched
    }

    func fetch(revision: String) async throws -> FetchedRevision {
        try await base.fetch(revision: revision)
    }
}
