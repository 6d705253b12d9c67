extension Validator {
    /// The router a Canary runs with on Kubernetes: its own, else the operator's default.
    func provider(of canary: Canary) -> String {
        canary.spec.provider ?? defaultProvider
    }

    /// On Kubernetes, each field the Canary writes is checked against the
    /// field table: refused fields are errors, unused ones warnings, at
    /// their position. Then what the table cannot say: match conditions a
    /// router cannot express, values Flagger's CRD does not allow.
    func checkKubernetesFields(_ canary: Canary, _ findings: inout Findings) {
        guard canary.spec.targetRef?.kind != "Workload" else { return }
        let provider = provider(of: canary)
        guard let family = RouterFamily.of(provider) else { return } // refused or knative: said once, for the Canary
        var names = [family]
        if let kind = canary.spec.autoscalerRef?.kind { names.append(kind) }
        Self.checkTable(kind: "Canary", canary.source, names: names, &findings)
        let spec = canary.spec
        let source = canary.source
        if let kind = spec.targetRef?.kind, kind == "Service" {
            findings.error(source, "spec.targetRef.kind", "is Service: on Kubernetes Serin releases Deployments and DaemonSets, not Services")
        }
        if let kind = spec.autoscalerRef?.kind, !["HorizontalPodAutoscaler", "ScaledObject"].contains(kind) {
            findings.error(source, "spec.autoscalerRef.kind", "must be HorizontalPodAutoscaler or ScaledObject, got \"\(kind)\"")
        }
        if spec.autoscalerRef != nil, spec.targetRef?.kind == "DaemonSet" {
            findings.error(source, "spec.autoscalerRef", "cannot scale a DaemonSet: it runs one pod per node")
        }
        if let sameSite = spec.writtenAnalysis?.analysis.sessionAffinity?.sameSite, !["Strict", "Lax", "None"].contains(sameSite) {
            findings.error(source, "spec.\(spec.writtenAnalysis!.key).sessionAffinity.sameSite", "must be Strict, Lax or None, got \"\(sameSite)\"")
        }
        if let service = spec.service {
            if let type = service.rewrite?.type, !["ReplaceFullPath", "ReplacePrefixMatch"].contains(type) {
                findings.error(source, "spec.service.rewrite.type", "must be ReplaceFullPath or ReplacePrefixMatch, got \"\(type)\"")
            }
            for (index, mirror) in (service.mirror ?? []).enumerated() where mirror.backendRef?.name?.isEmpty ?? true {
                findings.error(source, "spec.service.mirror[\(index)].backendRef.name", "is required")
            }
            findings.duration(service.backendTimeout, atLeast: .milliseconds(1), source, "spec.service.backendTimeout")
            if family == "gatewayapi" {
                if service.gatewayRefs?.isEmpty ?? true {
                    findings.error(source, "spec.service.gatewayRefs", "is required with provider \(provider): the HTTPRoute attaches to these Gateways")
                }
                for (index, match) in (service.match ?? []).enumerated() {
                    checkRouteMatch(match, at: "spec.service.match[\(index)]", source, &findings)
                }
                for token in Self.retryTokens(service.retries?.retryOn) where Self.retryCodes(token) == nil {
                    findings.warning(source, "spec.service.retries.retryOn", "\"\(token)\" is an Envoy retry condition with no Gateway API equivalent; "
                                     + "only status codes (and 5xx) become retry.codes")
                }
            }
        }
        guard let (key, analysis) = spec.writtenAnalysis else { return }
        for (index, match) in (analysis.match ?? []).enumerated() {
            let at = "spec.\(key).match[\(index)]"
            switch family {
            case "gatewayapi": checkRouteMatch(match, at: at, source, &findings)
            case "nginx": checkNGINXMatch(match, at: at, source, &findings)
            default: break
            }
        }
        if family == "nginx" {
            // NGINX's annotations hold one header and one cookie, whichever match item says them.
            let headers = (analysis.match ?? []).flatMap { ($0.headers ?? [:]).keys.filter { $0.lowercased() != "cookie" } }
            let cookies = (analysis.match ?? []).flatMap { ($0.headers ?? [:]).keys.filter { $0.lowercased() == "cookie" } }
            if headers.count > 1 || cookies.count > 1 {
                findings.error(source, "spec.\(key).match", "holds \(headers.count) header and \(cookies.count) cookie conditions: "
                               + "NGINX's canary Ingress takes one header and one cookie")
            }
        }
    }

    /// What an HTTPRoute match cannot say, refused where it is written.
    private func checkRouteMatch(_ match: HTTPMatchRequest, at path: String, _ source: SourceMap, _ findings: inout Findings) {
        let unsupported: [(String, Bool, String)] = [
            ("authority", match.authority != nil, "an HTTPRoute matches hostnames with service.hosts, not per rule"),
            ("scheme", match.scheme != nil, "an HTTPRoute cannot match the scheme"),
            ("withoutHeaders", match.withoutHeaders != nil, "an HTTPRoute cannot match the absence of a header"),
            ("ignoreUriCase", match.ignoreUriCase == true, "an HTTPRoute's path match is case-sensitive; use uri.regex with (?i)"),
            ("sourceLabels", match.sourceLabels != nil, "a mesh condition (the calling pod's labels) that no Gateway sees"),
            ("sourceNamespace", match.sourceNamespace != nil, "a mesh condition that no Gateway sees"),
            ("gateways", match.gateways != nil, "an Istio condition; the route's Gateways are service.gatewayRefs"),
            ("port", match.port != nil, "an HTTPRoute matches the listener with gatewayRefs[].port or sectionName, not per rule"),
        ]
        for (field, present, why) in unsupported where present {
            findings.error(source, "\(path).\(field)", "cannot be said in an HTTPRoute: \(why)")
        }
        if let method = match.method, method.exact == nil {
            findings.error(source, "\(path).method", "cannot be said in an HTTPRoute: it matches a method exactly, not by prefix or regex")
        }
    }

    /// NGINX's canary annotations: one header (exact or regex), or a cookie.
    private func checkNGINXMatch(_ match: HTTPMatchRequest, at path: String, _ source: SourceMap, _ findings: inout Findings) {
        let others: [(String, Bool)] = [
            ("uri", match.uri != nil), ("method", match.method != nil), ("queryParams", match.queryParams != nil),
            ("authority", match.authority != nil), ("scheme", match.scheme != nil), ("withoutHeaders", match.withoutHeaders != nil),
            ("sourceLabels", match.sourceLabels != nil), ("sourceNamespace", match.sourceNamespace != nil),
            ("gateways", match.gateways != nil), ("port", match.port != nil),
        ]
        for (field, present) in others where present {
            findings.error(source, "\(path).\(field)", "cannot be said with NGINX's canary annotations, which match one header or a cookie")
        }
        let headers = match.headers ?? [:]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if name.lowercased() == "cookie" {
                if value.exact == nil {
                    findings.error(source, "\(path).headers.\(name)", "must be exact: it names the cookie NGINX's canary-by-cookie reads")
                }
            } else if value.prefix != nil || value.suffix != nil {
                findings.error(source, "\(path).headers.\(name)", "must be exact or regex: NGINX's canary-by-header has no prefix or suffix match")
            }
        }
    }

    public static func retryTokens(_ retryOn: String?) -> [String] {
        (retryOn ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The status codes a retryOn token stands for: a code, or `5xx`.
    public static func retryCodes(_ token: String) -> [Int]? {
        if token == "5xx" { return [500, 502, 503, 504] }
        guard token.count == 3, let code = Int(token), (400...599).contains(code) else { return nil }
        return [code]
    }

    func checkKubernetesFields(_ template: MetricTemplate, _ findings: inout Findings) {
        let type = template.spec.provider?.type ?? "prometheus"
        Self.checkTable(kind: "MetricTemplate", template.source, names: [type], &findings)
    }

    func checkKubernetesFields(_ provider: AlertProvider, _ findings: inout Findings) {
        Self.checkTable(kind: "AlertProvider", provider.source, names: [provider.spec.type ?? ""], &findings)
    }

    /// Every written field whose table entry refuses or warns, reported once
    /// (at the top of a subtree).
    static func checkTable(kind: String, _ source: SourceMap, names: [String], _ findings: inout Findings) {
        var reported: [String] = []
        for path in source.positions.keys.sorted(by: { ($0.count, $0) < ($1.count, $1) }) {
            let normalized = path.hasPrefix("spec.canaryAnalysis") ? "spec.analysis" + path.dropFirst("spec.canaryAnalysis".count) : path
            guard !reported.contains(where: { path.hasPrefix($0) && (path.dropFirst($0.count).first == "." || path.dropFirst($0.count).first == "[") })
            else { continue }
            // A subtree is reported where it starts, not at each field under it.
            guard let found = FlaggerFields.lookUp(kind: kind, path: normalized), found.isItsField else { continue }
            let rule = found.field
            let use = names.lazy.map { rule.use(for: $0) }.first { $0 != rule.use } ?? rule.use
            switch use {
            case .honoured: continue
            case .refused(let why): findings.error(source, path, "cannot be honoured by Serin on Kubernetes: \(why)")
            case .warned(let why): findings.warning(source, path, "is not used by Serin on Kubernetes: \(why)")
            }
            reported.append(path)
        }
    }
}
