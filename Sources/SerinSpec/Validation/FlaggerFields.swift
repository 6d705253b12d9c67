import Synchronization

/// Every field of Flagger 1.44's `Canary`, `MetricTemplate` and
/// `AlertProvider` (`artifacts/flagger/crd.yaml`), and what Serin does with
/// it on the Kubernetes platform. The validator acts on it (a refused field
/// is an error at its position, a warned one a warning); `docs/flagger-fields.md`
/// is made from it; a test reads the CRD and fails on a field this table
/// does not account for.
public enum FlaggerFields {
    public static let flaggerVersion = "1.44.0"

    public static let all: [FlaggerField] = canary + metricTemplate + alertProvider

    /// The entry for a concrete field path of a kind: the most specific one.
    public static func rule(kind: String, path: String) -> FlaggerField? {
        lookUp(kind: kind, path: path)?.field
    }

    /// The entry a path falls under, and whether the path is the entry's
    /// own field (not a field under a subtree entry).
    struct Found: Sendable {
        var field: FlaggerField
        var isItsField: Bool
    }

    private static let byKind: [String: [FlaggerField]] = Dictionary(grouping: all, by: \.kind)
    /// Answers so far, by kind and path with its list indices taken out
    /// (`spec.analysis.metrics[].name`): every Canary of a repository asks
    /// for the same few dozen paths, and matching a path against the
    /// whole table was most of validating a Canary. Emptied when it holds
    /// too many (map keys are the user's: labels, headers).
    private static let answers = Mutex<[String: Found?]>([:])

    static func lookUp(kind: String, path: String) -> Found? {
        let canonical = withoutIndices(path)
        let key = kind + " " + canonical
        if let known = answers.withLock({ $0[key] }) { return known }
        // Matching is the same without the indices: a pattern's `[]` takes
        // any index, and no pattern holds a digit between brackets.
        let found = (byKind[kind] ?? []).filter { $0.matches(canonical) }.max { $0.path.count < $1.path.count }
            .map { Found(field: $0, isItsField: FlaggerField(kind, $0.path, $0.use).matches(canonical)) }
        answers.withLock { answers in
            if answers.count >= 20_000 { answers.removeAll(keepingCapacity: true) }
            answers[key] = .some(found)
        }
        return found
    }

    /// `a[0].b[12]` → `a[].b[]`.
    static func withoutIndices(_ path: String) -> String {
        guard path.contains("[") else { return path }
        var result = ""
        result.reserveCapacity(path.utf8.count)
        var inIndex = false
        for character in path {
            if inIndex {
                if character == "]" {
                    result.append("]")
                    inIndex = false
                } else if !character.isNumber {
                    // Not an index after all (a map key with a bracket): kept as written.
                    return path
                }
            } else {
                result.append(character)
                if character == "[" { inIndex = true }
            }
        }
        return inIndex ? path : result
    }

    // MARK: - Canary

    private static let routeOnly = "a route field: the kubernetes provider (blue/green by the apex Service's selector) writes no route"
    private static let nginxRoute = "the nginx provider copies the Ingress named by ingressRef: its hosts, paths and annotations say this"
    private static func gatewayOnly(_ how: String, nginx: String = nginxRoute) -> [FlaggerField.Variant] {
        [.init(when: ["kubernetes"], use: .warned(routeOnly)), .init(when: ["nginx"], use: .warned(nginx))]
    }
    private static let switchOnly: [FlaggerField.Variant] = [.init(when: ["kubernetes"], use: .warned(
        "the kubernetes provider switches all traffic at once: as Flagger, Serin runs blue/green (10 iterations unless iterations is set)"))]
    private static let noMirror: [FlaggerField.Variant] = [.init(when: ["nginx", "kubernetes"], use: .warned(
        "the nginx and kubernetes routers cannot mirror requests (Flagger ignores it too); use a gatewayapi provider"))]
    private static let istio = "an Istio VirtualService/DestinationRule field; Serin does not run the istio provider"

