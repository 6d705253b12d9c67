/// The router's whole configuration for its data plane: what each workload's
/// listener sends where. It is replaced as a whole (never patched), carries a
/// version so a replay of an older table is refused and a repeat of the same
/// one is a no-op, and travels as JSON over the control socket.
public struct RouteTable: Sendable, Codable, Equatable {
    public var version: Int
    public var routes: [Route]

    public init(version: Int = 0, routes: [Route] = []) {
        self.version = version
        self.routes = routes
    }

    public static let empty = RouteTable()
}

/// One workload: a listener, its backends by role, and how requests are
/// split between them.
public struct Route: Sendable, Codable, Equatable {
    public var workload: String
    /// `host:port` the router listens on for this workload.
    public var listen: String
    public var primary: [String]
    public var canary: [String]
    /// Percent of requests (0…100) sent to the canary.
    public var canaryWeight: Int
    /// Percent of the primary's requests copied to the canary; the copy's
    /// answer is discarded.
    public var mirrorWeight: Int
    /// Requests matching any of these conditions go to the canary (A/B).
    public var match: [MatchCondition]
    public var sessionAffinity: SessionAffinity?
    /// What each side runs: the `revision` label of the router's metrics, so
    /// a release is judged on its own revision's answers only.
    public var primaryRevision: String?
    public var canaryRevision: String?

    public init(workload: String, listen: String, primary: [String], canary: [String] = [], canaryWeight: Int = 0,
                mirrorWeight: Int = 0, match: [MatchCondition] = [], sessionAffinity: SessionAffinity? = nil,
                primaryRevision: String? = nil, canaryRevision: String? = nil) {
        self.workload = workload
        self.listen = listen
        self.primary = primary
        self.canary = canary
        self.canaryWeight = canaryWeight
        self.mirrorWeight = mirrorWeight
        self.match = match
        self.sessionAffinity = sessionAffinity
        self.primaryRevision = primaryRevision
        self.canaryRevision = canaryRevision
    }

    enum CodingKeys: String, CodingKey {
        case workload, listen, primary, canary, canaryWeight, mirrorWeight, match, sessionAffinity, primaryRevision, canaryRevision
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workload = try container.decodeIfPresent(String.self, forKey: .workload) ?? ""
        listen = try container.decodeIfPresent(String.self, forKey: .listen) ?? ""
        primary = try container.decodeIfPresent([String].self, forKey: .primary) ?? []
        canary = try container.decodeIfPresent([String].self, forKey: .canary) ?? []
        canaryWeight = try container.decodeIfPresent(Int.self, forKey: .canaryWeight) ?? 0
        mirrorWeight = try container.decodeIfPresent(Int.self, forKey: .mirrorWeight) ?? 0
        match = try container.decodeIfPresent([MatchCondition].self, forKey: .match) ?? []
        sessionAffinity = try container.decodeIfPresent(SessionAffinity.self, forKey: .sessionAffinity)
        primaryRevision = try container.decodeIfPresent(String.self, forKey: .primaryRevision)
        canaryRevision = try container.decodeIfPresent(String.self, forKey: .canaryRevision)
    }
}

/// Flagger's (Istio's) HTTPMatchRequest, as far as a router on one host can
/// see it: a request matches when every condition given holds. Regexes
/// match the whole value, as Envoy's do.
public struct MatchCondition: Sendable, Codable, Equatable {
    /// The request's path, without its query string.
    public var uri: StringMatch?
    /// `uri`'s exact, prefix and suffix ignore ASCII case; its regex does
    /// not, as in Istio (write `(?i)` in it).
    public var ignoreUriCase: Bool
    /// `http` (the router serves plain HTTP), or the scheme of an
    /// absolute-form request target.
    public var scheme: StringMatch?
    public var method: StringMatch?
    /// The Host header, or the authority of an absolute-form request target.
    public var authority: StringMatch?
    /// By header name, compared ignoring case.
    public var headers: [String: StringMatch]
    /// Compared decoded: `%XX` escapes, and `+` as a space.
    public var queryParams: [String: StringMatch]
    /// The request does not match if one of these headers is present with a
    /// value that holds.
    public var withoutHeaders: [String: StringMatch]

