import Foundation
import SerinEngine
import SerinSpec

/// The routes Flagger writes (`pkg/router/gateway_api.go`, `ingress.go`).
extension FlaggerObjects {
    /// The session cookies a route carries: the canary's while it has
    /// weight (`name=<canary revision>`), the primary's (`<primaryCookieName>=<primary revision>`),
    /// and the last release's, expired once the canary has none.
    struct Cookies: Sendable, Hashable {
        var canary: String?
        var primary: String?
        var previous: String?
    }

    /// The HTTPRoute `<svc>` as Flagger's Gateway API router writes it:
    /// hostnames, the service's match conditions (or `/`), its filters
    /// (headers, rewrite, mirrors, CORS) and timeouts on every rule; the
    /// weighted rule with the primary and canary backends; A/B matches as
    /// their own rule first; the session affinity rules.
    static func httpRoute(_ workload: WorkloadID, _ routing: CanaryRouting, _ routes: TrafficRoutes, cookies: Cookies = Cookies(),
                          owner: JSONValue?) -> JSONValue {
        let spec = routing.spec
        func backend(_ suffix: String, _ weight: Int) -> JSONValue {
            ["group": "", "kind": "Service", "name": .string(routing.service + suffix), "port": .int(routing.port), "weight": .int(Int64(weight))]
        }
        let serviceMatches = (spec.match ?? []).compactMap(routeMatch)
        let matches: [JSONValue] = serviceMatches.isEmpty ? [["path": ["type": "PathPrefix", "value": "/"]]] : serviceMatches
        let filters = routeFilters(routing)
        func rule(_ matches: [JSONValue], _ backends: [JSONValue], extraFilters: [JSONValue] = []) -> JSONValue {
            var rule: [String: JSONValue] = ["matches": .array(matches), "backendRefs": .array(backends)]
            if !(filters + extraFilters).isEmpty { rule["filters"] = .array(filters + extraFilters) }
            if let timeouts = timeouts(spec) { rule["timeouts"] = timeouts }
            if let retry = retry(spec) { rule["retry"] = retry }
            return .object(rule)
        }
        var primaryBackend = backend("-primary", 100 - routes.canaryWeight)
        var canaryBackend = backend("-canary", routes.canaryWeight)
        var mirror: [JSONValue] = []
        if routes.mirrorWeight > 0 {
            var filter: [String: JSONValue] = ["backendRef": ["group": "", "kind": "Service", "name": .string(routing.service + "-canary"),
                                                              "port": .int(routing.port)]]
            // Gateway API 1.2's `percent`; all requests when unset.
            if routes.mirrorWeight < 100 { filter["percent"] = .int(Int64(routes.mirrorWeight)) }
            mirror = [["type": "RequestMirror", "requestMirror": .object(filter)]]
        }
        var rules: [JSONValue] = []
        if let affinity = routing.sessionAffinity, let name = affinity.cookieName {
            if routes.canaryWeight > 0, let canary = cookies.canary {
                canaryBackend["filters"] = [setCookie(buildCookie(affinity, "\(name)=\(canary)", maxAge: affinity.maxAge ?? 86_400))]
                rules.append(rule(merge([cookieMatch(name, canary)], serviceMatches), [backend("-primary", 0), backend("-canary", 100)]))
                if let primaryName = affinity.primaryCookieName, let primary = cookies.primary {
                    primaryBackend["filters"] = [setCookie(buildCookie(affinity, "\(primaryName)=\(primary)", maxAge: routing.intervalSeconds))]
                    rules.append(rule(merge([cookieMatch(primaryName, primary)], serviceMatches), [backend("-primary", 100), backend("-canary", 0)]))
                }
            } else if routes.canaryWeight == 0, let previous = cookies.previous {
                // The last release's clients are sent to the primary, and their cookie expired.
                rules.append(rule(merge([cookieMatch(name, previous)], serviceMatches), [primaryBackend, canaryBackend],
                                  extraFilters: [setCookie("\(name)=\(previous); Max-Age=-1")]))
            }
        }
        let weighted = rule(matches, [primaryBackend, canaryBackend], extraFilters: mirror)
        if !routes.match.isEmpty {
            // A/B testing: the matching requests go to the canary; the rest to the primary.
            let analysis = routes.match.compactMap(routeMatch)
            rules.append(rule(merge(analysis, matches), [backend("-primary", 0), backend("-canary", 100)]))
            rules.append(rule(matches, [backend("-primary", 100)]))
        } else {
            rules.append(weighted)
        }
        var annotations = (spec.apex?.annotations ?? [:]).mapValues { JSONValue.string($0) }
        annotations.merge(toolkitAnnotations) { _, marker in marker }
        var routeSpec: [String: JSONValue] = ["parentRefs": .array(routing.gatewayRefs.map(parentRef)), "rules": .array(rules)]
        if let hosts = spec.hosts, !hosts.isEmpty { routeSpec["hostnames"] = .array(hosts.map { .string($0) }) }
        return ["apiVersion": .string("gateway.networking.k8s.io/\(routing.gatewayVersion)"), "kind": "HTTPRoute",
                "metadata": metadata(routing.service, workload.namespace, labels: (spec.apex?.labels ?? [:]).mapValues { .string($0) },
                                     annotations: annotations, owner: owner),
                "spec": .object(routeSpec)]
    }

