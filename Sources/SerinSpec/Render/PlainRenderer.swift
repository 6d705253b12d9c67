import Foundation

/// A folder of manifests, read as written: every `*.yaml` and `*.yml` file
/// under the source's path (hidden entries skipped), in name order, each
/// file's text as it is. What `serin validate PATH` reads.
public struct PlainRenderer: Renderer {
    public var name: String { "plain" }
    /// Files larger than this are refused rather than parsed.
    public var maximumFileSize: Int

    public init(maximumFileSize: Int = 8 << 20) {
        self.maximumFileSize = maximumFileSize
    }

    public func render(_ request: RenderRequest) async throws -> RenderedSource {
        try renderNow(request)
    }

    /// The same, synchronously: plain files need no program and no wait.
    public func renderNow(_ request: RenderRequest) throws -> RenderedSource {
        guard let top = try request.files.entry(at: request.path) else {
            throw RenderFailure("path \"\(request.path)\" does not exist in the repository")
        }
        let files: [String]
        switch top {
        case .file: files = [request.path]
        case .directory: files = try request.files.files(under: request.path, where: Self.isManifest)
        }
        var source = RenderedSource(renderer: name, texts: [])
        for file in files {
            let data: Data
            do {
                data = try request.files.read(file, limit: maximumFileSize)
            } catch let error as SourceFileError {
                source.diagnostics.append(.error(at: SourcePosition(file: file), error.message, kind: .unreadable))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                source.diagnostics.append(.error(at: SourcePosition(file: file), "file is not UTF-8 text", kind: .unreadable))
                continue
            }
            source.texts.append(RenderedText(yaml: text, file: file))
        }
        return source
    }

    /// The files `serin validate` reads in a folder: YAML, not Kustomize's own file.
    public static func isManifest(_ path: String) -> Bool {
        guard let name = path.split(separator: "/").last else { return false }
        return (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !KustomizationFile.names.contains(String(name))
    }
}

/// Kustomize's own file describes how to build manifests, not a resource.
public enum KustomizationFile {
    /// The names Kustomize and Flux look for, in their order.
    public static let names = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
}
