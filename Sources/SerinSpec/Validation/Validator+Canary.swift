import Foundation

extension Validator {
    static let targetKinds = ["Workload", "Deployment", "DaemonSet", "Service"]
    static let builtinMetrics = ["request-success-rate", "request-duration"]

    func checkCanary(_ canary: Canary, _ catalog: Catalog, _ findings: inout Findings) {
        let spec = canary.spec
        let source = canary.source
        if canary.isFlagger {
            // Serin's extensions are refused under Flagger's apiVersion, so a
            // manifest that passes here still works in Flagger.
            if spec.strategyRef != nil {
                findings.error(source, "spec.strategyRef", "is a \(APIGroup.serinVersion) field; use apiVersion: \(APIGroup.serinVersion)")
            }
        }
        checkTarget(canary, catalog, &findings)
        checkService(canary, &findings)
        findings.range(spec.progressDeadlineSeconds.map(Int.init), 1...Int.max, source, "spec.progressDeadlineSeconds")

        if spec.analysis != nil && spec.canaryAnalysis != nil {
            findings.error(source, "spec.canaryAnalysis", "cannot be set together with analysis; canaryAnalysis is its deprecated name")
        } else if spec.canaryAnalysis != nil {
            findings.warning(source, "spec.canaryAnalysis", "is deprecated; rename it to analysis")
        }
        if let (key, analysis) = spec.writtenAnalysis {
            // A Canary of another kind runs on the kubernetes platform, whose routers see the mesh.
            checkAnalysis(analysis, at: "spec.\(key)", of: source, namespace: canary.namespace, flagger: canary.isFlagger,
                          localRouter: platform == .local && spec.targetRef?.kind == "Workload", catalog, &findings)
        }
        if let strategyRef = spec.strategyRef {
            if let name = strategyRef.name, !name.isEmpty {
                if catalog.strategies[name] == nil {
                    let hint = Suggestion.hint(for: name, among: catalog.strategies.keys)
                    findings.error(source, "spec.strategyRef.name", "names strategy \"\(name)\", which is neither built in nor in the manifests" + hint,
                                   kind: hint.isEmpty ? .unresolvedReference : .other)
                }
            } else {
                findings.required(nil, source, "spec.strategyRef.name")
            }
        }
        checkPlatformFields(canary, &findings)
        if platform == .kubernetes { checkKubernetesFields(canary, &findings) }
    }

    private func checkTarget(_ canary: Canary, _ catalog: Catalog, _ findings: inout Findings) {
        let source = canary.source
        guard let target = canary.spec.targetRef else {
            if !source.contains("spec.targetRef") { findings.error(source, "spec.targetRef", "is required") }
            return
        }
        findings.required(target.name, source, "spec.targetRef.name")
        guard let kind = target.kind, !kind.isEmpty else {
            findings.error(source, "spec.targetRef.kind", "is required (Workload, Deployment, DaemonSet or Service)")
            return
        }
        guard Self.targetKinds.contains(kind) else {
            findings.error(source, "spec.targetRef.kind", "must be one of \(Self.targetKinds.joined(separator: ", ")), got \"\(kind)\""
                           + Suggestion.hint(for: kind, among: Self.targetKinds))
            return
        }
        if kind == "Workload" {
            if let apiVersion = target.apiVersion, apiVersion != APIGroup.serinVersion {
                findings.error(source, "spec.targetRef.apiVersion", "must be \(APIGroup.serinVersion) for a Workload, got \"\(apiVersion)\"")
            }
            if let name = target.name, !name.isEmpty, catalog.workloads[Catalog.key(canary.namespace, name)] == nil {
                let hint = Suggestion.hint(for: name, among: catalog.workloadNames(in: canary.namespace))
                findings.error(source, "spec.targetRef.name", "names Workload \"\(name)\", which is not in namespace \(canary.namespace) of the manifests" + hint,
                               kind: hint.isEmpty ? .unresolvedReference : .other)
            }
        } else if platform == .local {
            findings.warning(source, "spec.targetRef.kind", "is \(kind): the local platform releases Workloads only; this Canary runs on the kubernetes platform")
        }
    }

    private func checkService(_ canary: Canary, _ findings: inout Findings) {
        let source = canary.source
        guard let service = canary.spec.service else {
            // Flagger's CRD requires service.port; a Serin Canary takes the
            // port from its Workload, a Knative Canary from its Knative Service.
            if canary.isFlagger && !source.contains("spec.service") && canary.spec.provider != "knative" {
                findings.error(source, "spec.service", "is required, with service.port")
            }
            return
        }
        if let name = service.name, let problem = NameRule.problem(with: name) {
            findings.error(source, "spec.service.name", problem)
        }
        if let port = service.port {
            findings.range(Int(port), 1...65535, source, "spec.service.port")
        } else if canary.isFlagger {
            findings.error(source, "spec.service.port", "is required")
        }
        if case .int(let port)? = service.targetPort { findings.range(port, 1...65535, source, "spec.service.targetPort") }
        findings.duration(service.timeout, atLeast: .milliseconds(1), source, "spec.service.timeout")
        findings.duration(service.retries?.perTryTimeout, atLeast: .milliseconds(1), source, "spec.service.retries.perTryTimeout")
        findings.range(service.retries?.attempts, 0...Int.max, source, "spec.service.retries.attempts")
        for (index, match) in (service.match ?? []).enumerated() {
            checkMatch(match, at: "spec.service.match[\(index)]", localRouter: false, source, &findings)
        }
        for (index, ref) in (service.gatewayRefs ?? []).enumerated() {
            findings.required(ref.name, source, "spec.service.gatewayRefs[\(index)].name")
            findings.range(ref.port.map(Int.init), 1...65535, source, "spec.service.gatewayRefs[\(index)].port")
        }
    }

