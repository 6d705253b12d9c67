import SerinSpec

/// Everything a router needs to split one workload's requests: the
/// machine's weights with the plan's match conditions and the Canary's
/// session affinity. Each platform turns it into its own terms (the local
/// router's table, an HTTPRoute, NGINX annotations).
public struct TrafficRoutes: Sendable, Equatable, Codable {
    /// Percent of requests served by the canary.
    public var canaryWeight: Int
    /// Percent of primary requests copied to the canary (answers discarded).
    public var mirrorWeight: Int
    /// Requests matching any of these go to the canary (A/B testing).
    public var match: [HTTPMatchRequest]
    /// Clients that reached the canary stay on it (Flagger's sessionAffinity).
    public var sessionAffinity: PlanSessionAffinity?

    public static let allPrimary = TrafficRoutes(canaryWeight: 0)

    public init(canaryWeight: Int, mirrorWeight: Int = 0, match: [HTTPMatchRequest] = [], sessionAffinity: PlanSessionAffinity? = nil) {
        self.canaryWeight = canaryWeight
        self.mirrorWeight = mirrorWeight
        self.match = match
        self.sessionAffinity = sessionAffinity
    }
}

extension Plan {
    /// The routes that carry out the machine's `routes` for this plan.
    public func trafficRoutes(_ routes: Routes) -> TrafficRoutes {
        TrafficRoutes(canaryWeight: routes.canaryWeight, mirrorWeight: routes.mirrorWeight,
                      match: routes.matchToCanary ? matchRequests : [],
                      sessionAffinity: routes.canaryWeight > 0 ? sessionAffinity : nil)
    }

    /// The conditions of the plan's `match` steps, in order.
    public var matchRequests: [HTTPMatchRequest] {
        steps.flatMap { step -> [HTTPMatchRequest] in
            if case .match(let requests) = step { return requests }
            return []
        }
    }
}
