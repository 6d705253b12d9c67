import SerinEngine
import SerinSpec

/// The MetricTemplates and AlertProviders in force, kept per source.
public struct ScopedResources: Sendable {
    private var templates: [String: MetricTemplateSpec] = [:]
    private var providers: [String: AlertProviderSpec] = [:]

    public init() {}

    public mutating func update(source: String, templates: [String: MetricTemplateSpec], providers: [String: AlertProviderSpec],
                                canaries: Set<String>) {
        self.templates.merge(templates) { $1 }
        self.providers.merge(providers) { $1 }
    }

    public func templates(for rollout: RolloutID) -> [String: MetricTemplateSpec] { templates }
    public func providers(for rollout: RolloutID) -> [String: AlertProviderSpec] { providers }
}
