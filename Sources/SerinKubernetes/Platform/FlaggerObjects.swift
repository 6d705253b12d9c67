import Foundation
import SerinEngine
import SerinSpec

/// The objects Flagger makes for a Canary (fluxcd/flagger
/// `pkg/canary/deployment_controller.go`, `daemonset_controller.go`,
/// `pkg/router/kubernetes_default.go`), built as server-side apply bodies,
/// named and labelled as Flagger names and labels them, so that a cluster
/// Flagger ran is taken over without a change: `<target>-primary` whose
/// selector is the one label Flagger picks, suffixed `-primary`; Services
/// `<svc>` (apex, on the primary), `<svc>-primary` and `<svc>-canary`.
/// Routes are in `FlaggerObjects+Routes.swift`, autoscalers in
/// `FlaggerObjects+Autoscalers.swift`.
enum FlaggerObjects {
    static let revisionAnnotation = "serin.dev/revision"
    /// On a target another tool owns: Serin only scales it, and never deletes it.
    static let notOwnedAnnotation = "serin.dev/not-owned"
    /// Flagger's `-selector-labels` default: the first of these the
    /// target's `matchLabels` holds is the one suffixed `-primary`.
    static let defaultSelectorLabels = ["app", "name", "app.kubernetes.io/name"]
    /// Flux's markers: keys holding it are never copied (Flagger's `filterMetadata`).
    static let toolkitMarker = "toolkit.fluxcd.io"
    /// What Flagger writes on every Service and route it makes, so that
    /// Flux (and Serin's own Git sync) leave them to the rollout.
    static let toolkitAnnotations: [String: JSONValue] = [
        "kustomize.toolkit.fluxcd.io/reconcile": "disabled", "helm.toolkit.fluxcd.io/driftDetection": "disabled",
    ]
    /// Flagger's daemonset controller scales a DaemonSet to zero by giving
    /// its pods a node selector no node has.
    static let scaleToZeroSelector = ("flagger.app/scale-to-zero", "true")
    /// The Canary's finalizer when `revertOnDeletion` is set (Flagger's name).
    static let finalizer = "finalizer.flagger.app"

    static func primaryName(_ name: String) -> String { name + "-primary" }

    static func metadata(_ name: String, _ namespace: String, labels: [String: JSONValue] = [:], annotations: [String: JSONValue] = [:],
                         owner: JSONValue? = nil) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty { metadata["labels"] = .object(labels) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        if let owner { metadata["ownerReferences"] = [owner] }
        return .object(metadata)
    }

    /// A controller reference to the Canary, as Flagger's `NewControllerRef`.
    static func owner(canary: String, uid: String) -> JSONValue {
        ["apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": .string(canary), "uid": .string(uid),
         "controller": true, "blockOwnerDeletion": true]
    }

    // MARK: - Selector labels

