import SerinSpec

/// A namespaced operator (`serin run --namespace NS`): it reads, writes and
/// releases in one namespace only, with a namespaced Role, so that teams
/// sharing a cluster (and a repository) each run their own. What Git
/// declares elsewhere is left to the operator of that namespace.
public struct NamespaceScope: Sendable, Equatable {
    public let namespace: String

    public init(_ namespace: String) {
        self.namespace = namespace
    }

    /// Kinds that live outside every namespace: a namespaced Role cannot
    /// write them, so a namespaced operator never tries.
    public static let clusterScopedKinds: Set<String> = [
        "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
        "PriorityClass", "IngressClass", "GatewayClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
        "APIService", "Node", "RuntimeClass", "CSIDriver", "VolumeAttachment",
    ]

    /// Whether an object of `kind` in `namespace` (nil: none written) is
    /// this operator's. An object that names no namespace is in `default`,
    /// as the engine reads it.
    public func contains(kind: String, namespace: String?) -> Bool {
        !Self.clusterScopedKinds.contains(kind) && (namespace ?? ResourceKey.defaultNamespace) == self.namespace
    }

    public func contains(_ object: KubeObject) -> Bool {
        contains(kind: object.kind, namespace: object.metadata.namespace)
    }

    /// The manifests of this namespace; what else Git declares is left out.
    public func restrict(_ manifests: Manifests) -> Manifests {
        var kept = manifests
        kept.workloads = manifests.workloads.filter { contains(kind: $0.kind, namespace: $0.metadata.namespace) }
        kept.canaries = manifests.canaries.filter { contains(kind: $0.kind, namespace: $0.metadata.namespace) }
        kept.metricTemplates = manifests.metricTemplates.filter { contains(kind: $0.kind, namespace: $0.metadata.namespace) }
        kept.alertProviders = manifests.alertProviders.filter { contains(kind: $0.kind, namespace: $0.metadata.namespace) }
        kept.strategies = manifests.strategies.filter { contains(kind: $0.kind, namespace: $0.metadata.namespace) }
        kept.plain = manifests.plain.filter { contains(kind: $0.kind, namespace: $0.metadata.namespace) }
        kept.objects = manifests.objects.filter { contains(kind: $0.kind, namespace: $0.namespace) }
        return kept
    }
}
