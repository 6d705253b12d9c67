/// The CustomResourceDefinitions of Flagger's kinds Serin reads from Git:
/// `canaries`, `metrictemplates`, `alertproviders` in `flagger.app/v1beta1`.
/// Installed when the cluster has none (a cluster that runs Flagger keeps
/// its own): the specs are left open (Serin validates them itself, with
/// file:line:col), the Canary has the status subresource and the columns
/// `kubectl get canaries` shows with Flagger.
public enum FlaggerCRDs {
    static let names = ["canaries.flagger.app", "metrictemplates.flagger.app", "alertproviders.flagger.app"]

    static func definitions() throws -> [KubeObject] {
        try KubeObject.manifests(yaml: yaml)
    }

    /// The three definitions as one YAML stream: what an admin applies
    /// for namespaced operators (`deploy/kubernetes/namespaced/crds.yaml`).
    public static let yaml = [canary, definition(kind: "MetricTemplate", plural: "metrictemplates"),
                              definition(kind: "AlertProvider", plural: "alertproviders")].joined(separator: "\n---\n")

    private static func definition(kind: String, plural: String, extra: String = "") -> String {
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: \(plural).flagger.app
          labels: { app.kubernetes.io/managed-by: serin }
        spec:
          group: flagger.app
          names: { kind: \(kind), listKind: \(kind)List, plural: \(plural), singular: \(kind.lowercased()) }
          scope: Namespaced
          versions:
            - name: v1beta1
              served: true
              storage: true
        \(extra)
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
                    status: { type: object, x-kubernetes-preserve-unknown-fields: true }
        """
    }

    private static let canary = definition(kind: "Canary", plural: "canaries", extra: """
              subresources: { status: {} }
              additionalPrinterColumns:
                - { name: Status, type: string, jsonPath: .status.phase }
                - { name: Weight, type: string, jsonPath: .status.canaryWeight }
                - { name: FailedChecks, type: string, jsonPath: .status.failedChecks, priority: 1 }
                - { name: LastTransitionTime, type: string, jsonPath: .status.lastTransitionTime }
        """)
}
