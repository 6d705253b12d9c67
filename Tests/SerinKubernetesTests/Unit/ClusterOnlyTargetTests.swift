import Foundation
import SerinEngine
import SerinSpec
import Testing

@testable import SerinKubernetes

/// A Canary's target only the cluster declares (another tool made it):
/// which of the cluster's reports of it are a change outside Git, for the
/// sources' revisions to be applied again. No cluster: the platform's
/// informers never run, the reports are handed to `observed` as the
/// Deployment informer hands them.
@Suite struct ClusterOnlyTargetTests {
    typealias Objects = FlaggerObjectsTests

    static let workload = Objects.workload
    /// A second target only the cluster declares, whose change ends a test's reports.
    static let other = WorkloadID(namespace: "apps", name: "api")

    /// podinfo as another tool applies it, reading a Secret Serin tracks.
    static func target(version: String) -> JSONValue {
        let container: JSONValue = [
            "name": "podinfod", "image": "podinfo:6",
            "env": [["name": "APP_VERSION", "value": .string(version)],
                    ["name": "PODINFO_SECRET_VALUE", "valueFrom": ["secretKeyRef": ["name": "podinfo-secret", "key": "value"]]]],
        ]
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "apps"],
                "spec": ["selector": ["matchLabels": ["app": "web"]],
                         "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [container]]]]]
    }

    /// The revision `revisions(in:)` reads from the cluster: not declared,
    /// its Secret tracked (the Secret's checksum is part of its id).
    static func released(version: String, of workload: WorkloadID = workload) throws -> KubernetesRevision {
        let target = target(version: version)
        let routing = try Objects.revision(target, service: Objects.service("port: 80")).routing
        var configs = ConfigReferences(template: target["spec"]?["template"] ?? .null)
        configs.track(.secret, "podinfo-secret", data: ["value": "czNjcjN0"])
        return KubernetesRevision(workload: workload, origin: Objects.origin, target: target, declared: false, routing: routing, configs: configs)
    }

    /// The Deployment as the informer reports it: `replicas`, `serves` and
    /// Serin's annotation change at every step of a release.
    static func report(_ platform: KubernetesPlatform, version: String, serves: Bool, scaledToZero: Bool = false, of workload: WorkloadID = workload) {
        var template = target(version: version)["spec"]?["template"] ?? .null
        if scaledToZero {
            template["spec"]?["nodeSelector"] = [FlaggerObjects.scaleToZeroSelector.0: .string(FlaggerObjects.scaleToZeroSelector.1)]
        }
        let metadata = ObjectMeta(name: workload.name, namespace: workload.namespace, annotations: [FlaggerObjects.revisionAnnotation: "r1"])
        platform.observed(metadata, kind: .deployment, template: template, deleted: false, serves: serves)
    }

    /// A platform whose client is never used (nothing listens on port 1); `body`'s, then shut down.
    static func withPlatform(_ body: (KubernetesPlatform) async throws -> Void) async throws {
        let client = try KubeClient(config: KubeConfig(server: "http://127.0.0.1:1"))
        do {
            try await body(KubernetesPlatform(client: client))
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test(.timeLimit(.minutes(1)))
    func onlyAChangeOfItsTemplateIsAChangeOutsideGit() async throws {
        try await Self.withPlatform { platform in
            let released = try Self.released(version: "6.0.0")
            #expect(released.id != released.templateIdentity, "the id holds the Secret's checksum, the template's identity does not")
            platform.followExternalTargets([released, try Self.released(version: "1.0.0", of: Self.other)], of: [Self.workload, Self.other])
            var changes = platform.changesOutsideGit().makeAsyncIterator()
            // What each step of a release reports of the unchanged template: nothing outside Git.
            Self.report(platform, version: "6.0.0", serves: false)
            Self.report(platform, version: "6.0.0", serves: true)
            Self.report(platform, version: "6.0.0", serves: false, scaledToZero: true)
            // The other tool's new version, then the other target's: the two
            // changes outside Git reported (were the reports above changes
            // too, the second would be web's as well).
            Self.report(platform, version: "6.0.1", serves: false)
            Self.report(platform, version: "1.0.1", serves: false, of: Self.other)
            let first = await changes.next(), second = await changes.next()
            #expect(first == "Deployment \(Self.workload) changed in the cluster")
            #expect(second == "Deployment \(Self.other) changed in the cluster")
        }
    }

    @Test func aTargetGitDeclaresIsNotFollowed() async throws {
        try await Self.withPlatform { platform in
            platform.followExternalTargets([try Self.released(version: "6.0.0")], of: [Self.workload])
            #expect(platform.state.withLock { $0.external[Self.workload] } != nil)
            // The next desired state declares the target in Git.
            var declared = try Self.released(version: "6.0.0")
            declared.declared = true
            platform.followExternalTargets([declared], of: [Self.workload])
            #expect(platform.state.withLock { $0.external[Self.workload] } == nil)
        }
    }
}
