/// Compiles a Canary (over its Strategy, if any) into a `Plan`.
///
/// For Flagger fields the plan is what Flagger's scheduler does
/// (`nextStepWeight` and `maxWeight` in `pkg/controller/scheduler.go`), with
/// two deliberate differences, each announced by a warning: Serin never sends
/// more than maxWeight to the canary (Flagger overshoots when maxWeight is not
/// a multiple of stepWeight), and honours maxWeight with stepWeights (Flagger
/// ignores it).
public struct PlanCompiler: Sendable {
    public static let defaultInterval: Duration = .seconds(60)
    public static let defaultProgressDeadline = 600
    /// Flagger's default for the kubernetes provider, which can only switch.
    static let kubernetesIterations = 10

    let catalog: Catalog
    /// The router of a Canary that names none (on Kubernetes, the operator's).
    let defaultProvider: String?

    init(catalog: Catalog, defaultProvider: String? = nil) {
        self.catalog = catalog
        self.defaultProvider = defaultProvider
    }

    public init(manifests: Manifests, builtinStrategies: [Strategy] = BuiltinStrategies.all, defaultProvider: String? = nil) {
        self.catalog = Catalog(manifests, builtinStrategies: builtinStrategies)
        self.defaultProvider = defaultProvider
    }

    public struct Output: Sendable {
        public var plan: Plan?
        public var diagnostics: [Diagnostic]
    }

    public func compile(_ canary: Canary) -> Output {
        var findings = Findings()
        let plan = compile(canary, &findings)
        return Output(plan: plan, diagnostics: findings.diagnostics)
    }

