import Foundation
import SerinEngine
import SerinSpec

/// The objects Flagger makes for a Canary that targets a Deployment
/// (fluxcd/flagger `pkg/canary/deployment_controller.go`,
/// `pkg/router/kubernetes_default.go`, `pkg/router/gateway_api*.go`), built
/// as server-side apply bodies: `<target>-primary` with its selector and pod
/// labels suffixed `-primary`; Services `<svc>` (apex, on the primary),
/// `<svc>-primary` and `<svc>-canary`; an HTTPRoute `<svc>` whose backends
/// carry the weights.
enum FlaggerObjects {
    static let revisionAnnotation = "serin.dev/revision"

    static func primaryName(_ name: String) -> String { name + "-primary" }

    /// The target's selector labels, as the canary side selects them.
    static func selector(_ deployment: JSONValue) -> [String: JSONValue] {
        deployment["spec"]?["selector"]?["matchLabels"]?.objectValue ?? ["app": .string(deployment["metadata"]?["name"]?.stringValue ?? "")]
    }

    /// The same labels with every value suffixed `-primary`.
    static func primarySelector(_ deployment: JSONValue) -> [String: JSONValue] {
        selector(deployment).mapValues { .string(($0.stringValue ?? "") + "-primary") }
    }

    static func metadata(_ name: String, _ namespace: String, annotations: [String: JSONValue] = [:]) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        return .object(metadata)
    }

    /// The target Deployment as Git declares it, without its replicas (the
    /// rollout owns them) and with the revision it runs.
    static func target(_ revision: KubernetesRevision) -> JSONValue {
        var deployment = revision.deployment
        deployment["status"] = nil
        if case .object(var spec)? = deployment["spec"] {
            spec["replicas"] = nil
            deployment["spec"] = .object(spec)
        }
        var metadata = deployment["metadata"]?.objectValue ?? [:]
        for key in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields"] { metadata[key] = nil }
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        annotations[revisionAnnotation] = .string(revision.id)
        metadata["annotations"] = .object(annotations)
        metadata["namespace"] = .string(revision.workload.namespace)
        deployment["metadata"] = .object(metadata)
        return deployment
    }

    /// Only the replicas, for the rollout's own field manager.
    static func replicas(_ workload: WorkloadID, _ count: Int64) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(workload.name, workload.namespace),
         "spec": ["replicas": .int(count)]]
    }

    /// `<target>-primary` running `revision`'s pod template.
    static func primary(_ revision: KubernetesRevision) -> JSONValue {
        let labels = primarySelector(revision.deployment)
        var template = revision.configs.renamed(in: revision.template)
        var templateMetadata = template["metadata"]?.objectValue ?? [:]
        var podLabels = templateMetadata["labels"]?.objectValue ?? [:]
        for (key, value) in labels { podLabels[key] = value }
        templateMetadata["labels"] = .object(podLabels)
        template["metadata"] = .object(templateMetadata)
        var spec = revision.deployment["spec"]?.objectValue ?? [:]
        spec["selector"] = ["matchLabels": .object(labels)]
        spec["template"] = template
        // With an autoscaler the replicas are its own.
        spec["replicas"] = revision.autoscaler == nil ? .int(revision.replicas) : nil
        return ["apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": metadata(primaryName(revision.workload.name), revision.workload.namespace,
                                     annotations: [revisionAnnotation: .string(revision.id)]),
                "spec": .object(spec)]
    }

    /// `<hpa>-primary`: the Canary's autoscaler, scaling `<target>-primary`
    /// (the target's own autoscaler idles while the target is at zero).
    static func primaryAutoscaler(_ revision: KubernetesRevision) -> JSONValue? {
        guard var autoscaler = revision.autoscaler, let name = autoscaler["metadata"]?["name"]?.stringValue else { return nil }
        autoscaler["status"] = nil
        autoscaler["metadata"] = metadata(primaryName(name), revision.workload.namespace)
        autoscaler["spec"]?["scaleTargetRef"]?["name"] = .string(primaryName(revision.workload.name))
        return autoscaler
    }

    /// The apex, primary and canary Services.
    static func services(_ revision: KubernetesRevision, _ routing: CanaryRouting, apexOnCanary: Bool = false) -> [JSONValue] {
        let namespace = revision.workload.namespace
        let port: JSONValue = ["name": "http", "port": .int(routing.port), "targetPort": routing.targetPort, "protocol": "TCP"]
        func service(_ name: String, _ selector: [String: JSONValue]) -> JSONValue {
            ["apiVersion": "v1", "kind": "Service", "metadata": metadata(name, namespace),
             "spec": ["type": "ClusterIP", "selector": .object(selector), "ports": [port]]]
        }
        let primary = primarySelector(revision.deployment), canary = selector(revision.deployment)
        return [service(routing.service, apexOnCanary ? canary : primary),
                service(routing.service + "-primary", primary),
                service(routing.service + "-canary", canary)]
    }

    /// The HTTPRoute `<svc>`: primary and canary backends with the weights,
    /// A/B matches as a rule of their own ahead of the weighted one, and
    /// mirroring as a RequestMirror filter.
    static func httpRoute(_ workload: WorkloadID, _ routing: CanaryRouting, _ routes: TrafficRoutes, revision: String = "") -> JSONValue {
        func backend(_ suffix: String, _ weight: Int) -> JSONValue {
            ["group": "", "kind": "Service", "name": .string(routing.service + suffix), "port": .int(routing.port), "weight": .int(Int64(weight))]
        }
        var rules: [JSONValue] = []
        // Session affinity as Flagger writes it for Gateway API: the canary's
        // answers set a cookie naming its revision, and requests carrying it
        // stay on the canary while it has weight.
        var canaryBackend = backend("-canary", routes.canaryWeight)
        if let affinity = routes.sessionAffinity, routes.canaryWeight > 0 {
            let cookie = "\(affinity.cookieName)=\(revision)"
            rules.append(["matches": [["headers": [["name": "Cookie", "type": "RegularExpression", "value": .string(".*\(cookie).*")]]]],
                          "backendRefs": [backend("-canary", 100)]])
            canaryBackend["filters"] = [["type": "ResponseHeaderModifier",
                                         "responseHeaderModifier": ["add": [["name": "Set-Cookie",
                                                                             "value": .string("\(cookie); Max-Age=\(affinity.maxAge)")]]]]]
        }
        for request in routes.match {
            var matches: [String: JSONValue] = [:]
            if let headers = request.headers, !headers.isEmpty {
                matches["headers"] = .array(headers.keys.sorted().map { valueMatch(name: $0, headers[$0]!) })
            }
            if let parameters = request.queryParams, !parameters.isEmpty {
                matches["queryParams"] = .array(parameters.keys.sorted().map { valueMatch(name: $0, parameters[$0]!) })
            }
            if let uri = request.uri {
                if let exact = uri.exact {
                    matches["path"] = ["type": "Exact", "value": .string(exact)]
                } else if let prefix = uri.prefix {
                    matches["path"] = ["type": "PathPrefix", "value": .string(prefix)]
                } else if let pattern = regex(uri) {
                    matches["path"] = ["type": "RegularExpression", "value": .string(pattern)]
                }
            }
            if let method = request.method?.exact { matches["method"] = .string(method) }
            if !matches.isEmpty { rules.append(["matches": [.object(matches)], "backendRefs": [backend("-canary", 100)]]) }
        }
        var weighted: [String: JSONValue] = ["backendRefs": [backend("-primary", 100 - routes.canaryWeight), canaryBackend]]
        if routes.mirrorWeight > 0 {
            weighted["filters"] = [["type": "RequestMirror",
                                    "requestMirror": ["backendRef": ["name": .string(routing.service + "-canary"), "port": .int(routing.port)]]]]
        }
        rules.append(.object(weighted))
        return ["apiVersion": .string("gateway.networking.k8s.io/\(routing.gatewayVersion)"), "kind": "HTTPRoute",
                "metadata": metadata(routing.service, workload.namespace),
                "spec": ["parentRefs": .array(routing.gatewayRefs), "rules": .array(rules)]]
    }

    static let nginxPrefix = "nginx.ingress.kubernetes.io/"

    static func canaryIngressName(_ ingress: String) -> String { ingress + "-canary" }

    /// Flagger's NGINX router: `<ingress>-canary`, the user's Ingress with
    /// the apex Service's backends sent to `<svc>-canary` and the canary
    /// annotations (a weight, or for A/B the header and cookie conditions,
    /// which NGINX tries before the weight). The user's Ingress is not touched.
    static func canaryIngress(_ ingress: JSONValue, _ routing: CanaryRouting, _ routes: TrafficRoutes, namespace: String) -> JSONValue {
        let name = ingress["metadata"]?["name"]?.stringValue ?? routing.service
        var annotations = (ingress["metadata"]?["annotations"]?.objectValue ?? [:]).filter { !$0.key.hasPrefix(nginxPrefix + "canary") }
        annotations[nginxPrefix + "canary"] = "true"
        var weight = routes.canaryWeight
        for request in routes.match {
            for (header, match) in request.headers ?? [:] {
                if header.lowercased() == "cookie", let cookie = match.exact {
                    // As with Flagger: `cookie: { exact: NAME }` sends clients whose cookie NAME is `always`.
                    annotations[nginxPrefix + "canary-by-cookie"] = .string(cookie)
                } else {
                    annotations[nginxPrefix + "canary-by-header"] = .string(header)
                    if let exact = match.exact { annotations[nginxPrefix + "canary-by-header-value"] = .string(exact) }
                    if let regex = match.regex { annotations[nginxPrefix + "canary-by-header-pattern"] = .string(regex) }
                }
            }
            weight = 0
        }
        annotations[nginxPrefix + "canary-weight"] = .string(String(weight))
        var spec = ingress["spec"] ?? .null
        spec = retarget(spec, from: routing.service, to: routing.service + "-canary")
        return ["apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": .object(["name": .string(canaryIngressName(name)),
                                     "namespace": .string(namespace),
                                     "annotations": .object(annotations)]),
                "spec": spec]
    }

    /// Every `backend.service.name == from` in an Ingress spec becomes `to`.
    static func retarget(_ value: JSONValue, from: String, to: String) -> JSONValue {
        switch value {
        case .object(var members):
            if case .object(var service)? = members["service"], service["name"]?.stringValue == from {
                service["name"] = .string(to)
                members["service"] = .object(service)
            }
            return .object(members.mapValues { retarget($0, from: from, to: to) })
        case .array(let items):
            return .array(items.map { retarget($0, from: from, to: to) })
        default:
            return value
        }
    }

    /// A header or query parameter condition in Gateway API's terms, which
    /// know Exact and RegularExpression: a prefix or suffix is a regex.
    static func valueMatch(name: String, _ match: StringMatch) -> JSONValue {
        if let exact = match.exact { return ["name": .string(name), "type": "Exact", "value": .string(exact)] }
        return ["name": .string(name), "type": "RegularExpression", "value": .string(regex(match) ?? ".*")]
    }

    /// The regex that matches what a prefix, suffix or regex condition matches.
    static func regex(_ match: StringMatch) -> String? {
        if let regex = match.regex { return regex }
        if let prefix = match.prefix { return "^" + NSRegularExpression.escapedPattern(for: prefix) + ".*" }
        if let suffix = match.suffix { return ".*" + NSRegularExpression.escapedPattern(for: suffix) + "$" }
        return nil
    }

    /// The weights an HTTPRoute gives the canary (reading back what was applied).
    static func canaryWeight(_ route: JSONValue, service: String) -> Int? {
        guard let rules = route["spec"]?["rules"]?.arrayValue else { return nil }
        for rule in rules.reversed() {
            for backend in rule["backendRefs"]?.arrayValue ?? [] where backend["name"]?.stringValue == service + "-canary" {
                return backend["weight"]?.intValue.map(Int.init)
            }
        }
        return nil
    }
}