    /// The label Flagger selects the target's pods by, and its value.
    static func selectorLabel(of target: JSONValue, labels: [String] = defaultSelectorLabels) -> (label: String, value: String)? {
        let matchLabels = target["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
        for label in labels {
            if let value = matchLabels[label]?.stringValue { return (label, value) }
        }
        return nil
    }

    /// Flagger's `makePrimaryLabels`: the labels without Flux's markers,
    /// with the selector label set to `value`.
    static func primaryLabels(_ labels: [String: JSONValue], _ label: String, _ value: String) -> [String: JSONValue] {
        var result = labels.filter { !$0.key.contains(toolkitMarker) }
        result[label] = .string(value)
        return result
    }

    /// Metadata copied from the target: not Flux's, not Serin's Git source
    /// label, not what controllers and kubectl write on the original.
    static func copied(_ values: [String: JSONValue]?) -> [String: JSONValue] {
        let skipped: Set<String> = [ClusterSync.sourceLabel, "kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision",
                                    "deprecated.daemonset.template.generation", revisionAnnotation, notOwnedAnnotation]
        return (values ?? [:]).filter { !$0.key.contains(toolkitMarker) && !skipped.contains($0.key) }
    }

    // MARK: - The target

    /// The target as Git declares it, without its replicas (the rollout
    /// owns them) and with the revision it runs.
    static func target(_ revision: KubernetesRevision) -> JSONValue {
        var target = revision.target
        target["status"] = nil
        if revision.kind == .deployment, case .object(var spec)? = target["spec"] {
            spec["replicas"] = nil
            target["spec"] = .object(spec)
        }
        var metadata = target["metadata"]?.objectValue ?? [:]
        for key in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"] { metadata[key] = nil }
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        annotations[revisionAnnotation] = .string(revision.id)
        metadata["annotations"] = .object(annotations)
        metadata["namespace"] = .string(revision.workload.namespace)
        target["metadata"] = .object(metadata)
        return target
    }

    /// Only the revision annotation, for a target Git does not declare: its
    /// spec stays its owner's.
    static func targetRevision(_ revision: KubernetesRevision) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": .string(revision.kind.rawValue),
         "metadata": metadata(revision.name, revision.workload.namespace,
                              annotations: [revisionAnnotation: .string(revision.id), notOwnedAnnotation: "true"])]
    }

    /// Only the replicas of a Deployment, for the rollout's own field manager.
    static func replicas(_ workload: WorkloadID, _ count: Int64) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(workload.name, workload.namespace),
         "spec": ["replicas": .int(count)]]
    }

    /// A DaemonSet "scaled" as Flagger's daemonset controller does: to zero
    /// with a node selector no node has, up without it. For the rollout's
    /// own field manager, which owns only that key.
    static func daemonSetScale(_ workload: WorkloadID, zero: Bool) -> JSONValue {
        let selector: JSONValue = zero ? [scaleToZeroSelector.0: .string(scaleToZeroSelector.1)] : [:]
        return ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata(workload.name, workload.namespace),
                "spec": ["template": ["spec": ["nodeSelector": selector]]]]
    }

    /// The pod template as declared, without the scale-to-zero node selector.
    static func unscaled(_ template: JSONValue) -> JSONValue {
        var template = template
        if case .object(var selector)? = template["spec"]?["nodeSelector"] {
            selector[scaleToZeroSelector.0] = nil
            template["spec"]?["nodeSelector"] = selector.isEmpty ? nil : .object(selector)
        }
        return template
    }

    // MARK: - The primary

    /// `<target>-primary` running `revision`'s pod template, with Flagger's
    /// selector, labels, annotations and spec fields; `replicas` nil for an
    /// autoscaled primary (the autoscaler's) or a DaemonSet.
    static func primary(_ revision: KubernetesRevision, _ routing: CanaryRouting, replicas: Int64?, owner: JSONValue?) -> JSONValue {
        let label = routing.selectorLabel, value = routing.primarySelectorValue
        let source = revision.target
        var template = revision.configs.renamed(in: unscaled(revision.template))
        var templateMetadata = template["metadata"]?.objectValue ?? [:]
        templateMetadata["labels"] = .object(primaryLabels(templateMetadata["labels"]?.objectValue ?? [:], label, value))
        let podAnnotations = (templateMetadata["annotations"]?.objectValue ?? [:]).filter { !$0.key.contains(toolkitMarker) }
        templateMetadata["annotations"] = podAnnotations.isEmpty ? nil : .object(podAnnotations)
        template["metadata"] = .object(templateMetadata)
        template["spec"] = rewriteSelectors(template["spec"] ?? .null, target: revision.name)
        var spec: [String: JSONValue] = ["selector": ["matchLabels": [label: .string(value)]], "template": template]
        let fields = revision.kind == .deployment ? ["progressDeadlineSeconds", "minReadySeconds", "revisionHistoryLimit", "strategy"]
                                                  : ["minReadySeconds", "revisionHistoryLimit", "updateStrategy"]
        for field in fields { spec[field] = source["spec"]?[field] }
        if revision.kind == .deployment, let replicas { spec["replicas"] = .int(replicas) }
        var annotations = copied(source["metadata"]?["annotations"]?.objectValue)
        annotations[revisionAnnotation] = .string(revision.id)
        let labels = primaryLabels(copied(source["metadata"]?["labels"]?.objectValue), label, value)
        return ["apiVersion": "apps/v1", "kind": .string(revision.kind.rawValue),
                "metadata": metadata(primaryName(revision.name), revision.workload.namespace, labels: labels, annotations: annotations, owner: owner),
                "spec": .object(spec.filter { $0.value != .null })]
    }

    /// Flagger's `appendPrimarySuffixToValuesIfNeeded`: pod anti-affinity
    /// and topology spread selectors naming the target (a selector label
    /// whose value is the target's name) name its primary instead.
    static func rewriteSelectors(_ podSpec: JSONValue, target: String, labels: [String] = defaultSelectorLabels) -> JSONValue {
        func rewrite(_ selector: JSONValue) -> JSONValue {
            guard case .object(var members) = selector else { return selector }
            if case .object(var matchLabels)? = members["matchLabels"] {
                for key in labels where matchLabels[key]?.stringValue == target { matchLabels[key] = .string(primaryName(target)) }
                members["matchLabels"] = .object(matchLabels)
            }
            if case .array(let expressions)? = members["matchExpressions"] {
                members["matchExpressions"] = .array(expressions.map { expression in
                    guard let key = expression["key"]?.stringValue, labels.contains(key), case .array(var values)? = expression["values"],
                          let index = values.firstIndex(of: .string(target)) else { return expression }
                    values[index] = .string(primaryName(target))
                    var rewritten = expression
                    rewritten["values"] = .array(values)
                    return rewritten
                })
            }
            return .object(members)
        }
        var spec = podSpec
        if case .array(let constraints)? = spec["topologySpreadConstraints"] {
            spec["topologySpreadConstraints"] = .array(constraints.map { constraint in
                var constraint = constraint
                if let selector = constraint["labelSelector"] { constraint["labelSelector"] = rewrite(selector) }
                return constraint
            })
        }
        if case .object? = spec["affinity"]?["podAntiAffinity"] {
            var anti = spec["affinity"]!["podAntiAffinity"]!
            if case .array(let terms)? = anti["preferredDuringSchedulingIgnoredDuringExecution"] {
                anti["preferredDuringSchedulingIgnoredDuringExecution"] = .array(terms.map { term in
                    var term = term
                    if let selector = term["podAffinityTerm"]?["labelSelector"] { term["podAffinityTerm"]?["labelSelector"] = rewrite(selector) }
                    return term
                })
            }
            if case .array(let terms)? = anti["requiredDuringSchedulingIgnoredDuringExecution"] {
                anti["requiredDuringSchedulingIgnoredDuringExecution"] = .array(terms.map { term in
                    var term = term
                    if let selector = term["labelSelector"] { term["labelSelector"] = rewrite(selector) }
                    return term
                })
            }
            spec["affinity"]?["podAntiAffinity"] = anti
        }
        return spec
    }

    // MARK: - Services

    /// Flagger's `getPorts`: every container port of the target but the
    /// service's own (by number or name) and a mesh proxy's, named as in
    /// the template (`tcp-<container>-<index>` when unnamed).
    static func discoveredPorts(_ template: JSONValue, service: CanaryService) -> [CanaryRouting.NamedPort] {
        var ports: [String: Int64] = [:]
        for container in template["spec"]?["containers"]?.arrayValue ?? [] {
            let name = container["name"]?.stringValue ?? ""
            if name == "istio-proxy" || name == "envoy" { continue }
            for (index, port) in (container["ports"]?.arrayValue ?? []).enumerated() {
                guard let number = port["containerPort"]?.intValue else { continue }
                let portName = port["name"]?.stringValue
                switch service.targetPort {
                case nil where number == Int64(service.port ?? 0): continue
                case .int(let target)? where number == Int64(target): continue
                case .string(let target)? where portName == target: continue
                default: break
                }
                ports[portName ?? "tcp-\(name)-\(index)"] = number
            }
        }
        return ports.map { CanaryRouting.NamedPort(name: $0.key, port: $0.value) }.sorted { $0.name < $1.name }
    }

    enum ServiceRole { case apex, primary, canary }

    /// A Service as Flagger's kubernetes router writes it: one port (the
    /// Canary's) and the discovered ones, the pod selector, the custom
    /// metadata of its role, Flux's markers, and the owner reference.
    /// `declared`: the apex Service Git declares, whose metadata and other
    /// fields stay as written (Flagger only sets its selector and ports).
    static func service(_ role: ServiceRole, _ routing: CanaryRouting, namespace: String, selector: String, owner: JSONValue?,
                        declared: JSONValue? = nil) -> JSONValue {
        let name: String, custom: CustomMetadata?
        switch role {
        case .apex: (name, custom) = (routing.service, routing.spec.apex)
        case .primary: (name, custom) = (routing.service + "-primary", routing.spec.primary)
        case .canary: (name, custom) = (routing.service + "-canary", routing.spec.canary)
        }
        var port: [String: JSONValue] = ["name": .string(routing.spec.portName ?? "http"), "protocol": "TCP", "port": .int(routing.port),
                                         "targetPort": routing.targetPort]
        if let appProtocol = routing.spec.appProtocol { port["appProtocol"] = .string(appProtocol) }
        var ports: [JSONValue] = [.object(port)]
        for extra in routing.discoveredPorts {
            ports.append(["name": .string(extra.name), "protocol": "TCP", "port": .int(extra.port), "targetPort": .int(extra.port)])
        }
        var spec: [String: JSONValue] = ["selector": [routing.selectorLabel: .string(selector)], "ports": .array(ports)]
        if let declared {
            var whole = declared
            whole["status"] = nil
            whole["spec"]?["selector"] = spec["selector"]
            whole["spec"]?["ports"] = spec["ports"]
            // Flagger marks a Service it took over so that Flux leaves it alone.
            var annotations = whole["metadata"]?["annotations"]?.objectValue ?? [:]
            annotations.merge(toolkitAnnotations) { _, marker in marker }
            whole["metadata"]?["annotations"] = .object(annotations)
            return whole
        }
        spec["type"] = "ClusterIP"
        if routing.spec.headless == true { spec["clusterIP"] = "None" }
        if let distribution = routing.spec.trafficDistribution { spec["trafficDistribution"] = .string(distribution) }
        let unmanagedLabels = Set(routing.spec.unmanagedMetadata?.labels ?? [])
        let unmanagedAnnotations = Set(routing.spec.unmanagedMetadata?.annotations ?? [])
        var labels = (custom?.labels ?? [:]).mapValues { JSONValue.string($0) }
        labels[routing.selectorLabel] = .string(name)
        var annotations = (custom?.annotations ?? [:]).mapValues { JSONValue.string($0) }
        annotations.merge(toolkitAnnotations) { _, marker in marker }
        return ["apiVersion": "v1", "kind": "Service",
                "metadata": metadata(name, namespace, labels: labels.filter { !unmanagedLabels.contains($0.key) },
                                     annotations: annotations.filter { !unmanagedAnnotations.contains($0.key) }, owner: owner),
                "spec": .object(spec)]
    }

    /// The apex, primary and canary Services.
    static func services(_ routing: CanaryRouting, namespace: String, apexOnCanary: Bool = false, owner: JSONValue?,
                         declaredApex: JSONValue? = nil) -> [JSONValue] {
        let primary = routing.primarySelectorValue, canary = routing.selectorValue
        return [service(.apex, routing, namespace: namespace, selector: apexOnCanary ? canary : primary,
                        owner: declaredApex == nil ? owner : nil, declared: declaredApex),
                service(.primary, routing, namespace: namespace, selector: primary, owner: owner),
                service(.canary, routing, namespace: namespace, selector: canary, owner: owner)]
    }
}