    public init(uri: StringMatch? = nil, ignoreUriCase: Bool = false, scheme: StringMatch? = nil, method: StringMatch? = nil,
                authority: StringMatch? = nil, headers: [String: StringMatch] = [:], queryParams: [String: StringMatch] = [:],
                withoutHeaders: [String: StringMatch] = [:]) {
        self.uri = uri
        self.ignoreUriCase = ignoreUriCase
        self.scheme = scheme
        self.method = method
        self.authority = authority
        self.headers = headers
        self.queryParams = queryParams
        self.withoutHeaders = withoutHeaders
    }

    enum CodingKeys: String, CodingKey {
        case uri, ignoreUriCase, scheme, method, authority, headers, queryParams, withoutHeaders
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uri = try container.decodeIfPresent(StringMatch.self, forKey: .uri)
        ignoreUriCase = try container.decodeIfPresent(Bool.self, forKey: .ignoreUriCase) ?? false
        scheme = try container.decodeIfPresent(StringMatch.self, forKey: .scheme)
        method = try container.decodeIfPresent(StringMatch.self, forKey: .method)
        authority = try container.decodeIfPresent(StringMatch.self, forKey: .authority)
        headers = try container.decodeIfPresent([String: StringMatch].self, forKey: .headers) ?? [:]
        queryParams = try container.decodeIfPresent([String: StringMatch].self, forKey: .queryParams) ?? [:]
        withoutHeaders = try container.decodeIfPresent([String: StringMatch].self, forKey: .withoutHeaders) ?? [:]
    }

    /// Only what is set, so a header-only table reads as it always has.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(uri, forKey: .uri)
        if ignoreUriCase { try container.encode(true, forKey: .ignoreUriCase) }
        try container.encodeIfPresent(scheme, forKey: .scheme)
        try container.encodeIfPresent(method, forKey: .method)
        try container.encodeIfPresent(authority, forKey: .authority)
        try container.encode(headers, forKey: .headers)
        if !queryParams.isEmpty { try container.encode(queryParams, forKey: .queryParams) }
        if !withoutHeaders.isEmpty { try container.encode(withoutHeaders, forKey: .withoutHeaders) }
    }
}

/// How a value is compared; exactly one is set.
public struct StringMatch: Sendable, Codable, Equatable {
    public var exact: String?
    public var prefix: String?
    public var suffix: String?
    public var regex: String?

    public init(exact: String? = nil, prefix: String? = nil, suffix: String? = nil, regex: String? = nil) {
        self.exact = exact
        self.prefix = prefix
        self.suffix = suffix
        self.regex = regex
    }
}

/// Flagger's sessionAffinity: a client sent to the canary by weight gets a
/// cookie that keeps it there; with `primaryCookieName`, one sent to the
/// primary is kept there too.
public struct SessionAffinity: Sendable, Codable, Equatable {
    public var cookieName: String
    public var primaryCookieName: String?
    /// Seconds; Flagger's default is a day.
    public var maxAge: Int

    public init(cookieName: String, primaryCookieName: String? = nil, maxAge: Int = 86_400) {
        self.cookieName = cookieName
        self.primaryCookieName = primaryCookieName
        self.maxAge = maxAge
    }

    enum CodingKeys: String, CodingKey { case cookieName, primaryCookieName, maxAge }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cookieName = try container.decodeIfPresent(String.self, forKey: .cookieName) ?? ""
        primaryCookieName = try container.decodeIfPresent(String.self, forKey: .primaryCookieName)
        maxAge = try container.decodeIfPresent(Int.self, forKey: .maxAge) ?? 86_400
    }
}

extension RouteTable {
    /// Checks the table as the router would before applying it.
    public func validate() throws(RouteTableError) {
        _ = try CompiledTable(self)
    }
}