    private func compile(_ canary: Canary, _ findings: inout Findings) -> Plan? {
        let source = canary.source
        let written = canary.spec.writtenAnalysis
        let prefix = "spec.\(written?.key ?? "analysis")"
        var strategy: Strategy?
        if let name = canary.spec.strategyRef?.name {
            guard let found = catalog.strategies[name] else { return nil } // reported by the validator
            strategy = found
        }
        let skip = canary.spec.skipAnalysis ?? false
        var analysis: CanaryAnalysis
        switch (written?.analysis, strategy?.spec.analysis) {
        case (let own?, let defaults?): analysis = own.overriding(defaults)
        case (let own?, nil): analysis = own
        case (nil, let defaults?): analysis = defaults
        case (nil, nil):
            guard skip else {
                findings.error(source, "spec.analysis", "is required, in the Canary or through its strategyRef (or set skipAnalysis: true)")
                return nil
            }
            analysis = CanaryAnalysis()
        }

        let interval = analysis.interval.flatMap(GoDuration.parse) ?? Self.defaultInterval
        var plan = Plan(
            name: canary.name, namespace: canary.namespace, strategy: .canary, strategyRef: strategy?.name,
            interval: interval, threshold: max(1, analysis.threshold ?? 1), skipAnalysis: skip,
            progressDeadline: .seconds(Int(canary.spec.progressDeadlineSeconds ?? Int32(Self.defaultProgressDeadline))),
            steps: [], metrics: metrics(of: analysis, namespace: canary.namespace), webhooks: webhooks(of: analysis)
        )
        plan.suspended = canary.spec.suspend ?? false
        plan.metricsServer = canary.spec.metricsServer
        plan.alerts = (analysis.alerts ?? []).compactMap { alert in
            guard let name = alert.name, let provider = alert.providerRef?.name else { return nil }
            return PlanAlert(name: name, severity: alert.severity.flatMap(AlertSeverity.init(rawValue:)) ?? .info,
                             providerNamespace: alert.providerRef?.namespace ?? canary.namespace, providerName: provider)
        }
        if let affinity = analysis.sessionAffinity, let cookie = affinity.cookieName {
            plan.sessionAffinity = PlanSessionAffinity(cookieName: cookie, primaryCookieName: affinity.primaryCookieName,
                                                       maxAge: affinity.maxAge ?? 86_400)
        }
        if skip {
            plan.steps = [.promote(primaryWeights: [])]
            return plan
        }
        if let max = analysis.maxWeight, let step = analysis.stepWeight, max < step, strategy != nil {
            findings.error(source, "\(prefix).maxWeight", "must be at least stepWeight (\(step)), got \(max) (after applying strategy \(strategy!.name))")
            return nil
        }

        if let program = analysis.steps {
            plan.steps = steps(from: program)
            plan.strategy = plan.steps.contains { if case .match = $0 { return true } else { return false } } ? .abTesting : .canary
            if !plan.steps.contains(where: { if case .analyze = $0 { return true } else { return false } }) {
                findings.warning(source, "\(prefix).steps", "has no analyze step, so nothing is checked before promotion")
            }
        } else {
            var iterations = analysis.iterations ?? 0
            let router = (canary.spec.provider ?? (canary.spec.targetRef?.kind == "Workload" ? nil : defaultProvider)).flatMap(RouterFamily.of)
            if router == "kubernetes" {
                // Flagger's scheduler: the apex Service's selector can only
                // switch, so A/B matches are dropped and weights become
                // blue/green iterations (warned by the validator).
                if iterations < 1 { iterations = Self.kubernetesIterations }
                analysis.match = nil
            }
            if router == "kubernetes" || router == "nginx" {
                analysis.mirror = nil // no mirroring in these routers (warned)
            }
            if let match = analysis.match, !match.isEmpty, iterations > 0 {
                plan.strategy = .abTesting
                plan.steps = [.match(match), .analyze(ticks: iterations)]
                if analysis.mirror == true {
                    findings.warning(source, "\(prefix).mirror", "is ignored in A/B testing (match with iterations)")
                }
            } else if iterations > 0 {
                plan.strategy = .blueGreen
                if analysis.mirror == true {
                    plan.steps.append(.mirror(weight: mirrorWeight(analysis)))
                }
                // Flagger's order: the iterations, confirm-promotion (asked by
                // the engine before the switch), all traffic to the canary,
                // one analysed interval at 100%, then the promotion.
                plan.steps += [.analyze(ticks: iterations), .setWeight(100), .analyze(ticks: 1)]
            } else {
                guard let weights = canaryWeights(analysis, prefix: prefix, source: source, &findings) else { return nil }
                if analysis.mirror == true {
                    plan.steps += [.mirror(weight: mirrorWeight(analysis)), .analyze(ticks: 1)]
                }
                for weight in weights {
                    plan.steps += [.setWeight(weight), .analyze(ticks: 1)]
                }
                if let match = analysis.match, !match.isEmpty {
                    findings.warning(source, "\(prefix).match", "applies to A/B testing only, which needs iterations; this weighted canary ignores it")
                }
            }
        }
        if plan.strategy != .canary, analysis.sessionAffinity != nil {
            findings.warning(source, "\(prefix).sessionAffinity", "applies to weighted canaries only; \(plan.strategy.rawValue) ignores it")
        }
        if let strategy, let expected = strategy.spec.type, expected != plan.strategy {
            let need = expected == .abTesting ? "analysis.match and iterations" : expected == .blueGreen ? "iterations" : "stepWeight or stepWeights"
            findings.error(source, "spec.strategyRef.name", "picks strategy \(strategy.name), which releases by \(expected.rawValue) and needs \(need); this Canary infers \(plan.strategy.rawValue)")
        }
        plan.steps.append(.promote(primaryWeights: promotionWeights(after: plan.steps, analysis.stepWeightPromotion)))
        return plan
    }

    private func mirrorWeight(_ analysis: CanaryAnalysis) -> Int {
        guard let weight = analysis.mirrorWeight, weight > 0 else { return 100 }
        return weight
    }

