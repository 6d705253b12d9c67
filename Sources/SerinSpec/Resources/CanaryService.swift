/// `spec.service` of a Canary: how Flagger generates Kubernetes services and
/// mesh or ingress routes. On the local platform only `port` and `name`
/// matter; the rest is kept for the Kubernetes platform.
public struct CanaryService: Sendable, Hashable, Codable {
    public var name: String?
    public var port: Int32?
    public var portName: String?
    public var targetPort: IntOrString?
    public var appProtocol: String?
    public var portDiscovery: Bool?
    /// Kubernetes 1.31's Service `trafficDistribution` (`PreferClose`).
    public var trafficDistribution: String?
    /// The Services get `clusterIP: None`.
    public var headless: Bool?
    public var timeout: String?
    /// Gateway API's `timeouts.backendRequest`.
    public var backendTimeout: String?
    public var gateways: [String]?
    public var gatewayRefs: [ParentReference]?
    public var hosts: [String]?
    public var delegation: Bool?
    public var trafficPolicy: JSONValue?
    public var match: [HTTPMatchRequest]?
    public var rewrite: HTTPRewrite?
    public var retries: HTTPRetry?
    public var headers: HeaderRules?
    public var corsPolicy: CorsPolicy?
    /// Gateway API RequestMirror filters on the route.
    public var mirror: [RequestMirror]?
    public var meshName: String?
    public var backends: [String]?
    public var apex: CustomMetadata?
    public var primary: CustomMetadata?
    public var canary: CustomMetadata?
    /// Label and annotation keys of the generated Services that others
    /// (a mesh, a cloud controller) own: Serin never writes them.
    public var unmanagedMetadata: UnmanagedMetadata?

    public init() {}
}

public struct UnmanagedMetadata: Sendable, Hashable, Codable {
    public var labels: [String]?
    public var annotations: [String]?
}

/// Gateway API's HTTPRequestMirrorFilter, as `service.mirror` holds it.
public struct RequestMirror: Sendable, Hashable, Codable {
    public var backendRef: MirrorBackendReference?
}

public struct MirrorBackendReference: Sendable, Hashable, Codable {
    public var group: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var port: Int32?
}

public struct CustomMetadata: Sendable, Hashable, Codable {
    public var labels: [String: String]?
    public var annotations: [String: String]?
}

/// Gateway API ParentReference, for `service.gatewayRefs`.
public struct ParentReference: Sendable, Hashable, Codable {
    public var group: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var sectionName: String?
    public var port: Int32?
}

/// Istio's HTTPMatchRequest: request conditions, used by A/B testing
/// (`analysis.match`) and by `service.match`.
public struct HTTPMatchRequest: Sendable, Hashable, Codable {
    public var name: String?
    public var uri: StringMatch?
    public var scheme: StringMatch?
    public var method: StringMatch?
    public var authority: StringMatch?
    public var headers: [String: StringMatch]?
    public var port: UInt32?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var queryParams: [String: StringMatch]?
    public var ignoreUriCase: Bool?
    public var withoutHeaders: [String: StringMatch]?
    public var sourceNamespace: String?

    public init(headers: [String: StringMatch]? = nil) {
        self.headers = headers
    }
}

/// One of exact, prefix, suffix or regex.
public struct StringMatch: Sendable, Hashable, Codable {
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

public struct HTTPRewrite: Sendable, Hashable, Codable {
    public var uri: String?
    public var authority: String?
    /// Gateway API's path modifier: `ReplaceFullPath` (the default) or `ReplacePrefixMatch`.
    public var type: String?
    public var uriRegexRewrite: RegexRewrite?
}

public struct RegexRewrite: Sendable, Hashable, Codable {
    public var match: String?
    public var rewrite: String?
}

public struct HTTPRetry: Sendable, Hashable, Codable {
    public var attempts: Int?
    public var perTryTimeout: String?
    public var retryOn: String?
    public var retryRemoteLocalities: Bool?
}

/// Istio's Headers: request and response header operations.
public struct HeaderRules: Sendable, Hashable, Codable {
    public var request: HeaderOperations?
    public var response: HeaderOperations?
}

public struct HeaderOperations: Sendable, Hashable, Codable {
    public var set: [String: String]?
    public var add: [String: String]?
    public var remove: [String]?
}

public struct CorsPolicy: Sendable, Hashable, Codable {
    public var allowOrigin: [String]?
    public var allowOrigins: [StringMatch]?
    public var allowMethods: [String]?
    public var allowHeaders: [String]?
    public var exposeHeaders: [String]?
    public var maxAge: String?
    public var allowCredentials: Bool?
    public var unmatchedPreflights: String?
}
