import SerinSpec
import Testing

@testable import SerinKubernetes

/// kstatus' rules, kind by kind: the verdict on an object as the apiserver returns it.
@Suite struct ObjectHealthTests {
    static func deployment(replicas: Int64 = 2, generation: Int64 = 3, observed: Int64 = 3, updated: Int64 = 2, available: Int64 = 2,
                           ready: Int64 = 2, total: Int64 = 2, progressing: JSONValue? = nil) -> JSONValue {
        var status: [String: JSONValue] = ["observedGeneration": .int(observed), "updatedReplicas": .int(updated), "availableReplicas": .int(available),
                                           "readyReplicas": .int(ready), "replicas": .int(total)]
        if let progressing { status["conditions"] = [progressing] }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "generation": .int(generation)],
                "spec": ["replicas": .int(replicas)], "status": .object(status)]
    }

    @Test func aDeploymentIsCurrentOnlyOnceEveryReplicaIsUpdatedAndAvailable() {
        #expect(ObjectHealth.of(Self.deployment()) == .current)
        #expect(ObjectHealth.of(Self.deployment(observed: 2)) == .inProgress(reason: "Progressing", message: "generation 3 not observed yet (at 2)"))
        #expect(ObjectHealth.of(Self.deployment(updated: 1)) == .inProgress(reason: "Progressing", message: "updated replicas 1/2"))
        #expect(ObjectHealth.of(Self.deployment(total: 3)) == .inProgress(reason: "Progressing", message: "1 old replica(s) pending termination"))
        #expect(ObjectHealth.of(Self.deployment(available: 0)) == .inProgress(reason: "Progressing", message: "available replicas 0/2"))
        let stuck: JSONValue = ["type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                "message": "ReplicaSet \"web-1\" has timed out progressing."]
        #expect(ObjectHealth.of(Self.deployment(available: 0, progressing: stuck))
            == .failed(reason: "ProgressDeadlineExceeded", message: "ReplicaSet \"web-1\" has timed out progressing."))
    }

    @Test func jobsClaimsDefinitionsAndServicesByTheirOwnRules() {
        let job = { (type: String) -> JSONValue in
            ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "migrate"],
             "status": ["conditions": [["type": .string(type), "status": "True", "message": "BackoffLimitExceeded"]]]]
        }
        #expect(ObjectHealth.of(job("Complete")) == .current)
        #expect(ObjectHealth.of(job("Failed")) == .failed(reason: "JobFailed", message: "BackoffLimitExceeded"))
        #expect(ObjectHealth.of(["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "migrate"]]).isCurrent == false)
        #expect(ObjectHealth.of(["apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": ["phase": "Bound"]]) == .current)
        #expect(ObjectHealth.of(["apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": ["phase": "Pending"]])
            == .inProgress(reason: "NotBound", message: "phase Pending, not Bound"))
        #expect(ObjectHealth.of(["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                                 "status": ["conditions": [["type": "Established", "status": "True"]]]]) == .current)
        #expect(ObjectHealth.of(["apiVersion": "v1", "kind": "Service", "spec": ["type": "ClusterIP"]]) == .current)
        #expect(!ObjectHealth.of(["apiVersion": "v1", "kind": "Service", "spec": ["type": "LoadBalancer"]]).isCurrent)
        #expect(ObjectHealth.of(["apiVersion": "v1", "kind": "ConfigMap", "data": ["a": "b"]]) == .current)
    }

    @Test func aCustomResourceIsJudgedByItsReadyCondition() {
        let resource = { (status: String) -> JSONValue in
            ["apiVersion": "example.com/v1", "kind": "Database", "metadata": ["name": "db", "generation": 2],
             "status": ["observedGeneration": 2, "conditions": [["type": "Ready", "status": .string(status), "reason": "Provisioning", "message": "creating"]]]]
        }
        #expect(ObjectHealth.of(resource("True")) == .current)
        #expect(ObjectHealth.of(resource("False")) == .inProgress(reason: "Provisioning", message: "creating"))
        let stalled: JSONValue = ["apiVersion": "example.com/v1", "kind": "Database",
                                  "status": ["conditions": [["type": "Stalled", "status": "True", "reason": "QuotaExceeded", "message": "no room"]]]]
        #expect(ObjectHealth.of(stalled) == .failed(reason: "QuotaExceeded", message: "no room"))
    }
}

/// What one writer declared, against the object the cluster holds.
@Suite struct DeclaredFieldsTests {
    @Test func theStoredFormOfAWriteIsWhatTheApiserverKeptOfItsFields() {
        let sent: JSONValue = ["spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "app", "resources": ["limits": ["cpu": 1]]]]]]]]
        let answer: JSONValue = ["metadata": ["uid": "x"], "spec": ["replicas": 1, "strategy": ["type": "RollingUpdate"],
                                 "template": ["spec": ["containers": [["name": "app", "image": "a", "resources": ["limits": ["cpu": "1"]]]]]]]]
        let stored = DeclaredFields.projected(answer, onto: sent)
        #expect(stored == ["spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "app", "resources": ["limits": ["cpu": "1"]]]]]]]])
        // Sent as a number, stored as a string: the live object holds the stored form.
        #expect(DeclaredFields.holds(answer, stored))
        #expect(!DeclaredFields.holds(answer, sent))
    }

    @Test func differencesNameTheFieldsWithTheirValues() {
        let declared: JSONValue = ["spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "app", "image": "web:1"]]]]],
                                   "data": ["greeting": "hello"]]
        let live: JSONValue = ["spec": ["replicas": 3, "template": ["spec": ["containers": [["name": "app", "image": "web:2"]]]]]]
        #expect(DeclaredFields.differences(live, declared) == [
            "data: {greeting} → (removed)",
            "spec.replicas: 1 → 3",
            "spec.template.spec.containers[0].image: \"web:1\" → \"web:2\"",
        ])
        #expect(DeclaredFields.differences(live, ["status": ["x": 1], "spec": ["replicas": 3]]).isEmpty)
    }
}

@Suite struct UnifiedDiffTests {
    @Test func changesComeWithThreeLinesOfContextAndFarApartHunksApart() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        var lines = (1...20).map { "line \($0)" }
        lines[1] = "line two"
        lines[17] = "line eighteen"
        let new = lines.joined(separator: "\n") + "\n"
        let diff = UnifiedDiff.make(from: old, to: new, oldName: "a", newName: "b")
        #expect(diff == """
            --- a
            +++ b
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +line two
             line 3
             line 4
             line 5
            @@ -15,6 +15,6 @@
             line 15
             line 16
             line 17
            -line 18
            +line eighteen
             line 19
             line 20

            """)
        #expect(UnifiedDiff.make(from: old, to: old, oldName: "a", newName: "b").isEmpty)
        #expect(UnifiedDiff.make(from: "", to: "a: 1\n", oldName: "/dev/null", newName: "b") == "--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+a: 1\n")
    }
}