    static let canary: [FlaggerField] = {
        let k = "Canary"
        func h(_ path: String, _ how: String, subtree: Bool = false, unless: [FlaggerField.Variant] = []) -> FlaggerField {
            FlaggerField(k, path, .honoured(how), subtree: subtree, unless: unless)
        }
        func w(_ path: String, _ why: String) -> FlaggerField { FlaggerField(k, path, .warned(why), subtree: true) }
        func r(_ path: String, _ why: String) -> FlaggerField { FlaggerField(k, path, .refused(why), subtree: true) }
        let routes = gatewayOnly("")
        return [
            h("spec", "the Canary's spec"),
            h("spec.provider", "gatewayapi, gatewayapi:v1, gatewayapi:v1beta1 (HTTPRoute weights), nginx (canary Ingress), kubernetes "
              + "(blue/green by the apex Service's selector); knative is validated and warned; any other provider is refused, naming the ones Serin runs"),
            h("spec.metricsServer", "the Prometheus the built-in metrics (request-success-rate, request-duration) query for this Canary"),
            h("spec.progressDeadlineSeconds", "how long a canary or a promoted primary may take to become ready before the release fails"),
            h("spec.targetRef", "the workload released"),
            h("spec.targetRef.apiVersion", "apps/v1"),
            h("spec.targetRef.kind", "Deployment and DaemonSet (Flagger's controllers for both); Service is refused: Serin releases pods, not Services"),
            h("spec.targetRef.name", "the Deployment or DaemonSet, declared in Git or found in the cluster (made by another tool)"),
            h("spec.autoscalerRef", "an autoscaler for the primary: `<name>-primary`, scaling `<target>-primary`"),
            h("spec.autoscalerRef.apiVersion", "any version the cluster serves: the autoscaler is read in the version named, "
              + "`<name>-primary` is written in the newest the cluster serves (autoscaling/v2, else v2beta2; keda.sh/v1alpha1)"),
            h("spec.autoscalerRef.kind", "HorizontalPodAutoscaler, or KEDA's ScaledObject (the target's paused with autoscaling.keda.sh/paused-replicas)"),
            h("spec.autoscalerRef.name", "the autoscaler, declared in Git or found in the cluster"),
            h("spec.autoscalerRef.primaryScalerQueries", "a ScaledObject's named triggers get these queries in `<name>-primary`",
              unless: [.init(when: ["HorizontalPodAutoscaler"], use: .warned("used with a KEDA ScaledObject only; an HPA has no queries"))]),
            h("spec.autoscalerRef.primaryScalerReplicas", "min and max replicas of `<name>-primary`"),
            h("spec.autoscalerRef.primaryScalerReplicas.minReplicas", "`<name>-primary`'s minReplicas (minReplicaCount for a ScaledObject)"),
            h("spec.autoscalerRef.primaryScalerReplicas.maxReplicas", "`<name>-primary`'s maxReplicas (maxReplicaCount for a ScaledObject)"),
            h("spec.ingressRef", "the Ingress the nginx provider copies to `<ingress>-canary`", subtree: true,
              unless: [.init(when: ["gatewayapi", "kubernetes"], use: .warned("used by the nginx provider only"))]),
            w("spec.routeRef", "APISIX's route; Serin does not run the apisix provider"),
            w("spec.upstreamRef", "Gloo's upstream; Serin does not run the gloo provider"),
            h("spec.service", "the apex, `-primary` and `-canary` Services and the route"),
            h("spec.service.name", "the apex Service's name (default: the target's)"),
            h("spec.service.port", "the Services' port and the route's backend port"),
            h("spec.service.portName", "the Services' port name (default http)"),
            h("spec.service.appProtocol", "the Services' port appProtocol"),
            h("spec.service.trafficDistribution", "the Services' trafficDistribution (a cluster that does not know the field refuses the Service, and Serin says so)"),
            h("spec.service.targetPort", "the Services' targetPort, a number or a container port's name"),
            h("spec.service.portDiscovery", "the target's other container ports are added to the Services, named as in the pod template"),
            h("spec.service.headless", "the Services get clusterIP: None"),
            h("spec.service.timeout", "the HTTPRoute rules' timeouts.request", unless: routes),
            h("spec.service.backendTimeout", "the HTTPRoute rules' timeouts.backendRequest", unless: routes),
            w("spec.service.meshName", "App Mesh's mesh; Serin does not run the appmesh provider"),
            w("spec.service.backends", "App Mesh's backends; Serin does not run the appmesh provider"),
            h("spec.service.hosts", "the HTTPRoute's hostnames (without them the route catches every host of its Gateways)", unless: routes),
            w("spec.service.delegation", istio),
            h("spec.service.match", "every HTTPRoute rule's matches (uri, method, headers, queryParams; prefix and suffix as regexes); "
              + "what an HTTPRoute cannot say (authority, scheme, withoutHeaders, ignoreUriCase, mesh conditions) is refused", subtree: true, unless: routes),
            h("spec.service.retries", "the HTTPRoute rules' retry (Gateway API 1.2): attempts, and the status codes of retryOn", unless: routes),
            h("spec.service.retries.attempts", "retry.attempts", unless: routes),
            FlaggerField(k, "spec.service.retries.perTryTimeout", .warned("Gateway API has no per-try timeout (retry.backoff is the wait between tries)"),
                         unless: [.init(when: ["kubernetes"], use: .warned(routeOnly)), .init(when: ["nginx"], use: .warned(nginxRoute))]),
            h("spec.service.retries.retryOn", "retry.codes: the status codes listed (and 5xx as 500, 502, 503, 504); "
              + "Envoy's condition names (gateway-error, connect-failure, ...) are warned", unless: routes),
            h("spec.service.rewrite", "an HTTPRoute URLRewrite filter", unless: routes),
            h("spec.service.rewrite.uri", "URLRewrite path: ReplaceFullPath or ReplacePrefixMatch", unless: routes),
            h("spec.service.rewrite.authority", "URLRewrite hostname", unless: routes),
            h("spec.service.rewrite.type", "the path modifier's type (ReplaceFullPath unless ReplacePrefixMatch)", unless: routes),
            h("spec.service.mirror", "HTTPRoute RequestMirror filters, one per entry", subtree: true, unless: routes),
            h("spec.service.headers", "HTTPRoute RequestHeaderModifier and ResponseHeaderModifier filters (set, add, remove)", subtree: true, unless: routes),
            w("spec.service.gateways", "Istio's gateways; the Gateway API provider attaches to service.gatewayRefs"),
            h("spec.service.gatewayRefs", "the HTTPRoute's parentRefs (a Gateway, or for GAMMA a Service)", unless: routes),
            h("spec.service.gatewayRefs[].group", "parentRef group", unless: routes),
            h("spec.service.gatewayRefs[].kind", "parentRef kind (Gateway, or Service for a mesh)", unless: routes),
            h("spec.service.gatewayRefs[].name", "parentRef name", unless: routes),
            h("spec.service.gatewayRefs[].namespace", "parentRef namespace", unless: routes),
            h("spec.service.gatewayRefs[].sectionName", "parentRef sectionName (the listener)", unless: routes),
            h("spec.service.gatewayRefs[].port", "parentRef port", unless: routes),
            h("spec.service.corsPolicy", "an HTTPRoute CORS filter (Gateway API 1.2)", unless: routes),
            h("spec.service.corsPolicy.allowCredentials", "CORS allowCredentials", unless: routes),
            h("spec.service.corsPolicy.allowHeaders", "CORS allowHeaders", unless: routes),
            h("spec.service.corsPolicy.allowMethods", "CORS allowMethods", unless: routes),
            h("spec.service.corsPolicy.allowOrigin", "CORS allowOrigins", unless: routes),
            FlaggerField(k, "spec.service.corsPolicy.allowOrigins", .refused("Gateway API's CORS filter takes origins, not exact/prefix/regex "
                + "patterns (Flagger drops these with an error in its log); use corsPolicy.allowOrigin"), subtree: true,
                unless: [.init(when: ["kubernetes"], use: .warned(routeOnly)), .init(when: ["nginx"], use: .warned(nginxRoute))]),
            h("spec.service.corsPolicy.exposeHeaders", "CORS exposeHeaders", unless: routes),
            h("spec.service.corsPolicy.maxAge", "CORS maxAge, in seconds", unless: routes),
            w("spec.service.trafficPolicy", istio),
            h("spec.service.apex", "labels and annotations of the apex Service (and of the HTTPRoute)"),
            h("spec.service.apex.labels", "apex labels"),
            h("spec.service.apex.annotations", "apex annotations"),
            h("spec.service.primary", "labels and annotations of `<service>-primary`"),
            h("spec.service.primary.labels", "primary labels"),
            h("spec.service.primary.annotations", "primary annotations"),
            h("spec.service.canary", "labels and annotations of `<service>-canary`"),
            h("spec.service.canary.labels", "canary labels"),
            h("spec.service.canary.annotations", "canary annotations"),
            h("spec.service.unmanagedMetadata", "keys of the generated Services' metadata left to whoever sets them"),
            h("spec.service.unmanagedMetadata.annotations", "annotation keys Serin never writes"),
            h("spec.service.unmanagedMetadata.labels", "label keys Serin never writes"),
            h("spec.skipAnalysis", "the canary is promoted as soon as it is ready"),
            h("spec.revertOnDeletion", "a finalizer on the Canary: removing it (from Git, or deleting it) gives the target its replicas back, "
              + "points the apex Service at it and removes what Serin made, before the Canary goes"),
            h("spec.suspend", "the rollout stops where it is (no step, no promotion, no rollback) until the field is cleared"),
            h("spec.analysis", "compiled into the plan (`serin plan`)"),
            h("spec.analysis.interval", "the time between checks"),
            h("spec.analysis.iterations", "blue/green (and with match A/B testing): checks before promotion"),
            h("spec.analysis.threshold", "failed checks before a rollback"),
            h("spec.analysis.maxWeight", "the highest canary weight", unless: switchOnly),
            h("spec.analysis.stepWeight", "the weight added per step", unless: switchOnly),
            h("spec.analysis.stepWeights", "the weights, in order", unless: switchOnly),
            h("spec.analysis.stepWeightPromotion", "after promotion, traffic returns to the primary in these steps", unless: switchOnly),
            h("spec.analysis.mirror", "HTTPRoute RequestMirror to the canary before traffic shifts", unless: noMirror),
            h("spec.analysis.mirrorWeight", "the share of requests mirrored", unless: noMirror),
            h("spec.analysis.primaryReadyThreshold", "percent of the primary's replicas that must be ready for the analysis to go on (default 100)"),
            h("spec.analysis.canaryReadyThreshold", "percent of the canary's replicas that must be ready for it to be judged (default 100)"),
            h("spec.analysis.match", "A/B testing: requests matching go to the canary (HTTPRoute rule; NGINX canary-by-header/cookie)",
              unless: [.init(when: ["kubernetes"], use: .warned("the kubernetes provider switches all traffic at once: as Flagger, "
                                                                 + "Serin releases by blue/green and drops the match"))]),
            h("spec.analysis.match[].headers", "header conditions (NGINX: one header, exact or regex, or a cookie)"),
            h("spec.analysis.match[].headers.*.exact", "exact value"),
            h("spec.analysis.match[].headers.*.prefix", "as a regex (refused with nginx)"),
            h("spec.analysis.match[].headers.*.suffix", "as a regex (refused with nginx)"),
            h("spec.analysis.match[].headers.*.regex", "regex"),
            h("spec.analysis.match[].queryParams", "query parameter conditions (refused with nginx)"),
            h("spec.analysis.match[].queryParams.*.exact", "exact value"),
            h("spec.analysis.match[].queryParams.*.prefix", "as a regex"),
            h("spec.analysis.match[].queryParams.*.regex", "regex"),
            r("spec.analysis.match[].sourceLabels", "a mesh condition (the calling pod's labels) that no Gateway or Ingress sees"),
            h("spec.analysis.metrics", "checked at every interval"),
            h("spec.analysis.metrics[].name", "built-in request-success-rate and request-duration, or the metric's name"),
            h("spec.analysis.metrics[].interval", "the query's window ({{ interval }})"),
            h("spec.analysis.metrics[].threshold", "deprecated bound: a minimum for request-success-rate, else a maximum"),
            h("spec.analysis.metrics[].thresholdRange", "the range the value must stay in"),
            h("spec.analysis.metrics[].thresholdRange.min", "lower bound"),
            h("spec.analysis.metrics[].thresholdRange.max", "upper bound"),
            h("spec.analysis.metrics[].query", "deprecated inline PromQL, against the Canary's metricsServer or the default Prometheus"),
            h("spec.analysis.metrics[].templateRef", "a MetricTemplate"),
            h("spec.analysis.metrics[].templateRef.name", "its name"),
            h("spec.analysis.metrics[].templateRef.namespace", "its namespace (default: the Canary's)"),
            h("spec.analysis.metrics[].templateVariables", "{{ variables.X }} in the template's query"),
            h("spec.analysis.alerts", "notifications of the release"),
            h("spec.analysis.alerts[].name", "the alert's name"),
            h("spec.analysis.alerts[].severity", "info (everything), warn, error"),
            h("spec.analysis.alerts[].providerRef", "an AlertProvider"),
            h("spec.analysis.alerts[].providerRef.name", "its name"),
            h("spec.analysis.alerts[].providerRef.namespace", "its namespace (default: the Canary's)"),
            h("spec.analysis.webhooks", "called as Flagger calls them, with its payload"),
            h("spec.analysis.webhooks[].name", "the hook's name"),
            h("spec.analysis.webhooks[].type", "confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event"),
            h("spec.analysis.webhooks[].muteAlert", "a confirm webhook that keeps the release waiting sends no alert"),
            h("spec.analysis.webhooks[].url", "where the payload is POSTed"),
            h("spec.analysis.webhooks[].timeout", "per attempt"),
            h("spec.analysis.webhooks[].retries", "attempts after a connection error or a 5xx"),
            h("spec.analysis.webhooks[].disableTLS", "the hook's certificate is not verified"),
            h("spec.analysis.webhooks[].metadata", "passed in the payload"),
            h("spec.analysis.sessionAffinity", "clients that reached the canary stay on it: Set-Cookie on its answers, a cookie match rule "
              + "(and for primaryCookieName the same for the primary); the cookie of the last release is expired with Max-Age=-1",
              unless: [.init(when: ["nginx", "kubernetes"], use: .warned("session affinity is written as HTTPRoute rules; "
                                                                          + "the nginx and kubernetes routers have none (Flagger ignores it too)"))]),
            h("spec.analysis.sessionAffinity.cookieName", "the canary's cookie"),
            h("spec.analysis.sessionAffinity.primaryCookieName", "the primary's cookie, valid for one interval"),
            h("spec.analysis.sessionAffinity.domain", "Set-Cookie Domain"),
            h("spec.analysis.sessionAffinity.httpOnly", "Set-Cookie HttpOnly"),
            h("spec.analysis.sessionAffinity.maxAge", "Set-Cookie Max-Age (default 86400)"),
            h("spec.analysis.sessionAffinity.partitioned", "Set-Cookie Partitioned"),
            h("spec.analysis.sessionAffinity.path", "Set-Cookie Path"),
            h("spec.analysis.sessionAffinity.sameSite", "Set-Cookie SameSite"),
            h("spec.analysis.sessionAffinity.secure", "Set-Cookie Secure"),
        ]
    }()

