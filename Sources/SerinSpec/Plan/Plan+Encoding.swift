import Foundation

/// The stable JSON form of `serin plan -o json`:
/// `{"name","namespace","strategy","interval","threshold","steps":[{"action":"setWeight","weight":10}, ...]}`.
extension Plan: Encodable {
    enum CodingKeys: String, CodingKey {
        case name, namespace, strategy, strategyRef, interval, threshold, skipAnalysis, progressDeadline
        case steps, metrics, webhooks, bestTimeToPromotion, worstTimeToPromotion
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(namespace, forKey: .namespace)
        try container.encode(strategy, forKey: .strategy)
        try container.encodeIfPresent(strategyRef, forKey: .strategyRef)
        try container.encode(GoDuration.format(interval), forKey: .interval)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(skipAnalysis, forKey: .skipAnalysis)
        try container.encode(GoDuration.format(progressDeadline), forKey: .progressDeadline)
        try container.encode(steps, forKey: .steps)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(webhooks, forKey: .webhooks)
        try container.encode(GoDuration.format(bestTimeToPromotion), forKey: .bestTimeToPromotion)
        try container.encode(worstTimeToPromotion.map(GoDuration.format), forKey: .worstTimeToPromotion)
    }
}

extension PlanStep: Encodable {
    enum CodingKeys: String, CodingKey {
        case action, weight, ticks, duration, name, match, primaryWeights
    }

    public var action: String {
        switch self {
        case .setWeight: return "setWeight"
        case .analyze: return "analyze"
        case .pause: return "pause"
        case .gate: return "gate"
        case .mirror: return "mirror"
        case .match: return "match"
        case .promote: return "promote"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(action, forKey: .action)
        switch self {
        case .setWeight(let weight), .mirror(let weight):
            try container.encode(weight, forKey: .weight)
        case .analyze(let ticks):
            try container.encode(ticks, forKey: .ticks)
        case .pause(let duration):
            try container.encode(GoDuration.format(duration), forKey: .duration)
        case .gate(let name):
            try container.encode(name, forKey: .name)
        case .match(let conditions):
            try container.encode(conditions, forKey: .match)
        case .promote(let primaryWeights):
            if !primaryWeights.isEmpty { try container.encode(primaryWeights, forKey: .primaryWeights) }
        }
    }
}

extension Plan {
    /// A digest of the plan's JSON form, stable across processes: a saved
    /// rollout remembers which plan it was running, so an edited Canary
    /// restarts its analysis instead of reading an old step index against a
    /// new plan.
    public var digest: String {
        // A plan is plain data: encoding it cannot fail.
        (try? ContentDigest.hex(of: self)) ?? ContentDigest.hex([])
    }
}
