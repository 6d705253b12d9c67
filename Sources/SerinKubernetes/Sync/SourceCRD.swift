/// `sources.serin.dev`: one object per Git source in the operator's
/// namespace, whose status mirrors `serin get sources` (revision, Ready,
/// suspended, message; last applied revision and inventory size with
/// `-o wide`), so `kubectl get sources.serin.dev` answers without Serin's
/// API. Namespaced, so a cluster-wide install (in `serin-system`) and
/// namespaced ones (each in its namespace) share one definition.
public enum SourceCRD {
    public static let name = "sources.serin.dev"
    public static let resourceKind = ResourceKind(group: "serin.dev", version: "v1alpha1", kind: "Source", plural: "sources", namespaced: true)

    public static func definitions() throws -> [KubeObject] {
        try KubeObject.manifests(yaml: yaml)
    }

    public static let yaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: sources.serin.dev
          labels: { app.kubernetes.io/managed-by: serin }
        spec:
          group: serin.dev
          names: { kind: Source, listKind: SourceList, plural: sources, singular: source }
          scope: Namespaced
          versions:
            - name: v1alpha1
              served: true
              storage: true
              subresources: { status: {} }
              additionalPrinterColumns:
                - { name: Revision, type: string, jsonPath: .status.shortRevision }
                - { name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status' }
                - { name: Suspended, type: boolean, jsonPath: .status.suspended }
                - { name: Message, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].message' }
                - { name: Applied, type: string, jsonPath: .status.lastAppliedRevision, priority: 1 }
                - { name: Inventory, type: integer, jsonPath: .status.inventory, priority: 1 }
                - { name: Age, type: date, jsonPath: .metadata.creationTimestamp }
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
                    status: { type: object, x-kubernetes-preserve-unknown-fields: true }
        """
}
