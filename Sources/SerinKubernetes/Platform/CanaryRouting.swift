import SerinSpec

/// What Flagger's routers need of a Canary: its `service` spec whole, the
/// provider that shifts traffic, the target's selector label (the one
/// Flagger suffixes `-primary`), the container ports port discovery adds,
/// and the analysis fields the routes and readiness depend on.
public struct CanaryRouting: Sendable, Codable, Hashable {
    /// `gatewayapi:v1`, `gatewayapi:v1beta1` (`gatewayapi` alone), `kubernetes`, `nginx`.
    public var provider: String
    /// The Canary's name (owner of what Serin makes for it).
    public var canary: String
    /// `spec.service` as written.
    public var spec: CanaryService
    /// The apex Service's name.
    public var service: String
    /// The selector label of the target Flagger's `-selector-labels` picks
    /// (app, name or app.kubernetes.io/name) and its value.
    public var selectorLabel: String
    public var selectorValue: String
    /// `service.portDiscovery`: the target's other container ports, by name.
    public var discoveredPorts: [NamedPort]
    /// The user's Ingress (`spec.ingressRef`), for the nginx provider.
    public var ingress: JSONValue?
    /// The apex Service when Git declares it (Flagger takes it over: only
    /// its selector and ports change; Serin's Git sync leaves it to the platform).
    public var apexService: JSONValue?
    /// `analysis.sessionAffinity` as written (the cookie's attributes).
    public var sessionAffinity: SessionAffinity?
    /// The analysis interval, in seconds: the primary cookie's Max-Age.
    public var intervalSeconds: Int
    public var primaryReadyThreshold: Int
    public var canaryReadyThreshold: Int
    /// A finalizer keeps the Canary until its target serves alone again.
    public var revertOnDeletion: Bool

    public struct NamedPort: Sendable, Codable, Hashable {
        public var name: String
        public var port: Int64
    }

    public init(provider: String, canary: String, spec: CanaryService, service: String, selectorLabel: String = "app", selectorValue: String,
                discoveredPorts: [NamedPort] = [], ingress: JSONValue? = nil, apexService: JSONValue? = nil, sessionAffinity: SessionAffinity? = nil, intervalSeconds: Int = 60,
                primaryReadyThreshold: Int = 100, canaryReadyThreshold: Int = 100, revertOnDeletion: Bool = false) {
        self.provider = provider
        self.canary = canary
        self.spec = spec
        self.service = service
        self.selectorLabel = selectorLabel
        self.selectorValue = selectorValue
        self.discoveredPorts = discoveredPorts
        self.ingress = ingress
        self.apexService = apexService
        self.sessionAffinity = sessionAffinity
        self.intervalSeconds = intervalSeconds
        self.primaryReadyThreshold = primaryReadyThreshold
        self.canaryReadyThreshold = canaryReadyThreshold
        self.revertOnDeletion = revertOnDeletion
    }

    public static let providers = Validator.kubernetesProviders

    public var port: Int64 { Int64(spec.port ?? 80) }
    /// `service.targetPort`, a number or a port name; the port when unset.
    public var targetPort: JSONValue {
        switch spec.targetPort {
        case .int(let number)?: .int(Int64(number))
        case .string(let name)?: .string(name)
        case nil: .int(port)
        }
    }
    public var gatewayRefs: [ParentReference] { spec.gatewayRefs ?? [] }
    public var usesGatewayAPI: Bool { provider.hasPrefix("gatewayapi") }
    public var usesNGINX: Bool { provider == "nginx" }
    public var gatewayVersion: String { provider == "gatewayapi:v1" ? "v1" : "v1beta1" }
    public var primarySelectorValue: String { selectorValue + "-primary" }
}
