/// The form of `serin plan` meant for people: numbered steps, what is
/// checked at each, and how long a release takes.
extension Plan {
    /// One line per step, as `text` numbers them (the API and `serin get` show these).
    public var stepDescriptions: [String] { steps.map(describe) }

    public var text: String {
        var lines: [String] = []
        let strategyNote = strategyRef.map { ", strategy \($0)" } ?? ""
        lines.append("Canary \(namespace)/\(name): \(strategy.rawValue)\(strategyNote), checks every \(GoDuration.format(interval)), rolls back after \(threshold) failed check\(threshold == 1 ? "" : "s")")
        if skipAnalysis {
            lines.append("  skipAnalysis is set: the new revision is promoted without analysis")
        }
        let width = String(steps.count).count
        for (index, step) in steps.enumerated() {
            let number = String(index + 1)
            let padded = String(repeating: " ", count: width - number.count) + number
            lines.append("  \(padded). \(describe(step))")
        }
        if let sample = sampleNote { lines.append("  \(sample)") }
        let gates = webhooks.filter { [.confirmRollout, .confirmTrafficIncrease, .confirmPromotion].contains($0.type) }
        for gate in gates {
            let when: String
            switch gate.type {
            case .confirmRollout: when = "before the release starts"
            case .confirmTrafficIncrease: when = "before each weight increase"
            default: when = "before promotion"
            }
            lines.append("  gate: \(gate.type.rawValue) webhook \"\(gate.name)\" must answer 2xx \(when)")
        }
        let best = GoDuration.format(bestTimeToPromotion)
        if let worst = worstTimeToPromotion {
            let retries = max(0, threshold - 1)
            lines.append("  time to promotion: \(best) if every check passes, \(GoDuration.format(worst)) at worst (\(retries) failed check\(retries == 1 ? "" : "s") retried)")
        } else {
            lines.append("  time to promotion: \(best) if every check passes; unbounded at worst (waits for a person or a confirm webhook)")
        }
        return lines.joined(separator: "\n")
    }

    /// How much traffic the built-in success rate needs to decide: it is
    /// judged on counts, with a 95% confidence interval, so a canary that
    /// sees too few requests holds instead of passing by luck.
    var sampleNote: String? {
        guard let metric = metrics.first(where: { $0.name == "request-success-rate" && $0.source == .builtin }),
              let min = metric.thresholdRange?.min, min > 0, min < 100 else { return nil }
        let needed = Wilson.requestsNeeded(toShow: min / 100)
        var note = "request-success-rate is judged on counts (95% confidence): a clean pass needs \(needed) canary requests within \(metric.interval)"
        if let weight = weights.first(where: { $0 > 0 }), let window = GoDuration.parse(metric.interval), GoDuration.seconds(window) > 0 {
            let rate = Double(needed) / (Double(weight) / 100) / GoDuration.seconds(window)
            note += ", about \(Self.number((rate * 10).rounded(.up) / 10)) requests/s in all at \(weight)%"
        }
        return note
    }

    /// What one analysis tick checks, for the text form.
    var checksDescription: String {
        var checks = metrics.map { metric -> String in
            var bound = ""
            if let min = metric.thresholdRange?.min { bound += " >= \(Self.number(min))" }
            if let max = metric.thresholdRange?.max { bound += (bound.isEmpty ? " " : " and ") + "<= \(Self.number(max))" }
            return metric.name + bound
        }
        checks += webhooks.filter { $0.type == .rollout }.map { "webhook \($0.name)" }
        return checks.isEmpty ? "no metrics or webhooks (passes every tick)" : checks.joined(separator: ", ")
    }

    private func describe(_ step: PlanStep) -> String {
        switch step {
        case .setWeight(let weight):
            return "set canary weight to \(weight)%"
        case .analyze(let ticks):
            return "analyse \(ticks) tick\(ticks == 1 ? "" : "s") (\(GoDuration.format(interval * ticks))): \(checksDescription)"
        case .pause(let duration):
            return "pause for \(GoDuration.format(duration))"
        case .gate(let name):
            return "wait at gate \"\(name)\" for `serin promote`"
        case .mirror(let weight):
            return "mirror \(weight)% of requests to the canary (answers discarded)"
        case .match(let conditions):
            return "send requests matching \(Self.describe(conditions)) to the canary"
        case .promote(let primaryWeights):
            if primaryWeights.isEmpty {
                return "promote: the canary's revision becomes primary and takes all traffic"
            }
            return "promote: the canary's revision becomes primary; primary weight \(primaryWeights.map { "\($0)%" }.joined(separator: " → "))"
        }
    }

    static func describe(_ conditions: [HTTPMatchRequest]) -> String {
        conditions.map { match in
            var parts: [String] = []
            for (name, value) in (match.headers ?? [:]).sorted(by: { $0.key < $1.key }) { parts.append("header \(name) \(describe(value))") }
            for (name, value) in (match.queryParams ?? [:]).sorted(by: { $0.key < $1.key }) { parts.append("query \(name) \(describe(value))") }
            if let uri = match.uri { parts.append("uri \(describe(uri))") }
            if let method = match.method { parts.append("method \(describe(method))") }
            if parts.isEmpty { parts.append("other conditions") }
            return parts.joined(separator: " and ")
        }.joined(separator: " or ")
    }

    static func describe(_ match: StringMatch) -> String {
        if let exact = match.exact { return "= \"\(exact)\"" }
        if let prefix = match.prefix { return "starts with \"\(prefix)\"" }
        if let suffix = match.suffix { return "ends with \"\(suffix)\"" }
        if let regex = match.regex { return "~ /\(regex)/" }
        return "(any)"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
