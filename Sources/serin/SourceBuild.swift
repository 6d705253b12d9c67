import Foundation
import SerinHelm
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

    /// Built as the operator builds it: Kustomize (or plain files), then
    /// every HelmRelease replaced by its chart's objects. Any
    /// GitRepository a HelmRelease names is this repository: the folder
    /// given is the only tree there is.
    func render(source: String = "cli", options: KustomizeOptions = KustomizeOptions(), lookup: SubstitutionLookup? = nil) async throws -> RenderedSource {
        let files = self.files
        let renderer = HelmRenderer(base: KustomizeRenderer(builder: KustomizeBuilder(), options: options, lookup: lookup)) { request in
            HelmReleaseExpander(source: request.source, files: request.files, otherSources: { _ in files },
                                defaultNamespace: options.targetNamespace ?? "default")
        }
        return try await renderer.render(RenderRequest(source: source, files: files, path: path))
    }

    /// The stream exactly as it would be applied.
    static func stream(_ source: RenderedSource) -> String {
        source.texts.map { $0.yaml.hasSuffix("\n") ? $0.yaml : $0.yaml + "\n" }.joined(separator: "---\n")
    }
}
