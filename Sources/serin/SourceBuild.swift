import Foundation
import SerinKustomize
import SerinSpec

/// A folder on disk rendered as the operator renders a source's path: the
/// fence's root is the Git repository around it (the nearest folder with a
/// `.git`), or the current folder when there is none, so an overlay's
/// `../base` resolves and nothing outside the repository is read.
struct SourceBuild {
    var root: String
    var path: String

    init(_ given: String) throws {
        let absolute = URL(fileURLWithPath: given).standardizedFileURL.resolvingSymlinksInPath().path
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
        var candidate = absolute
        var found: String?
        while true {
            if FileManager.default.fileExists(atPath: candidate + "/.git") {
                found = candidate
                break
            }
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent == candidate || candidate == "/" { break }
            candidate = parent
        }
        root = found ?? (absolute == current || absolute.hasPrefix(current + "/") ? current : absolute)
        path = absolute == root ? "" : String(absolute.dropFirst(root.count + 1))
    }

    var files: SnapshotFiles { SnapshotFiles(root: root) }

    func layout(options: KustomizeOptions = KustomizeOptions()) throws -> KustomizeRenderer.Layout {
        try KustomizeRenderer.layout(of: files, path: path, options: options)
    }

    func render(options: KustomizeOptions = KustomizeOptions(), lookup: SubstitutionLookup? = nil) async throws -> RenderedSource {
        let renderer = KustomizeRenderer(builder: KustomizeBuilder(), options: options, lookup: lookup)
        return try await renderer.render(RenderRequest(source: "cli", files: files, path: path))
    }

    /// The stream exactly as it would be applied.
    static func stream(_ source: RenderedSource) -> String {
        source.texts.map { $0.yaml.hasSuffix("\n") ? $0.yaml : $0.yaml + "\n" }.joined(separator: "---\n")
    }
}
