extension Validator {
    /// Checks one written analysis (a Canary's or a Strategy's) field by field.
    /// What depends on the merged result (a Canary over its Strategy) is left
    /// to the plan compiler.
    func checkAnalysis(_ analysis: CanaryAnalysis, at prefix: String, of source: SourceMap, namespace: String,
                       flagger: Bool, localRouter: Bool, _ catalog: Catalog, _ findings: inout Findings) {
        findings.duration(analysis.interval, atLeast: .seconds(1), source, "\(prefix).interval")
        findings.range(analysis.threshold, 1...Int.max, source, "\(prefix).threshold")
        findings.range(analysis.iterations, 1...Int.max, source, "\(prefix).iterations")
        findings.range(analysis.stepWeight, 1...100, source, "\(prefix).stepWeight")
        findings.range(analysis.maxWeight, 1...100, source, "\(prefix).maxWeight")
        findings.range(analysis.stepWeightPromotion, 1...100, source, "\(prefix).stepWeightPromotion")
        findings.range(analysis.mirrorWeight, 0...100, source, "\(prefix).mirrorWeight")
        findings.range(analysis.primaryReadyThreshold, 0...100, source, "\(prefix).primaryReadyThreshold")
        findings.range(analysis.canaryReadyThreshold, 0...100, source, "\(prefix).canaryReadyThreshold")
        if let step = analysis.stepWeight, let max = analysis.maxWeight, (1...100).contains(step), (1...100).contains(max), max < step {
            findings.error(source, "\(prefix).maxWeight", "must be at least stepWeight (\(step)), got \(max)")
        }
        if let weights = analysis.stepWeights {
            if weights.isEmpty { findings.error(source, "\(prefix).stepWeights", "must not be empty") }
            var previous = 0
            for (index, weight) in weights.enumerated() {
                let path = "\(prefix).stepWeights[\(index)]"
                if !(1...100).contains(weight) {
                    findings.error(source, path, "must be between 1 and 100, got \(weight)")
                } else if weight <= previous {
                    findings.error(source, path, "must be greater than the step before it (\(previous)), got \(weight)")
                }
                previous = max(previous, weight)
            }
        }
        for (index, match) in (analysis.match ?? []).enumerated() {
            checkMatch(match, at: "\(prefix).match[\(index)]", localRouter: localRouter, source, &findings)
        }
        if let affinity = analysis.sessionAffinity {
            findings.required(affinity.cookieName, source, "\(prefix).sessionAffinity.cookieName")
            findings.range(affinity.maxAge, 1...Int.max, source, "\(prefix).sessionAffinity.maxAge")
        }
        checkMetrics(analysis.metrics ?? [], at: "\(prefix).metrics", source, namespace: namespace, flagger: flagger, catalog, &findings)
        checkWebhooks(analysis.webhooks ?? [], at: "\(prefix).webhooks", source, &findings)
        checkAlerts(analysis.alerts ?? [], at: "\(prefix).alerts", source, namespace: namespace, catalog, &findings)
        if let steps = analysis.steps {
            if flagger {
                findings.error(source, "\(prefix).steps", "is a \(APIGroup.serinVersion) field; use apiVersion: \(APIGroup.serinVersion)")
            }
            checkSteps(steps, analysis: analysis, at: "\(prefix).steps", localRouter: localRouter, source, &findings)
        }
    }

    private func checkMetrics(_ metrics: [CanaryMetric], at path: String, _ source: SourceMap, namespace: String,
                              flagger: Bool, _ catalog: Catalog, _ findings: inout Findings) {
        findings.unique(metrics.map(\.name), source, path, what: "metric")
        for (index, metric) in metrics.enumerated() {
            let at = "\(path)[\(index)]"
            findings.required(metric.name, source, "\(at).name")
            findings.duration(metric.interval, atLeast: .seconds(1), source, "\(at).interval")
            if let range = metric.thresholdRange, let min = range.min, let max = range.max, min > max {
                findings.error(source, "\(at).thresholdRange", "min (\(Plan.number(min))) must not be greater than max (\(Plan.number(max)))")
            }
            if flagger && metric.onNoData != nil {
                findings.error(source, "\(at).onNoData", "is a \(APIGroup.serinVersion) field; use apiVersion: \(APIGroup.serinVersion)")
            }
            if metric.thresholdRange == nil && metric.threshold == nil {
                findings.warning(source, "\(at)", "has no thresholdRange, so it can never fail a check")
            }
            if let ref = metric.templateRef {
                if metric.query != nil {
                    findings.warning(source, "\(at).query", "is ignored because templateRef is set")
                }
                guard let name = ref.name, !name.isEmpty else {
                    findings.required(nil, source, "\(at).templateRef.name")
                    continue
                }
                let refNamespace = ref.namespace ?? namespace
                guard let template = catalog.templates[Catalog.key(refNamespace, name)] else {
                    let names = catalog.templates.values.filter { $0.namespace == refNamespace }.map(\.name)
                    let hint = Suggestion.hint(for: name, among: names)
                    findings.error(source, "\(at).templateRef.name", "names MetricTemplate \(refNamespace)/\(name), which is not in the manifests" + hint,
                                   kind: hint.isEmpty ? .unresolvedReference : .other)
                    continue
                }
                checkVariables(of: template, usedBy: metric, at: at, source, &findings)
                if !defaultPrometheus && (template.spec.provider?.address ?? "").isEmpty {
                    findings.error(source, "\(at).templateRef", "names MetricTemplate \(refNamespace)/\(name), which has no provider.address, and the "
                                   + "operator has no Prometheus (serin.yaml has no prometheus:); give the template an address or add prometheus.address")
                }
            } else if metric.query == nil, let name = metric.name, !name.isEmpty, !Self.builtinMetrics.contains(name) {
                findings.error(source, "\(at).name", "\"\(name)\" is not a built-in metric (\(Self.builtinMetrics.joined(separator: ", "))) and the metric has no templateRef"
                               + Suggestion.hint(for: name, among: Self.builtinMetrics))
            } else if !defaultPrometheus {
                findings.error(source, "\(at)", "needs a Prometheus to query, and the operator has none (serin.yaml has no prometheus:); "
                               + "add prometheus.address to serin.yaml, or use a MetricTemplate with provider.address")
            }
        }
    }

