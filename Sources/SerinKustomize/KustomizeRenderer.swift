import Foundation
import SerinSpec
import Yams

/// A source's path built as Flux's kustomize-controller builds it:
///
/// * a `kustomization.yaml` (`.yml`, `Kustomization`) at the path is built
///   with kustomize;
/// * without one, when a folder below holds a kustomization or the source
///   sets Flux's fields, a kustomization of every manifest under the path is
///   generated (folders with their own kustomization included as folders)
///   and built;
/// * a folder with no kustomization anywhere and no such field is read as
///   plain manifests (`PlainRenderer`), exactly as before, so documents
///   Serin refuses are reported at their own file:line:column.
///
/// Serin's own kinds (`Workload`, `Strategy`, a `serin.dev` Canary) go
/// through kustomize like any kind it does not know, as Flagger's Canary
/// does under Flux: passed through, with namespace, prefix, labels and
/// patches applied; only the references kustomize knows are renamed.
public struct KustomizeRenderer: Renderer {
    public static let buildFailed = "BuildFailed"
    public static let unavailable = "KustomizeUnavailable"

    public var name: String { "kustomize" }
    public let builder: KustomizeBuilder
    /// The source's Flux fields from `serin.yaml`.
    public var options: KustomizeOptions
    /// Reads `postBuild.substituteFrom` objects; nil where there is no cluster.
    public var lookup: SubstitutionLookup?

    public init(builder: KustomizeBuilder, options: KustomizeOptions = KustomizeOptions(), lookup: SubstitutionLookup? = nil) {
        self.builder = builder
        self.options = options
        self.lookup = lookup
    }

    /// How a path is built.
    public enum Layout: Sendable, Hashable {
        /// The path's own kustomization file.
        case kustomization(String)
        /// Flux's generated kustomization of the folder.
        case generated
        /// Plain manifests, no kustomize.
        case plain
    }

    /// The selection rule, with the source's fields taken into account.
    public static func layout(of files: any SourceFiles, path: String, options: KustomizeOptions = KustomizeOptions()) throws -> Layout {
        guard case .directory? = try files.entry(at: path) else { return .plain }
        if let file = try KustomizationWalker.kustomizationFile(in: path, of: files) { return .kustomization(file) }
        if !options.isEmpty { return .generated }
        let nested = try files.files(under: path) { KustomizationFile.names.contains(RepositoryPath.name($0)) }
        return nested.isEmpty ? .plain : .generated
    }

    public func render(_ request: RenderRequest) async throws -> RenderedSource {
        let layout: Layout
        do {
            layout = try Self.layout(of: request.files, path: request.path, options: options)
        } catch let error as SourceFileError {
            throw RenderFailure(reason: Self.buildFailed, at: SourcePosition(file: error.path), error.message)
        }
        if layout == .plain {
            if !options.isEmpty, case .file? = try? request.files.entry(at: request.path) {
                throw RenderFailure(at: SourcePosition(file: request.path),
                                    "the source's Kustomize fields (targetNamespace, patches, ...) need its path to be a folder, not a file")
            }
            return try PlainRenderer().renderNow(request)
        }
        let binary = try builder.requireBinary(for: request.path.isEmpty ? request.source : request.path)
        let prepared = try prepare(request, layout: layout, binary: binary)
        let built = try await builder.build(prepared, binary: binary)
        let texts = try await PostBuildStep(options: options, lookup: lookup, source: prepared.failurePosition).apply(to: built)
        return RenderedSource(renderer: name, texts: texts)
    }

    /// The walk, the kustomization to write and the key: no program runs.
    func prepare(_ request: RenderRequest, layout: Layout, binary: KustomizeBinary) throws -> PreparedBuild {
        for component in options.components where !KustomizeOptions.isLocalRelativePath(component) {
            throw RenderFailure(reason: Self.buildFailed, at: SourcePosition(file: request.path),
                                "component path '\(component)' must be local and relative")
        }
        var walker = KustomizationWalker(files: request.files)
        do {
            switch layout {
            case .kustomization(let file):
                try walker.walk(kustomizationIn: request.path, components: options.components)
                let data = walker.collected[file] ?? Data()
                let original: Node?
                do {
                    original = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
                } catch {
                    throw RenderFailure(reason: Self.buildFailed, at: SourcePosition(file: file), "the kustomization is not valid YAML: \(error)")
                }
                let (text, asked) = try KustomizationEditor.edit(original, with: options)
                return PreparedBuild(directory: request.path, kustomizationName: RepositoryPath.name(file), kustomizationText: text,
                                     userKustomization: file, files: walker.collected, keepOrigins: asked, kustomizeVersion: binary.version)
            case .generated, .plain:
                let resources = try walker.scanManifests(under: request.path, components: options.components)
                let (text, _) = try KustomizationEditor.edit(KustomizationEditor.generated(resources: resources), with: options)
                return PreparedBuild(directory: request.path, kustomizationName: "kustomization.yaml", kustomizationText: text,
                                     userKustomization: nil, files: walker.collected, keepOrigins: false, kustomizeVersion: binary.version)
            }
        } catch let error as SourceFileError {
            throw RenderFailure(reason: Self.buildFailed, at: SourcePosition(file: error.path), "\(error.message); a link may point only inside the repository")
        }
    }
}
