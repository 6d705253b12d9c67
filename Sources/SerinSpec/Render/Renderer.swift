/// The render stage: the files of one commit under a source's path turned
/// into the documents that will be validated, applied and hashed into
/// revisions. Plain manifests, a Kustomize build and a Helm chart are each a
/// renderer; the stages after this one see only `RenderedSource`.
public protocol Renderer: Sendable {
    /// The renderer's name in statuses and findings (`plain`, `kustomize`, `helm`).
    var name: String { get }
    /// Throws `RenderFailure` when the source cannot be rendered at all (the
    /// source's condition becomes Ready=False, reason `RenderFailed`, and
    /// the last good revision stays in force). Problems in single documents
    /// are findings of the validate stage, not failures of this one.
    func render(_ request: RenderRequest) async throws -> RenderedSource
}

/// What a renderer reads: one commit's tree, fenced.
public struct RenderRequest: Sendable {
    /// The source's name (`serin.yaml`).
    public var source: String
    /// The commit's files; nothing outside them may be read.
    public var files: any SourceFiles
    /// The source's path inside the tree, without leading or trailing
    /// slashes (empty for the whole tree).
    public var path: String

    public init(source: String, files: any SourceFiles, path: String) {
        self.source = source
        self.files = files
        self.path = path.split(separator: "/").joined(separator: "/")
    }
}

/// YAML text a renderer produced (one or more documents), with where it came from.
public struct RenderedText: Sendable {
    /// The text, as it will be applied.
    public var yaml: String
    /// The file findings name (a path inside the repository).
    public var file: String
    /// Where the fields were written, when `yaml` is not the text of `file`
    /// itself (a Kustomize build, a rendered template): findings on a field
    /// point at the field's place in `file` when it was written there, or at
    /// the document that produced it. Nil: positions in `yaml` are positions
    /// in `file`.
    public var origin: SourceMap?

    public init(yaml: String, file: String, origin: SourceMap? = nil) {
        self.yaml = yaml
        self.file = file
        self.origin = origin
    }
}

/// The render stage's value.
public struct RenderedSource: Sendable {
    /// The renderer that made it.
    public var renderer: String
    /// In the order they are applied (Git's order for plain manifests, the
    /// build's order for Kustomize).
    public var texts: [RenderedText]
    /// Warnings of the render itself (a field of the source that the
    /// renderer does not use, a file it skipped and why).
    public var diagnostics: [Diagnostic]

    public init(renderer: String, texts: [RenderedText], diagnostics: [Diagnostic] = []) {
        self.renderer = renderer
        self.texts = texts
        self.diagnostics = diagnostics
    }
}

/// A source that cannot be rendered: kustomize's message, a template's
/// error, a file that cannot be read. The reason goes into the source's
/// Ready condition.
public struct RenderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// `RenderFailed`, or the renderer's own (`BuildFailed` for Kustomize).
    public var reason: String
    /// Where, as precisely as known (a kustomization file, a template's line).
    public var position: SourcePosition?
    public var message: String

    public init(reason: String = "RenderFailed", at position: SourcePosition? = nil, _ message: String) {
        self.reason = reason
        self.position = position
        self.message = message
    }

    public var description: String {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return position.map { "\($0): \(oneLine)" } ?? oneLine
    }
}
