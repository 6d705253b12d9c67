import SerinEngine
import SerinSpec

/// The MetricTemplates and AlertProviders in force, kept per source: a
/// Canary's metrics and alerts are looked up among its own source's
/// (the one that declares it), so another source declaring a template or
/// provider of the same name never replaces them, whatever order the
/// sources synced in. Validation already requires a Canary's references to
/// be in its own source.
public struct ScopedResources: Sendable {
    private struct Declared: Sendable {
        var templates: [String: MetricTemplateSpec]
        var providers: [String: AlertProviderSpec]
        /// `namespace/name` of the Canaries the source declares.
        var canaries: Set<String>
    }

    private var sources: [String: Declared] = [:]

    public init() {}

    /// What `source`'s revision in force declares; keys are `namespace/name`.
    public mutating func update(source: String, templates: [String: MetricTemplateSpec], providers: [String: AlertProviderSpec],
                                canaries: Set<String>) {
        sources[source] = Declared(templates: templates, providers: providers, canaries: canaries)
    }

    /// The source that declares the rollout's Canary (the first by name
    /// when two do: validation of each alone cannot see the other).
    private func owner(of rollout: RolloutID) -> Declared? {
        let key = "\(rollout.namespace)/\(rollout.name)"
        return sources.sorted { $0.key < $1.key }.first { $0.value.canaries.contains(key) }?.value
    }

    public func templates(for rollout: RolloutID) -> [String: MetricTemplateSpec] { owner(of: rollout)?.templates ?? [:] }
    public func providers(for rollout: RolloutID) -> [String: AlertProviderSpec] { owner(of: rollout)?.providers ?? [:] }
}
