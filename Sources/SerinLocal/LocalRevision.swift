import Crypto
import Foundation
import SerinEngine
import SerinSpec

/// One revision of a Workload on the local platform: what to run and from
/// where. Its id is a hash of the normalized template and of the files under
/// its working directory, so a code change is a new revision even when the
/// YAML is unchanged, and a commit that touches neither is not.
public struct LocalRevision: PlatformRevision {
    public var id: String
    public var workload: WorkloadID
    public var template: ProcessTemplate
    public var replicas: Int
    /// The router listens on 127.0.0.1:port for the workload.
    public var port: Int
    /// The revision's read-only checkout.
    public var snapshot: String
    public var origin: RevisionOrigin

    public init(workload: WorkloadID, template: ProcessTemplate, replicas: Int, port: Int, snapshot: String, origin: RevisionOrigin) {
        id = Self.identify(workload: LocalPlatform.key(workload), template: template, snapshot: snapshot)
        self.workload = workload
        self.template = template
        self.replicas = replicas
        self.port = port
        self.snapshot = snapshot
        self.origin = origin
    }

    /// The workload's name is part of it: two workloads with the same
    /// template are still two revisions.
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
