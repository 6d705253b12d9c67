import Crypto
import Foundation
import SerinEngine
import SerinSpec

/// One revision of a Workload: what to run and from where. Its id is a hash
/// of the normalized template and of the files under its working directory,
/// so a code change is a new revision even when the YAML is unchanged, and
/// a commit that touches neither is not.
public struct WorkloadRevision: Sendable, Codable, Equatable {
    public var id: String
    public var workload: String
    public var template: ProcessTemplate
    public var replicas: Int
    public var port: Int
    public var snapshot: String
    public var commit: String
    public var author: String?

    /// The workload's name is part of it: two workloads with the same
    /// template are still two revisions (the catalog is keyed by id).
    static func identify(workload: String, template: ProcessTemplate, snapshot: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(workload.utf8))
        hasher.update(data: Data([0]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        hasher.update(data: (try? encoder.encode(template)) ?? Data())
        let root = template.workingDir.map { $0.isEmpty || $0 == "." ? snapshot : snapshot + "/" + $0 } ?? snapshot
        let walker = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let relative = walker?.nextObject() as? String { files.append(relative) }
        for relative in files.sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            hasher.update(data: Data(relative.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: FileManager.default.contents(atPath: root + "/" + relative) ?? Data())
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(12).description
    }
}

/// The revisions the operator knows, kept in the state directory so that a
/// restarted operator can still start, promote or roll back a revision it
/// learnt about before.
struct RevisionCatalog {
    private(set) var revisions: [String: WorkloadRevision] = [:]
    private let path: String

    init(stateDirectory: String) {
        path = stateDirectory + "/operator/revisions.json"
        if let data = FileManager.default.contents(atPath: path),
           let saved = try? JSONDecoder().decode([String: WorkloadRevision].self, from: data) {
            revisions = saved
        }
    }

    subscript(id: String) -> WorkloadRevision? { revisions[id] }

    mutating func insert(_ revision: WorkloadRevision) throws {
        guard revisions[revision.id] != revision else { return }
        revisions[revision.id] = revision
        try save()
    }

    /// Forgets revisions no longer referenced.
    mutating func retain(_ ids: Set<String>) throws {
        let before = revisions.count
        revisions = revisions.filter { ids.contains($0.key) }
        if revisions.count != before { try save() }
    }

    private func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(revisions)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try DurableFile.replace(path, with: data)
    }
}
