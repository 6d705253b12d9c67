import Foundation
import SerinSpec

/// The primary's autoscaler, as Flagger's `hpa_reconciler.go` and
/// `scaled_object_reconciler.go` make it.
extension FlaggerObjects {
    /// HorizontalPodAutoscaler versions, newest first: `<hpa>-primary` is
    /// written in the first the cluster serves.
    static let autoscalingVersions = ["autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1"]
    static let kedaVersion = "keda.sh/v1alpha1"
    /// KEDA pauses a ScaledObject at this many replicas (Flagger pauses the target's at 0).
    static let kedaPausedReplicas = "autoscaling.keda.sh/paused-replicas"

    struct AutoscalerError: Error, CustomStringConvertible {
        var description: String
    }

    /// `<hpa>-primary` in `version`: the target's HPA (in whichever version
    /// it was read) scaling `<target>-primary`, with the Canary's
    /// primaryScalerReplicas.
    static func primaryHPA(_ source: JSONValue, reference: AutoscalerReferenceValue, target: String, namespace: String,
                           version: String, owner: JSONValue?) throws -> JSONValue {
        var spec = try hpaSpec(source, in: version)
        spec["scaleTargetRef"]?["name"] = .string(primaryName(target))
        if let min = reference.primaryMinReplicas { spec["minReplicas"] = .int(Int64(min)) }
        if let max = reference.primaryMaxReplicas { spec["maxReplicas"] = .int(Int64(max)) }
        let labels = copied(source["metadata"]?["labels"]?.objectValue)
        return ["apiVersion": .string(version), "kind": "HorizontalPodAutoscaler",
                "metadata": metadata(primaryName(reference.name), namespace, labels: labels, owner: owner),
                "spec": .object(spec)]
    }

    /// An HPA's spec converted to `version`. autoscaling/v2 and v2beta2
    /// have the same spec; v1 knows only a CPU utilization target.
    static func hpaSpec(_ source: JSONValue, in version: String) throws -> [String: JSONValue] {
        let from = source["apiVersion"]?.stringValue ?? "autoscaling/v2"
        var spec = source["spec"]?.objectValue ?? [:]
        switch (from == "autoscaling/v1", version == "autoscaling/v1") {
        case (false, false), (true, true):
            return spec
        case (true, false):
            if let cpu = spec.removeValue(forKey: "targetCPUUtilizationPercentage") {
                spec["metrics"] = [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": cpu]]]]
            }
            return spec
        case (false, true):
            let metrics = spec.removeValue(forKey: "metrics")?.arrayValue ?? []
            spec["behavior"] = nil
            guard metrics.count <= 1 else {
                throw AutoscalerError(description: "the cluster serves HorizontalPodAutoscaler in autoscaling/v1 only, "
                                      + "which cannot say \(metrics.count) metrics; use one CPU utilization target")
            }
            if let metric = metrics.first {
                guard metric["type"]?.stringValue == "Resource", metric["resource"]?["name"]?.stringValue == "cpu",
                      let cpu = metric["resource"]?["target"]?["averageUtilization"] else {
                    throw AutoscalerError(description: "the cluster serves HorizontalPodAutoscaler in autoscaling/v1 only, "
                                          + "which knows a CPU utilization target and nothing else")
                }
                spec["targetCPUUtilizationPercentage"] = cpu
            }
            return spec
        }
    }

    /// `<so>-primary`: the target's ScaledObject scaling `<target>-primary`,
    /// its trigger queries for the primary (primaryScalerQueries by trigger
    /// name, else the target's name replaced by the primary's, as Flagger
    /// does), its HPA named `<name>-primary` when it names one.
    static func primaryScaledObject(_ source: JSONValue, reference: AutoscalerReferenceValue, target: String, namespace: String,
                                    owner: JSONValue?) -> JSONValue {
        var spec = source["spec"]?.objectValue ?? [:]
        spec["scaleTargetRef"]?["name"] = .string(primaryName(target))
        if case .array(let triggers)? = spec["triggers"] {
            spec["triggers"] = .array(triggers.map { trigger in
                var trigger = trigger
                guard case .object(var metadata)? = trigger["metadata"] else { return trigger }
                if let queries = reference.primaryQueries {
                    if let name = trigger["name"]?.stringValue, let query = queries[name] { metadata["query"] = .string(query) }
                } else if let query = metadata["query"]?.stringValue {
                    metadata["query"] = .string(primaryQuery(query, target: target))
                }
                trigger["metadata"] = .object(metadata)
                return trigger
            })
        }
        if let name = spec["advanced"]?["horizontalPodAutoscalerConfig"]?["name"]?.stringValue, !name.isEmpty {
            spec["advanced"]?["horizontalPodAutoscalerConfig"]?["name"] = .string(primaryName(name))
        }
        if let min = reference.primaryMinReplicas { spec["minReplicaCount"] = .int(Int64(min)) }
        if let max = reference.primaryMaxReplicas { spec["maxReplicaCount"] = .int(Int64(max)) }
        var annotations = copied(source["metadata"]?["annotations"]?.objectValue)
        annotations[kedaPausedReplicas] = nil
        annotations.merge(toolkitAnnotations) { _, marker in marker }
        var labels = copied(source["metadata"]?["labels"]?.objectValue)
        labels.merge(toolkitAnnotations) { _, marker in marker }
        return ["apiVersion": .string(kedaVersion), "kind": "ScaledObject",
                "metadata": metadata(primaryName(reference.name), namespace, labels: labels, annotations: annotations, owner: owner),
                "spec": .object(spec)]
    }

    /// Flagger's `setPrimaryScaledObjectQueries`: `<target>` and
    /// `<target>-canary` become `<target>-primary`.
    static func primaryQuery(_ query: String, target: String) -> String {
        let placeholder = "\u{1}serin-primary\u{1}"
        return query.replacingOccurrences(of: target + "-canary", with: placeholder)
            .replacingOccurrences(of: target, with: primaryName(target))
            .replacingOccurrences(of: placeholder, with: primaryName(target))
    }

    /// The target's ScaledObject paused (or resumed), for the rollout's field manager.
    static func pausedScaledObject(_ name: String, namespace: String, paused: Bool) -> JSONValue {
        ["apiVersion": .string(kedaVersion), "kind": "ScaledObject",
         "metadata": metadata(name, namespace, annotations: paused ? [kedaPausedReplicas: "0"] : [:])]
    }
}
