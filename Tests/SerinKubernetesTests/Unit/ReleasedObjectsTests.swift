import SerinEngine
import SerinKubernetes
import SerinSpec
import Testing

@testable import SerinOperator

/// What the platform releases itself rather than Git sync applying it, and
/// the source label on a revision's Deployments: both read at every resync
/// of every source, so they are looked up (the apex Services) and written
/// in one pass (the labels) rather than once per Canary and object.
@Suite struct ReleasedObjectsTests {
    static func desired(_ yaml: String) -> DesiredState {
        let manifests = ManifestLoader().load(text: yaml, file: "apps.yaml")
        let (diagnostics, plans) = Validator(platform: .kubernetes).validateAndPlan(manifests)
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        return DesiredState(source: "apps", revision: "main@sha1:1", commit: "1", author: nil, manifests: manifests, plans: plans)
    }

    static func deployment(_ namespace: String, _ name: String) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: \(name), namespace: \(namespace), labels: { app: \(name) } }
        spec:
          selector: { matchLabels: { app: \(name) } }
          template:
            metadata: { labels: { app: \(name) } }
            spec: { containers: [ { name: app, image: "example/\(name):1" } ] }
        """
    }

    static func canary(_ namespace: String, _ name: String, service: String?) -> String {
        """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: { name: \(name), namespace: \(namespace) }
        spec:
          targetRef: { apiVersion: apps/v1, kind: Deployment, name: \(name) }
          service: { \(service.map { "name: \($0), " } ?? "")port: 80 }
          analysis: { interval: 1m, threshold: 2, maxWeight: 50, stepWeight: 25 }
        """
    }

    static func object(_ apiVersion: String, _ kind: String, _ namespace: String, _ name: String) throws -> KubeObject {
        try KubeObject(json: ["apiVersion": .string(apiVersion), "kind": .string(kind),
                              "metadata": ["name": .string(name), "namespace": .string(namespace)]])
    }

    @Test func theApexServicesOfTheRevisionsCanariesAreReleasedByThePlatform() throws {
        let desired = Self.desired([
            Self.deployment("shop", "web"), Self.canary("shop", "web", service: "web-apex"),
            Self.deployment("shop", "api"), Self.canary("shop", "api", service: nil),
        ].joined(separator: "\n---\n"))
        let released = KubernetesPlatform.ReleasedServices(desired)
        // The Service a Canary names, else its target's name, in the Canary's namespace.
        #expect(released.releases(try Self.object("v1", "Service", "shop", "web-apex")))
        #expect(released.releases(try Self.object("v1", "Service", "shop", "api")))
        #expect(!released.releases(try Self.object("v1", "Service", "shop", "web")), "the target's name when the Canary names another Service")
        #expect(!released.releases(try Self.object("v1", "Service", "other", "web-apex")), "another namespace")
        #expect(!released.releases(try Self.object("v1", "ConfigMap", "shop", "web-apex")), "another kind")
        // Every apps/v1 Deployment and DaemonSet, declared by a Canary or not.
        #expect(released.releases(try Self.object("apps/v1", "Deployment", "shop", "anything")))
        #expect(released.releases(try Self.object("apps/v1", "DaemonSet", "shop", "anything")))
    }

    @Test func everyDeploymentOfTheRevisionIsLabelledWithItsSourceAndTheCanariesStayIndexed() throws {
        let names = (0..<50).map { "web\($0)" }
        let desired = Self.desired(names.flatMap { [Self.deployment("shop", $0), Self.canary("shop", $0, service: nil)] }
            .joined(separator: "\n---\n"))
        let labelled = ClusterTarget.labelled(desired)
        let deployments = labelled.manifests.plain.filter { $0.kind == "Deployment" }
        #expect(deployments.count == names.count)
        for deployment in deployments {
            #expect(deployment.spec["metadata"]?["labels"]?["serin.dev/source"]?.stringValue == "apps", "\(deployment.name)")
            #expect(deployment.spec["metadata"]?["labels"]?["app"]?.stringValue == deployment.name, "its own labels kept")
        }
        // The Canaries are found by their targets in the labelled revision as in the original.
        for name in names {
            let found = labelled.canary(for: WorkloadID(namespace: "shop", name: name), kinds: ["Deployment"])
            #expect(found?.canary.name == name)
        }
        #expect(labelled.manifests.canaries.count == desired.manifests.canaries.count)
    }
}