    /// The weights of a weighted canary, as Flagger's scheduler walks them,
    /// capped at maxWeight.
    func canaryWeights(_ analysis: CanaryAnalysis, prefix: String, source: SourceMap, _ findings: inout Findings) -> [Int]? {
        let stepWeights = analysis.stepWeights ?? []
        let step = analysis.stepWeight ?? 0
        guard step > 0 || !stepWeights.isEmpty else {
            findings.error(source, prefix, "needs stepWeight, stepWeights, iterations or steps: nothing would move traffic to the canary")
            return nil
        }
        guard (step == 0 || (1...100).contains(step)),
              stepWeights.allSatisfy({ (1...100).contains($0) }),
              (analysis.maxWeight.map { (1...100).contains($0) && $0 >= step } ?? true)
        else { return nil } // reported by the validator
        // Flagger's maxWeight(): the last stepWeights entry when there are
        // stepWeights, else maxWeight, else 100.
        let flaggerMax = stepWeights.last ?? analysis.maxWeight ?? 100
        let cap = min(flaggerMax, analysis.maxWeight ?? 100)
        var weights: [Int] = []
        if step > 0 {
            if !stepWeights.isEmpty {
                findings.warning(source, "\(prefix).stepWeights", "is ignored because stepWeight is set; as in Flagger only its last value (\(flaggerMax)) is used, as the highest weight")
            }
            var weight = 0
            var flaggerPeak = 0
            while weight < cap {
                weight = min(weight + step, cap)
                weights.append(weight)
            }
            var flaggerWeight = 0
            while flaggerWeight < flaggerMax { flaggerWeight = min(flaggerWeight + step, 100); flaggerPeak = flaggerWeight }
            if flaggerPeak > cap {
                findings.warning(source, "\(prefix).maxWeight", "\(cap) is not a multiple of stepWeight \(step): Flagger would send \(flaggerPeak)% to the canary; Serin stops at \(cap)%")
            }
        } else {
            // nextStepWeight() walks stepWeights in order up to the last one.
            var previous = 0
            for weight in stepWeights where weight > previous {
                let capped = min(weight, cap)
                if capped > previous { weights.append(capped) }
                previous = capped
            }
            if let max = analysis.maxWeight, let last = stepWeights.last, last > max {
                findings.warning(source, "\(prefix).maxWeight", "is \(max) but stepWeights reach \(last): Flagger ignores maxWeight here and would send \(last)% to the canary; Serin stops at \(max)%")
            }
        }
        return weights
    }

    /// Primary weights while traffic returns after promotion
    /// (Flagger's runPromotionTrafficShift).
    func promotionWeights(after steps: [PlanStep], _ stepWeightPromotion: Int?) -> [Int] {
        guard let increment = stepWeightPromotion, increment > 0 else { return [] }
        var canary = 0
        for case .setWeight(let weight) in steps { canary = weight }
        guard canary > 0 else { return [] }
        var primary = 100 - canary
        var weights: [Int] = []
        while primary < 100 {
            primary = min(100, primary + increment)
            weights.append(primary)
        }
        return weights
    }

    private func steps(from program: [StepSpec]) -> [PlanStep] {
        var steps: [PlanStep] = []
        for (index, step) in program.enumerated() {
            switch step {
            case .setWeight(let weight): steps.append(.setWeight(weight))
            case .analyze(let ticks): steps.append(.analyze(ticks: ticks))
            case .pause(let text): if let duration = GoDuration.parse(text) { steps.append(.pause(duration)) }
            case .gate(let name): steps.append(.gate(name: name ?? "step-\(index + 1)"))
            case .mirror(let weight): steps.append(.mirror(weight: weight))
            case .match(let conditions): steps.append(.match(conditions))
            case .invalid: break
            }
        }
        return steps
    }

    private func metrics(of analysis: CanaryAnalysis, namespace: String) -> [PlanMetric] {
        (analysis.metrics ?? []).compactMap { metric in
            guard let name = metric.name else { return nil }
            let source: PlanMetric.Source
            if let ref = metric.templateRef, let template = ref.name {
                source = .template(namespace: ref.namespace ?? namespace, name: template)
            } else if let query = metric.query {
                source = .query(query)
            } else {
                source = .builtin
            }
            // Flagger's deprecated `threshold` is an upper bound for request-duration
            // and a lower bound for request-success-rate.
            var range = metric.thresholdRange
            if range == nil, let threshold = metric.threshold {
                range = name == "request-success-rate" ? ThresholdRange(min: threshold) : ThresholdRange(max: threshold)
            }
            return PlanMetric(name: name, source: source, thresholdRange: range, interval: metric.interval ?? "1m",
                              onNoData: metric.onNoData ?? .hold, templateVariables: metric.templateVariables ?? [:])
        }
    }

    private func webhooks(of analysis: CanaryAnalysis) -> [PlanWebhook] {
        (analysis.webhooks ?? []).compactMap { hook in
            guard let name = hook.name, let url = hook.url else { return nil }
            let type = hook.type.flatMap { $0.isEmpty ? nil : WebhookType(rawValue: $0) } ?? .rollout
            return PlanWebhook(name: name, type: type, url: url, timeout: hook.timeout.flatMap(GoDuration.parse) ?? .seconds(10),
                               retries: hook.retries ?? 0, metadata: hook.metadata ?? [:], muteAlert: hook.muteAlert ?? false,
                               disableTLS: hook.disableTLS ?? false)
        }
    }
}
