/// Checks loaded manifests as Flagger checks them, and stricter: values,
/// references between resources, duplicates, and fields the chosen platform
/// ignores. Every problem is reported, one line each, at its position.
public struct Validator: Sendable {
    public var platform: PlatformKind
    public var builtinStrategies: [Strategy]
    /// The router of a Canary that names no `spec.provider` (the
    /// operator's `kubernetes.provider`): which of its fields are used
    /// depends on it.
    public var defaultProvider: String
    /// Whether the operator has a Prometheus of its own (serin.yaml's
    /// `prometheus:`): without one, a metric that would query it is refused
    /// (a Canary without metrics runs, as Flagger runs it).
    public var defaultPrometheus: Bool

    public init(platform: PlatformKind = .local, builtinStrategies: [Strategy] = BuiltinStrategies.all, defaultProvider: String = "kubernetes",
                defaultPrometheus: Bool = true) {
        self.platform = platform
        self.builtinStrategies = builtinStrategies
        self.defaultProvider = defaultProvider
        self.defaultPrometheus = defaultPrometheus
    }

    /// The diagnostics of the whole set, loading problems included, causes
    /// first (see `CauseOrder`): the first error is what to fix first.
    public func validate(_ manifests: Manifests) -> [Diagnostic] {
        validateAndPlan(manifests).diagnostics
    }

    /// The diagnostics, and the plan of every Canary that compiled (in
    /// manifest order); validation compiles them anyway.
    public func validateAndPlan(_ manifests: Manifests) -> (diagnostics: [Diagnostic], plans: [Plan]) {
        var plans: [Plan] = []
        var interner = PlanInterner()
        let catalog = Catalog(manifests, builtinStrategies: builtinStrategies)
        var findings = Findings()
        checkDuplicates(manifests, &findings)
        for workload in manifests.workloads { checkWorkload(workload, catalog, &findings) }
        for template in manifests.metricTemplates {
            checkMetricTemplate(template, &findings)
            if platform == .kubernetes { checkKubernetesFields(template, &findings) }
        }
        for provider in manifests.alertProviders {
            checkAlertProvider(provider, &findings)
            if platform == .kubernetes { checkKubernetesFields(provider, &findings) }
        }
        for strategy in manifests.strategies {
            if let analysis = strategy.spec.analysis {
                checkAnalysis(analysis, at: "spec.analysis", of: strategy.source, namespace: strategy.namespace,
                              flagger: false, localRouter: platform == .local, catalog, &findings)
            }
        }
        var targets: [String: Canary] = [:]
        for canary in manifests.canaries {
            checkCanary(canary, catalog, &findings)
            if let target = canary.spec.targetRef, let name = target.name {
                let key = "\(canary.namespace)/\(target.kind ?? "")/\(name)"
                if let first = targets[key] {
                    findings.error(canary.source, "spec.targetRef.name",
                                   "\"\(name)\" is already released by Canary \(first.name) (\(first.source.document)); a target takes one Canary")
                } else {
                    targets[key] = canary
                }
            }
            // Compiling surfaces what only the merged analysis shows.
            let output = PlanCompiler(catalog: catalog, defaultProvider: platform == .kubernetes ? defaultProvider : nil).compile(canary)
            findings.diagnostics += output.diagnostics
            if let plan = output.plan { plans.append(interner.intern(plan)) }
        }
        if platform == .kubernetes {
            for workload in manifests.workloads {
                findings.diagnostics.append(.warning(at: workload.source.document,
                    "Workload \(workload.name) runs on the local platform only; the kubernetes platform ignores it"))
            }
        } else {
            for manifest in manifests.plain {
                findings.diagnostics.append(.warning(at: manifest.source.document,
                    "\(manifest.kind) \(manifest.name) is kept for the kubernetes platform; the local platform ignores it"))
            }
        }
        return ((manifests.diagnostics + findings.diagnostics).orderedByCause(), plans)
    }

    // MARK: - Duplicates

    private func checkDuplicates(_ manifests: Manifests, _ findings: inout Findings) {
        var seen: [ResourceKey: SourceMap] = [:]
        func visit(_ key: ResourceKey, _ source: SourceMap) {
            if let first = seen[key] {
                findings.error(source, "metadata.name", "repeats \(key.kind) \(key.namespace)/\(key.name), already defined at \(first.document)")
            } else {
                seen[key] = source
            }
        }
        for resource in manifests.workloads { visit(resource.key, resource.source) }
        for resource in manifests.canaries { visit(resource.key, resource.source) }
        for resource in manifests.metricTemplates { visit(resource.key, resource.source) }
        for resource in manifests.alertProviders { visit(resource.key, resource.source) }
        for resource in manifests.strategies { visit(resource.key, resource.source) }
        for resource in manifests.plain {
            visit(ResourceKey(kind: "\(resource.apiVersion)/\(resource.kind)", namespace: resource.namespace, name: resource.name), resource.source)
        }
    }
}

/// The resources a reference can point at, by namespace and name.
struct Catalog: Sendable {
    var workloads: [String: Workload] = [:]
    var templates: [String: MetricTemplate] = [:]
    var providers: [String: AlertProvider] = [:]
    var strategies: [String: Strategy] = [:]
    /// The first Workload (in file order) to claim each router port.
    var portOwners: [Int: Workload] = [:]

    init(_ manifests: Manifests, builtinStrategies: [Strategy]) {
        for workload in manifests.workloads {
            workloads[Self.key(workload.namespace, workload.name)] = workload
            if let port = workload.spec.service?.port {
                if let owner = portOwners[port], owner.source.document < workload.source.document { continue }
                portOwners[port] = workload
            }
        }
        for template in manifests.metricTemplates { templates[Self.key(template.namespace, template.name)] = template }
        for provider in manifests.alertProviders { providers[Self.key(provider.namespace, provider.name)] = provider }
        // A repository's own strategy of the same name replaces a built-in one.
        for strategy in builtinStrategies + manifests.strategies { strategies[strategy.name] = strategy }
    }

    static func key(_ namespace: String, _ name: String) -> String { "\(namespace)/\(name)" }

    func workloadNames(in namespace: String) -> [String] {
        workloads.values.filter { $0.namespace == namespace }.map(\.name)
    }
}
