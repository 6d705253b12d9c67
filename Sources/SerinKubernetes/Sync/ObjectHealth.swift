import SerinSpec

/// Whether an object the cluster holds has become what it was asked to be,
/// by kstatus' rules (`sigs.k8s.io/cli-utils/pkg/kstatus/status`, as Flux's
/// `wait` and `healthChecks` use them): Deployments, StatefulSets,
/// DaemonSets and ReplicaSets rolled out, Jobs complete, PVCs bound, CRDs
/// established, Services of type LoadBalancer given an address, and any
/// other object with a `Ready` condition ready; an object with nothing to
/// wait for is current. Pure: the object in, the verdict out.
public enum ObjectHealth: Sendable, Equatable, CustomStringConvertible {
    case current
    /// Not there yet; `reason` CamelCase (`Progressing`, `NotReady`), `message` for people.
    case inProgress(reason: String, message: String)
    /// Will not get there without a change: `ProgressDeadlineExceeded`, `JobFailed`, `Stalled`.
    case failed(reason: String, message: String)

    public var isCurrent: Bool { self == .current }

    public var description: String {
        switch self {
        case .current: "Current"
        case .inProgress(let reason, let message), .failed(let reason, let message): "\(reason): \(message)"
        }
    }

    /// The verdict on `object` (apiVersion, kind, metadata, spec, status).
    public static func of(_ object: JSONValue) -> ObjectHealth {
        let metadata = object["metadata"] ?? .null
        if metadata["deletionTimestamp"]?.stringValue != nil { return .inProgress(reason: "Terminating", message: "being deleted") }
        let status = object["status"] ?? .null
        let generation = metadata["generation"]?.intValue
        if let generation, let observed = status["observedGeneration"]?.intValue, observed < generation {
            return .inProgress(reason: "Progressing", message: "generation \(generation) not observed yet (at \(observed))")
        }
        let conditions = status["conditions"]?.arrayValue ?? []
        func condition(_ type: String) -> JSONValue? { conditions.first { $0["type"]?.stringValue == type } }
        func isTrue(_ type: String) -> Bool { condition(type)?["status"]?.stringValue == "True" }
        if isTrue("Stalled") {
            return .failed(reason: condition("Stalled")?["reason"]?.stringValue ?? "Stalled", message: condition("Stalled")?["message"]?.stringValue ?? "stalled")
        }
        if isTrue("Reconciling") {
            return .inProgress(reason: condition("Reconciling")?["reason"]?.stringValue ?? "Reconciling",
                               message: condition("Reconciling")?["message"]?.stringValue ?? "reconciling")
        }
        let group = ResourceKind.split(apiVersion: object["apiVersion"]?.stringValue ?? "").group
        switch (group, object["kind"]?.stringValue ?? "") {
        case ("apps", "Deployment"): return deployment(object, status, generation: generation, condition: condition)
        case ("apps", "StatefulSet"): return statefulSet(object, status, generation: generation)
        case ("apps", "DaemonSet"): return daemonSet(status, generation: generation)
        case ("apps", "ReplicaSet"): return replicaSet(object, status, generation: generation)
        case ("batch", "Job"): return job(condition: condition)
        case ("", "PersistentVolumeClaim"):
            let phase = status["phase"]?.stringValue ?? "Pending"
            return phase == "Bound" ? .current : .inProgress(reason: "NotBound", message: "phase \(phase), not Bound")
        case ("", "Service"):
            guard object["spec"]?["type"]?.stringValue == "LoadBalancer" else { return .current }
            let ingress = status["loadBalancer"]?["ingress"]?.arrayValue ?? []
            return ingress.isEmpty ? .inProgress(reason: "NoAddress", message: "no load balancer address yet") : .current
        case ("", "Pod"): return pod(status, condition: condition)
        case ("apiextensions.k8s.io", "CustomResourceDefinition"):
            if condition("NamesAccepted")?["status"]?.stringValue == "False" {
                return .failed(reason: "NamesNotAccepted", message: condition("NamesAccepted")?["message"]?.stringValue ?? "names not accepted")
            }
            return isTrue("Established") ? .current : .inProgress(reason: "NotEstablished", message: "not established yet")
        default:
            // Any other kind: its Ready condition, when it has one.
            guard let ready = condition("Ready") else { return .current }
            if ready["status"]?.stringValue == "True" { return .current }
            return .inProgress(reason: ready["reason"]?.stringValue ?? "NotReady", message: ready["message"]?.stringValue ?? "Ready is not True")
        }
    }

    private static func count(_ value: JSONValue?) -> Int64 { value?.intValue ?? 0 }

