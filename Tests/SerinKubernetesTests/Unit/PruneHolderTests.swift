import SerinSpec
import Testing

@testable import SerinKubernetes

/// A Namespace or a CRD leaving one source's Git is kept while another
/// source's inventory holds an object in it (of its kind, for a CRD): safe
/// prune's last rule, which the cluster tests show for a Namespace.
@Suite struct PruneHolderTests {
    static func entry(_ apiVersion: String, _ kind: String, _ namespace: String?, _ name: String) -> Inventory.Entry {
        Inventory.Entry(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name, digest: "")
    }

    static let crd = try! KubeObject(json: [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "widgets.example.com"],
        "spec": ["group": "example.com", "names": ["kind": "Widget", "plural": "widgets"], "scope": "Namespaced"],
    ])

    @Test func aCRDIsHeldByAnotherSourcesObjectOfItsKind() {
        let definition = Self.entry("apiextensions.k8s.io/v1", "CustomResourceDefinition", nil, "widgets.example.com")
        let widget = (source: "team", entry: Self.entry("example.com/v1", "Widget", "shop", "blue"))
        let held = ClusterSync.holder(of: definition, live: Self.crd, among: [widget])
        #expect(held?.source == "team" && held?.entry == widget.entry)
        // Another group, or another kind of the same group: not its objects, so it may go.
        #expect(ClusterSync.holder(of: definition, live: Self.crd, among: [
            (source: "team", entry: Self.entry("other.example.com/v1", "Widget", "shop", "blue")),
            (source: "team", entry: Self.entry("example.com/v1", "Gadget", "shop", "red")),
        ]) == nil)
    }

    @Test func aNamespaceIsHeldByAnotherSourcesObjectInIt() {
        let namespace = Self.entry("v1", "Namespace", nil, "shop")
        let live = try! KubeObject(json: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop"]])
        let map = (source: "team", entry: Self.entry("v1", "ConfigMap", "shop", "settings"))
        #expect(ClusterSync.holder(of: namespace, live: live, among: [map])?.source == "team")
        #expect(ClusterSync.holder(of: namespace, live: live, among: [(source: "team", entry: Self.entry("v1", "ConfigMap", "other", "x"))]) == nil)
    }
}