    private func checkVariables(of template: MetricTemplate, usedBy metric: CanaryMetric, at path: String,
                                _ source: SourceMap, _ findings: inout Findings) {
        guard let query = template.spec.query, case .success(let placeholders) = MetricQuery.placeholders(in: query) else { return }
        let given = metric.templateVariables ?? [:]
        for case .variable(let name) in placeholders where given[name] == nil {
            findings.error(source, "\(path).templateVariables",
                           "has no \"\(name)\", which MetricTemplate \(template.name) uses as {{ variables.\(name) }}")
        }
    }

    private func checkWebhooks(_ webhooks: [CanaryWebhook], at path: String, _ source: SourceMap, _ findings: inout Findings) {
        findings.unique(webhooks.map(\.name), source, path, what: "webhook")
        let types = WebhookType.allCases.map(\.rawValue)
        for (index, webhook) in webhooks.enumerated() {
            let at = "\(path)[\(index)]"
            findings.required(webhook.name, source, "\(at).name")
            if let type = webhook.type, !type.isEmpty, WebhookType(rawValue: type) == nil {
                findings.error(source, "\(at).type", "must be one of \(types.joined(separator: ", ")), got \"\(type)\""
                               + Suggestion.hint(for: type, among: types))
            }
            findings.required(webhook.url, source, "\(at).url")
            findings.url(webhook.url, source, "\(at).url")
            findings.duration(webhook.timeout, atLeast: .milliseconds(1), source, "\(at).timeout")
            findings.range(webhook.retries, 0...100, source, "\(at).retries")
        }
    }

    private func checkAlerts(_ alerts: [CanaryAlert], at path: String, _ source: SourceMap, namespace: String,
                             _ catalog: Catalog, _ findings: inout Findings) {
        findings.unique(alerts.map(\.name), source, path, what: "alert")
        let severities = AlertSeverity.allCases.map(\.rawValue)
        for (index, alert) in alerts.enumerated() {
            let at = "\(path)[\(index)]"
            findings.required(alert.name, source, "\(at).name")
            if let severity = alert.severity, AlertSeverity(rawValue: severity) == nil {
                findings.error(source, "\(at).severity", "must be one of \(severities.joined(separator: ", ")), got \"\(severity)\""
                               + Suggestion.hint(for: severity, among: severities))
            }
            guard let ref = alert.providerRef else {
                findings.error(source, "\(at).providerRef", "is required")
                continue
            }
            guard let name = ref.name, !name.isEmpty else {
                findings.required(nil, source, "\(at).providerRef.name")
                continue
            }
            let refNamespace = ref.namespace ?? namespace
            if catalog.providers[Catalog.key(refNamespace, name)] == nil {
                let names = catalog.providers.values.filter { $0.namespace == refNamespace }.map(\.name)
                let hint = Suggestion.hint(for: name, among: names)
                findings.error(source, "\(at).providerRef.name", "names AlertProvider \(refNamespace)/\(name), which is not in the manifests" + hint,
                               kind: hint.isEmpty ? .unresolvedReference : .other)
            }
        }
    }

    private func checkSteps(_ steps: [StepSpec], analysis: CanaryAnalysis, at path: String, localRouter: Bool,
                            _ source: SourceMap, _ findings: inout Findings) {
        if steps.isEmpty { findings.error(source, path, "must hold at least one step") }
        var gates: Set<String> = []
        for (index, step) in steps.enumerated() {
            let at = "\(path)[\(index)]"
            switch step {
            case .setWeight(let weight):
                findings.range(weight, 0...100, source, "\(at).setWeight")
                if let max = analysis.maxWeight, weight > max, weight <= 100 {
                    findings.error(source, "\(at).setWeight", "must not exceed maxWeight (\(max)), got \(weight)")
                }
            case .analyze(let ticks):
                findings.range(ticks, 1...Int.max, source, "\(at).analyze")
            case .pause(let duration):
                findings.duration(duration, atLeast: .seconds(1), source, "\(at).pause.duration")
            case .gate(let name):
                if let name, !gates.insert(name).inserted {
                    findings.error(source, "\(at).gate", "repeats gate name \"\(name)\"; names must be unique")
                }
            case .mirror(let weight):
                findings.range(weight, 1...100, source, "\(at).mirror")
            case .match(let matches):
                if matches.isEmpty { findings.error(source, "\(at).match", "must hold at least one condition") }
                for (matchIndex, match) in matches.enumerated() {
                    checkMatch(match, at: "\(at).match[\(matchIndex)]", localRouter: localRouter, source, &findings)
                }
            case .invalid:
                break
            }
        }
    }
}
