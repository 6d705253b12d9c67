import Foundation
import Testing

@testable import SerinKubernetes
import SerinSpec

extension ClusterTests {
    /// Flagger's Canary CRD, a Canary, and its status written through `/status`.
    @Suite struct CanaryTests {
        static func installCRD(_ client: KubeClient) async throws {
            try await KubeTestCluster.installCRD(client, fixture: "canary-crd.yaml")
        }

        @Test func statusThroughTheSubresource() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                try await Self.installCRD(client)
                #expect(try await client.resourceKind(apiVersion: "flagger.app/v1beta1", kind: "Canary") == Canary.resourceKind)

                let canaries = client.resources(Canary.self)
                let spec: JSONValue = [
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                    "service": ["port": 80],
                    "analysis": ["interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10],
                ]
                let created = try await canaries.create(Canary(metadata: ObjectMeta(name: "web", namespace: namespace), spec: spec))
                #expect(created.spec == spec)
                #expect(created.status == nil)

                // A status in a write to the main resource is ignored.
                var withStatus = created
                withStatus.status = Canary.Status(phase: "Failed")
                let ignored = try await canaries.update(withStatus)
                #expect(ignored.status == nil)

                var progressing = ignored
                progressing.status = Canary.Status(
                    phase: "Progressing", canaryWeight: 10, failedChecks: 0, iterations: 0,
                    lastAppliedSpec: "5978589476", lastPromotedSpec: "5978589475", lastTransitionTime: "2026-12-02T10:00:00Z",
                    conditions: [KubeCondition(type: "Promoted", status: "Unknown", reason: "Progressing",
                                               message: "New revision detected, progressing canary analysis.",
                                               lastTransitionTime: "2026-12-02T10:00:00Z", lastUpdateTime: "2026-12-02T10:00:00Z")])
                let written = try await canaries.updateStatus(progressing)
                #expect(written.status == progressing.status)
                #expect(written.spec == spec)
                #expect(written.metadata.generation == created.metadata.generation)  // a status write is not a new generation

                let read = try await canaries.getStatus("web", namespace: namespace)
                #expect(read.status?.phase == "Progressing")
                #expect(read.status?.canaryWeight == 10)

                // Serin's field manager applies the next status, as Flagger's controller writes it.
                let applied = try await canaries.applyStatus(
                    Canary(metadata: ObjectMeta(name: "web", namespace: namespace),
                           status: Canary.Status(phase: "Succeeded", canaryWeight: 0, failedChecks: 0, iterations: 0,
                                                 lastAppliedSpec: "5978589476", lastPromotedSpec: "5978589476",
                                                 lastTransitionTime: "2026-12-02T10:05:00Z",
                                                 conditions: [KubeCondition(type: "Promoted", status: "True", reason: "Succeeded",
                                                                            message: "Canary analysis completed successfully, promotion finished.")])),
                    fieldManager: "serin", force: true)
                #expect(applied.status?.phase == "Succeeded")
                #expect(applied.status?.lastPromotedSpec == "5978589476")
                #expect(applied.spec == spec)

                // Flagger's status schema still applies.
                var bogus = applied
                bogus.status?.phase = "Sideways"
                let invalid = await #expect(throws: KubeError.self) { try await canaries.updateStatus(bogus) }
                #expect(invalid?.isInvalid == true, "\(String(describing: invalid))")
                #expect(invalid?.message.contains("Sideways") == true)
            }
        }
    }
}