    /// The routers Serin drives on Kubernetes.
    public static let kubernetesProviders = ["gatewayapi", "gatewayapi:v1", "gatewayapi:v1beta1", "kubernetes", "nginx"]

    /// Fields that only the Kubernetes platform acts on.
    private func checkPlatformFields(_ canary: Canary, _ findings: inout Findings) {
        let source = canary.source
        if platform == .kubernetes, canary.spec.targetRef?.kind != "Workload", let provider = canary.spec.provider,
           !Self.kubernetesProviders.contains(provider) {
            if provider == "knative" {
                findings.warning(source, "spec.provider", "is knative: Serin validates this Canary but does not release Knative Services")
            } else {
                findings.error(source, "spec.provider", "\"\(provider)\" is not supported by Serin on Kubernetes; use one of "
                               + Self.kubernetesProviders.joined(separator: ", ") + Suggestion.hint(for: provider, among: Self.kubernetesProviders))
            }
        }
        guard platform == .local else { return }
        let kubernetesOnly = [
            "spec.provider", "spec.autoscalerRef", "spec.ingressRef", "spec.routeRef", "spec.upstreamRef", "spec.revertOnDeletion",
            "spec.service.portName", "spec.service.targetPort", "spec.service.appProtocol", "spec.service.portDiscovery",
            "spec.service.timeout", "spec.service.gateways", "spec.service.gatewayRefs", "spec.service.hosts",
            "spec.service.delegation", "spec.service.trafficPolicy", "spec.service.match", "spec.service.rewrite",
            "spec.service.retries", "spec.service.headers", "spec.service.corsPolicy", "spec.service.meshName",
            "spec.service.backends", "spec.service.apex", "spec.service.primary", "spec.service.canary",
        ]
        for path in kubernetesOnly where source.contains(path) {
            findings.warning(source, path, "is used on the kubernetes platform only; the local platform ignores it")
        }
    }

    /// `localRouter`: the conditions go to Serin's router, which sees one
    /// request and nothing of a mesh; what it cannot honour is refused here
    /// rather than ignored there.
    func checkMatch(_ match: HTTPMatchRequest, at path: String, localRouter: Bool, _ source: SourceMap, _ findings: inout Findings) {
        let singles: [(String, StringMatch?)] = [("uri", match.uri), ("scheme", match.scheme), ("method", match.method), ("authority", match.authority)]
        var conditions = 0
        for (field, value) in singles {
            guard let value else { continue }
            conditions += 1
            checkStringMatch(value, at: "\(path).\(field)", localRouter: localRouter, source, &findings)
        }
        let maps: [(String, [String: StringMatch]?)] = [("headers", match.headers), ("queryParams", match.queryParams), ("withoutHeaders", match.withoutHeaders)]
        for (field, values) in maps {
            guard let values else { continue }
            conditions += values.count
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                checkStringMatch(value, at: "\(path).\(field).\(name)", localRouter: localRouter, source, &findings)
                guard localRouter else { continue }
                if field == "queryParams" ? name.isEmpty : !Self.isHeaderName(name) {
                    findings.error(source, "\(path).\(field).\(name)", "\"\(name)\" is not a \(field == "queryParams" ? "query parameter" : "header") name the router can match")
                }
            }
        }
        conditions += (match.sourceLabels?.count ?? 0) + (match.gateways?.count ?? 0) + (match.port == nil ? 0 : 1)
            + (match.sourceNamespace == nil ? 0 : 1)
        if conditions == 0 {
            findings.error(source, path, "matches every request; give it at least one condition (headers, uri, ...)")
        }
        guard localRouter else { return }
        let meshOnly: [(String, Bool)] = [("sourceLabels", match.sourceLabels != nil), ("sourceNamespace", match.sourceNamespace != nil),
                                          ("gateways", match.gateways != nil), ("port", match.port != nil)]
        for (field, present) in meshOnly where present {
            findings.error(source, "\(path).\(field)", "is a mesh condition the local router cannot check; remove it, or release on the kubernetes platform")
        }
        if match.ignoreUriCase == true, match.uri?.regex != nil {
            findings.warning(source, "\(path).ignoreUriCase", "does not apply to uri.regex (as in Istio); start the regex with (?i) to ignore case")
        }
    }

    private static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private func checkStringMatch(_ match: StringMatch, at path: String, localRouter: Bool, _ source: SourceMap, _ findings: inout Findings) {
        let set = [match.exact, match.prefix, match.suffix, match.regex].compactMap { $0 }
        guard set.count == 1 else {
            findings.error(source, path, "must hold exactly one of exact, prefix, suffix or regex, it holds \(set.count)")
            return
        }
        guard let regex = match.regex else { return }
        // The local router compiles with NSRegularExpression, anchored at both
        // ends; what it would refuse is refused here.
        let valid = localRouter ? (try? NSRegularExpression(pattern: regex)) != nil && (try? NSRegularExpression(pattern: #"\A(?:"# + regex + #")\z"#)) != nil
                                : (try? Regex(regex)) != nil
        if !valid {
            findings.error(source, "\(path).regex", "is not a valid regular expression: \"\(regex)\"")
        }
    }
}
