import SerinSpec

/// A renderer whose source may declare HelmReleases: another renderer
/// (plain files, a Kustomize build) renders the source, then every
/// HelmRelease in what it made is replaced by its chart's documents.
public struct HelmRenderer: Renderer {
    public var base: any Renderer
    /// Builds the expander for one request: the operator passes its other
    /// sources, its reader of ConfigMaps and Secrets, and the cluster's
    /// capabilities.
    public var expander: @Sendable (RenderRequest) -> HelmReleaseExpander

    public init(base: any Renderer = PlainRenderer(),
                expander: @escaping @Sendable (RenderRequest) -> HelmReleaseExpander = { HelmReleaseExpander(source: $0.source, files: $0.files) }) {
        self.base = base
        self.expander = expander
    }

    public var name: String { base.name }

    public func render(_ request: RenderRequest) async throws -> RenderedSource {
        try await expander(request).expand(try await base.render(request))
    }
}