    // MARK: - MetricTemplate

    /// The providers Serin queries, and why the others are refused.
    public static let queriedProviders = ["prometheus", "datadog", "newrelic", "graphite", "influxdb"]
    public static let refusedProviders: [String: String] = [
        "cloudwatch": "needs AWS request signing and an AWS account, which Serin does not implement",
        "stackdriver": "needs Google Cloud credentials and its Monitoring API, which Serin does not implement",
        "dynatrace": "Dynatrace's API is not implemented",
        "keptn": "reads Keptn's CustomResources through the Kubernetes API, which Serin does not implement",
        "splunk": "Splunk Observability's SignalFlow API is not implemented",
        "externalmetrics": "reads the external metrics API of the cluster (KEDA, ...), which Serin does not implement",
        "skywalking": "SkyWalking's GraphQL API is not implemented",
    ]

    static let metricTemplate: [FlaggerField] = {
        let k = "MetricTemplate"
        func h(_ path: String, _ how: String, unless: [FlaggerField.Variant] = []) -> FlaggerField {
            FlaggerField(k, path, .honoured(how), unless: unless)
        }
        return [
            h("spec", "the template"),
            h("spec.provider", "where the query is sent"),
            h("spec.provider.type", "queried: " + queriedProviders.joined(separator: ", ") + "; refused, each with its reason: "
              + refusedProviders.keys.sorted().joined(separator: ", ")),
            h("spec.provider.address", "the provider's API address"),
            h("spec.provider.headers", "sent with every query"),
            h("spec.provider.secretRef", "a Secret read from the cluster and watched: Prometheus `username`/`password` or `token`, "
              + "Datadog `datadog_api_key`/`datadog_application_key`, New Relic `newrelic_account_id`/`newrelic_query_key`, "
              + "Graphite `username`/`password`, InfluxDB `token`"),
            h("spec.provider.secretRef.name", "the Secret, in the template's namespace"),
            FlaggerField(k, "spec.provider.region", .warned("used by the cloudwatch provider only, which Serin refuses")),
            h("spec.provider.insecureSkipVerify", "the provider's TLS certificate is not verified"),
            h("spec.query", "rendered with Flagger's variables, sent to the provider"),
        ]
    }()

    // MARK: - AlertProvider

    static let alertProvider: [FlaggerField] = {
        let k = "AlertProvider"
        func h(_ path: String, _ how: String, unless: [FlaggerField.Variant] = []) -> FlaggerField {
            FlaggerField(k, path, .honoured(how), unless: unless)
        }
        return [
            h("spec", "the provider"),
            h("spec.type", "slack, msteams, discord, rocket, gchat"),
            h("spec.channel", "the Slack (Discord, Rocket.Chat) channel",
              unless: [.init(when: ["msteams", "gchat"], use: .warned("Microsoft Teams and Google Chat webhooks post to the channel of their address"))]),
            h("spec.username", "the name messages are posted as",
              unless: [.init(when: ["msteams", "gchat"], use: .warned("Microsoft Teams and Google Chat webhooks post as the webhook's own user"))]),
            h("spec.address", "the webhook address"),
            h("spec.proxy", "an HTTP proxy for the notifications"),
            h("spec.secretRef", "a Secret read from the cluster and watched: `address`, `token` (sent as a bearer token), `proxy`"),
            h("spec.secretRef.name", "the Secret, in the provider's namespace"),
        ]
    }()
}