    private static func deployment(_ object: JSONValue, _ status: JSONValue, generation: Int64?,
                                   condition: (String) -> JSONValue?) -> ObjectHealth {
        if let progressing = condition("Progressing"), progressing["reason"]?.stringValue == "ProgressDeadlineExceeded" {
            return .failed(reason: "ProgressDeadlineExceeded", message: progressing["message"]?.stringValue ?? "progress deadline exceeded")
        }
        if generation != nil, status["observedGeneration"] == nil {
            return .inProgress(reason: "Progressing", message: "not observed by its controller yet")
        }
        let wanted = object["spec"]?["replicas"]?.intValue ?? 1
        let updated = count(status["updatedReplicas"]), available = count(status["availableReplicas"]), ready = count(status["readyReplicas"])
        let total = count(status["replicas"])
        if updated < wanted { return .inProgress(reason: "Progressing", message: "updated replicas \(updated)/\(wanted)") }
        if total > updated { return .inProgress(reason: "Progressing", message: "\(total - updated) old replica(s) pending termination") }
        if available < wanted { return .inProgress(reason: "Progressing", message: "available replicas \(available)/\(wanted)") }
        if ready < wanted { return .inProgress(reason: "Progressing", message: "ready replicas \(ready)/\(wanted)") }
        return .current
    }

    private static func statefulSet(_ object: JSONValue, _ status: JSONValue, generation: Int64?) -> ObjectHealth {
        if generation != nil, status["observedGeneration"] == nil { return .inProgress(reason: "Progressing", message: "not observed yet") }
        let wanted = object["spec"]?["replicas"]?.intValue ?? 1
        let ready = count(status["readyReplicas"]), current = count(status["currentReplicas"])
        if ready < wanted { return .inProgress(reason: "Progressing", message: "ready replicas \(ready)/\(wanted)") }
        if object["spec"]?["updateStrategy"]?["type"]?.stringValue == "OnDelete" { return .current }
        let partition = object["spec"]?["updateStrategy"]?["rollingUpdate"]?["partition"]?.intValue ?? 0
        if partition > 0 {
            let updated = count(status["updatedReplicas"])
            return updated < wanted - partition
                ? .inProgress(reason: "Progressing", message: "updated replicas \(updated)/\(wanted - partition) (partition \(partition))") : .current
        }
        if current < wanted { return .inProgress(reason: "Progressing", message: "current replicas \(current)/\(wanted)") }
        if let update = status["updateRevision"]?.stringValue, update != status["currentRevision"]?.stringValue {
            return .inProgress(reason: "Progressing", message: "rolling out revision \(update)")
        }
        return .current
    }

    private static func daemonSet(_ status: JSONValue, generation: Int64?) -> ObjectHealth {
        if generation != nil, status["observedGeneration"] == nil { return .inProgress(reason: "Progressing", message: "not observed yet") }
        let wanted = count(status["desiredNumberScheduled"])
        let scheduled = count(status["currentNumberScheduled"]), updated = count(status["updatedNumberScheduled"])
        let available = count(status["numberAvailable"]), ready = count(status["numberReady"])
        if scheduled < wanted { return .inProgress(reason: "Progressing", message: "scheduled \(scheduled)/\(wanted)") }
        if updated < wanted { return .inProgress(reason: "Progressing", message: "updated \(updated)/\(wanted)") }
        if available < wanted { return .inProgress(reason: "Progressing", message: "available \(available)/\(wanted)") }
        if ready < wanted { return .inProgress(reason: "Progressing", message: "ready \(ready)/\(wanted)") }
        return .current
    }

    private static func replicaSet(_ object: JSONValue, _ status: JSONValue, generation: Int64?) -> ObjectHealth {
        if generation != nil, status["observedGeneration"] == nil { return .inProgress(reason: "Progressing", message: "not observed yet") }
        let wanted = object["spec"]?["replicas"]?.intValue ?? 1
        let available = count(status["availableReplicas"]), ready = count(status["readyReplicas"])
        if ready < wanted { return .inProgress(reason: "Progressing", message: "ready replicas \(ready)/\(wanted)") }
        if available < wanted { return .inProgress(reason: "Progressing", message: "available replicas \(available)/\(wanted)") }
        return .current
    }

    private static func job(condition: (String) -> JSONValue?) -> ObjectHealth {
        if condition("Failed")?["status"]?.stringValue == "True" {
            return .failed(reason: condition("Failed")?["reason"]?.stringValue ?? "JobFailed", message: condition("Failed")?["message"]?.stringValue ?? "the Job failed")
        }
        if condition("Complete")?["status"]?.stringValue == "True" { return .current }
        return .inProgress(reason: "Progressing", message: "not complete yet")
    }

    private static func pod(_ status: JSONValue, condition: (String) -> JSONValue?) -> ObjectHealth {
        switch status["phase"]?.stringValue {
        case "Succeeded": return .current
        case "Failed": return .failed(reason: "PodFailed", message: status["message"]?.stringValue ?? "the pod failed")
        case "Running":
            return condition("Ready")?["status"]?.stringValue == "True" ? .current : .inProgress(reason: "NotReady", message: "running, not ready")
        case let phase: return .inProgress(reason: "Pending", message: "phase \(phase ?? "Pending")")
        }
    }
}