    /// A parentRef with every field Flagger keeps: group and kind (a
    /// `Service` parent for GAMMA meshes), namespace, sectionName, port.
    static func parentRef(_ ref: ParentReference) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(ref.name ?? "")]
        if let group = ref.group { object["group"] = .string(group) }
        if let kind = ref.kind { object["kind"] = .string(kind) }
        if let namespace = ref.namespace { object["namespace"] = .string(namespace) }
        if let section = ref.sectionName { object["sectionName"] = .string(section) }
        if let port = ref.port { object["port"] = .int(Int64(port)) }
        return .object(object)
    }

    /// Flagger's `mapRouteMatches` for one condition: path, method,
    /// headers and query parameters (prefix and suffix as regexes).
    static func routeMatch(_ request: HTTPMatchRequest) -> JSONValue? {
        var match: [String: JSONValue] = [:]
        if let uri = request.uri {
            if let regex = uri.regex {
                match["path"] = ["type": "RegularExpression", "value": .string(regex)]
            } else if let exact = uri.exact {
                match["path"] = ["type": "Exact", "value": .string(exact)]
            } else if let prefix = uri.prefix {
                match["path"] = ["type": "PathPrefix", "value": .string(prefix)]
            } else if let pattern = regex(uri) {
                match["path"] = ["type": "RegularExpression", "value": .string(pattern)]
            }
        }
        if let method = request.method?.exact { match["method"] = .string(method) }
        if let headers = request.headers, !headers.isEmpty {
            match["headers"] = .array(headers.keys.sorted().map { valueMatch(name: $0, headers[$0]!) })
        }
        if let parameters = request.queryParams, !parameters.isEmpty {
            match["queryParams"] = .array(parameters.keys.sorted().map { valueMatch(name: $0, parameters[$0]!) })
        }
        return match.isEmpty ? nil : .object(match)
    }

    /// Flagger's `mergeMatchConditions`: each analysis condition over each
    /// service condition, its headers and query parameters replacing the
    /// service's (and, in Serin, its path and method too, when it has them).
    static func merge(_ analysis: [JSONValue], _ service: [JSONValue]) -> [JSONValue] {
        guard !analysis.isEmpty else { return service }
        guard !service.isEmpty else { return analysis }
        var merged: [JSONValue] = []
        for condition in analysis {
            for base in service {
                var match = base
                for key in ["headers", "queryParams", "path", "method"] where condition[key] != nil { match[key] = condition[key] }
                merged.append(match)
            }
        }
        return merged
    }

    static func cookieMatch(_ name: String, _ value: String) -> JSONValue {
        ["headers": [["type": "RegularExpression", "name": "Cookie", "value": .string(".*\(name).*\(value).*")]]]
    }

    static func setCookie(_ value: String) -> JSONValue {
        ["type": "ResponseHeaderModifier", "responseHeaderModifier": ["add": [["name": "Set-Cookie", "value": .string(value)]]]]
    }

    /// Flagger's `SessionAffinity.BuildCookie`.
    static func buildCookie(_ affinity: SessionAffinity, _ cookie: String, maxAge: Int) -> String {
        var text = "\(cookie); Max-Age=\(maxAge)"
        if let domain = affinity.domain, !domain.isEmpty { text += "; Domain=\(domain)" }
        if affinity.httpOnly == true { text += "; HttpOnly" }
        if affinity.partitioned == true { text += "; Partitioned" }
        if let path = affinity.path, !path.isEmpty { text += "; Path=\(path)" }
        if let sameSite = affinity.sameSite, !sameSite.isEmpty { text += "; SameSite=\(sameSite)" }
        if affinity.secure == true { text += "; Secure" }
        return text
    }

    /// Flagger's `makeFilters`: request and response header modifiers, a
    /// URL rewrite, the service's mirrors, CORS.
    static func routeFilters(_ routing: CanaryRouting) -> [JSONValue] {
        let spec = routing.spec
        var filters: [JSONValue] = []
        func headerFilter(_ operations: HeaderOperations) -> JSONValue {
            var filter: [String: JSONValue] = [:]
            func pairs(_ values: [String: String]?) -> JSONValue? {
                guard let values, !values.isEmpty else { return nil }
                return .array(values.keys.sorted().map { ["name": .string($0), "value": .string(values[$0]!)] })
            }
            filter["add"] = pairs(operations.add)
            filter["set"] = pairs(operations.set)
            if let remove = operations.remove, !remove.isEmpty { filter["remove"] = .array(remove.map { .string($0) }) }
            return .object(filter)
        }
        if let request = spec.headers?.request {
            filters.append(["type": "RequestHeaderModifier", "requestHeaderModifier": headerFilter(request)])
        }
        if let response = spec.headers?.response {
            filters.append(["type": "ResponseHeaderModifier", "responseHeaderModifier": headerFilter(response)])
        }
        if let rewrite = spec.rewrite {
            var urlRewrite: [String: JSONValue] = [:]
            if let authority = rewrite.authority, !authority.isEmpty { urlRewrite["hostname"] = .string(authority) }
            if let uri = rewrite.uri, !uri.isEmpty {
                urlRewrite["path"] = rewrite.type == "ReplacePrefixMatch"
                    ? ["type": "ReplacePrefixMatch", "replacePrefixMatch": .string(uri)]
                    : ["type": "ReplaceFullPath", "replaceFullPath": .string(uri)]
            }
            filters.append(["type": "URLRewrite", "urlRewrite": .object(urlRewrite)])
        }
        for mirror in spec.mirror ?? [] {
            guard let ref = mirror.backendRef, let name = ref.name else { continue }
            var backend: [String: JSONValue] = ["name": .string(name)]
            if let group = ref.group { backend["group"] = .string(group) }
            if let kind = ref.kind { backend["kind"] = .string(kind) }
            if let namespace = ref.namespace { backend["namespace"] = .string(namespace) }
            if let port = ref.port { backend["port"] = .int(Int64(port)) }
            filters.append(["type": "RequestMirror", "requestMirror": ["backendRef": .object(backend)]])
        }
        if let cors = spec.corsPolicy {
            var filter: [String: JSONValue] = [:]
            if let origins = cors.allowOrigin, !origins.isEmpty { filter["allowOrigins"] = .array(origins.map { .string($0) }) }
            if let methods = cors.allowMethods, !methods.isEmpty { filter["allowMethods"] = .array(methods.map { .string($0) }) }
            if let headers = cors.allowHeaders, !headers.isEmpty { filter["allowHeaders"] = .array(headers.map { .string($0) }) }
            if let headers = cors.exposeHeaders, !headers.isEmpty { filter["exposeHeaders"] = .array(headers.map { .string($0) }) }
            if cors.allowCredentials == true { filter["allowCredentials"] = true }
            if let maxAge = cors.maxAge.flatMap(GoDuration.parse) { filter["maxAge"] = .int(Int64(GoDuration.seconds(maxAge))) }
            filters.append(["type": "CORS", "cors": .object(filter)])
        }
        return filters
    }

    /// `timeouts.request` and `timeouts.backendRequest`.
    static func timeouts(_ spec: CanaryService) -> JSONValue? {
        var timeouts: [String: JSONValue] = [:]
        if let timeout = spec.timeout { timeouts["request"] = .string(timeout) }
        if let timeout = spec.backendTimeout { timeouts["backendRequest"] = .string(timeout) }
        return timeouts.isEmpty ? nil : .object(timeouts)
    }

    /// Gateway API 1.2's `retry`: attempts, and the status codes of retryOn.
    static func retry(_ spec: CanaryService) -> JSONValue? {
        guard let retries = spec.retries else { return nil }
        var retry: [String: JSONValue] = [:]
        if let attempts = retries.attempts { retry["attempts"] = .int(Int64(attempts)) }
        let codes = Validator.retryTokens(retries.retryOn).compactMap(Validator.retryCodes).flatMap { $0 }
        if !codes.isEmpty { retry["codes"] = .array(codes.map { JSONValue.int(Int64($0)) }) }
        return retry.isEmpty ? nil : .object(retry)
    }

    /// Every field written into a route that the apiserver did not keep
    /// (a CRD of an older Gateway API channel prunes what it does not
    /// know): written and dropped is not honoured, so it is an error.
    static func dropped(_ written: JSONValue, _ stored: JSONValue, path: String = "spec") -> [String] {
        switch (written, stored) {
        case (.object(let want), .object(let have)):
            return want.keys.sorted().flatMap { key -> [String] in
                guard let value = have[key] else { return ["\(path).\(key)"] }
                return dropped(want[key]!, value, path: "\(path).\(key)")
            }
        case (.array(let want), .array(let have)):
            return zip(want, have).enumerated().flatMap { index, pair in dropped(pair.0, pair.1, path: "\(path)[\(index)]") }
        default:
            return []
        }
    }

    static let nginxPrefix = "nginx.ingress.kubernetes.io/"

    static func canaryIngressName(_ ingress: String) -> String { ingress + "-canary" }

    /// Flagger's NGINX router: `<ingress>-canary`, the user's Ingress with
    /// the apex Service's backends sent to `<svc>-canary` and the canary
    /// annotations (a weight, or for A/B the header and cookie conditions,
    /// which NGINX tries before the weight). The user's Ingress is not touched.
    static func canaryIngress(_ ingress: JSONValue, _ routing: CanaryRouting, _ routes: TrafficRoutes, namespace: String,
                              owner: JSONValue? = nil) -> JSONValue {
        let name = ingress["metadata"]?["name"]?.stringValue ?? routing.service
        var annotations = (ingress["metadata"]?["annotations"]?.objectValue ?? [:]).filter { !$0.key.hasPrefix(nginxPrefix + "canary") }
        annotations[nginxPrefix + "canary"] = "true"
        annotations.merge(toolkitAnnotations) { _, marker in marker }
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
                "metadata": metadata(canaryIngressName(name), namespace, annotations: annotations, owner: owner),
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

    /// The weight an HTTPRoute gives the canary (reading back what was
    /// applied): the rule with both backends, the session affinity's
    /// weighted one (whose canary backend sets the cookie) first.
    static func canaryWeight(_ route: JSONValue, service: String) -> Int? {
        guard let rules = route["spec"]?["rules"]?.arrayValue else { return nil }
        let pairs = rules.compactMap { rule -> (weight: Int?, filtered: Bool)? in
            let backends = rule["backendRefs"]?.arrayValue ?? []
            guard backends.count == 2, let canary = backends.first(where: { $0["name"]?.stringValue == service + "-canary" }) else { return nil }
            return (canary["weight"]?.intValue.map(Int.init), canary["filters"] != nil)
        }
        return (pairs.first { $0.filtered } ?? pairs.last)?.weight
    }

    /// The canary cookie value a route's sticky rule matches, if any: what
    /// the last release set, to expire after a restart.
    static func canaryCookie(in route: JSONValue, name: String) -> String? {
        for rule in route["spec"]?["rules"]?.arrayValue ?? [] {
            for match in rule["matches"]?.arrayValue ?? [] {
                for header in match["headers"]?.arrayValue ?? [] where header["name"]?.stringValue == "Cookie" {
                    guard let value = header["value"]?.stringValue, value.hasPrefix(".*\(name).*"), value.hasSuffix(".*") else { continue }
                    return String(value.dropFirst(".*\(name).*".count).dropLast(2))
                }
            }
        }
        return nil
    }
}
