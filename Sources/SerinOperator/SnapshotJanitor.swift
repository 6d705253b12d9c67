import Foundation
import SerinGit

/// Removes the revisions' snapshots nothing needs any more: a snapshot is
/// kept while a source holds it in force, while any saved state refers to
/// it (a rollout's revisions, a process record: a workload runs from it, or
/// may be started from it again after a restart), and for a while after it
/// was made (a pipeline between its fetch and its delivery). Without it,
/// every commit ever fetched stays on disk.
struct SnapshotJanitor {
    let snapshots: RevisionSnapshots
    let stateDirectory: String
    /// Snapshots younger than this are kept whatever refers to them.
    var grace: TimeInterval = 600

    /// Removes what is not kept; returns the commits removed.
    @discardableResult
    func prune(inForce: Set<String>, now: Date = Date()) throws -> [String] {
        var keep = Set(inForce.compactMap { Self.commit(inPath: $0) })
        keep.formUnion(referencedCommits())
        var removed: [String] = []
        for commit in snapshots.existing() where !keep.contains(commit.hex) {
            let path = snapshots.path(for: commit)
            let made = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? now
            guard now.timeIntervalSince(made) > grace else { continue }
            try RevisionSnapshots.remove(path)
            removed.append(commit.hex)
        }
        return removed
    }

    /// Every commit a state file names as `…/revisions/<40 hex>`: rollouts'
    /// saved revisions and the local platform's process records, whatever
    /// their layout.
    func referencedCommits() -> Set<String> {
        var found: Set<String> = []
        let skipped: Set<String> = ["revisions", "sources"]
        guard let walker = FileManager.default.enumerator(atPath: stateDirectory) else { return found }
        while let relative = walker.nextObject() as? String {
            if skipped.contains(relative.split(separator: "/").first.map(String.init) ?? "") {
                walker.skipDescendants()
                continue
            }
            guard relative.hasSuffix(".json"), let data = FileManager.default.contents(atPath: stateDirectory + "/" + relative) else { continue }
            found.formUnion(Self.commits(in: String(decoding: data, as: UTF8.self)))
        }
        return found
    }

    static func commit(inPath path: String) -> String? {
        commits(in: path).first
    }

    /// The 40-hex names after `revisions/` in a text.
    static func commits(in text: String) -> Set<String> {
        var found: Set<String> = []
        var rest = Substring(text)
        while let range = rest.range(of: "revisions/") {
            let name = rest[range.upperBound...].prefix(40)
            if name.count == 40, name.allSatisfy(\.isHexDigit) { found.insert(String(name)) }
            rest = rest[range.upperBound...]
        }
        return found
    }
}
