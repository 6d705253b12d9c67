import Foundation
import SerinEngine
import SerinSpec
import Testing

@testable import SerinKubernetes

/// The objects Flagger makes for a Canary, built without a cluster: named,
/// labelled and routed as Flagger's controllers and routers write them.
@Suite struct FlaggerObjectsTests {
    static func json(_ yaml: String) throws -> JSONValue {
        let object = try #require(try KubeObject.manifests(yaml: yaml).first)
        return try JSONValue(encoding: object)
    }

    static func service(_ yaml: String) throws -> CanaryService {
        let canary = try #require(ManifestLoader().load(text: """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: web, namespace: apps }
            spec:
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
              service:
            \(yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
              analysis: { interval: 1m, iterations: 1 }
            """, file: "canary.yaml").canaries.first)
        return try #require(canary.spec.service)
    }

    static let workload = WorkloadID(namespace: "apps", name: "web")
    static let origin = RevisionOrigin(source: "apps", commit: "c1", author: nil)

    /// Flagger's test workload (test/workloads/deployment.yaml), abridged.
    static let podinfo = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: { app.kubernetes.io/name: podinfo, app.kubernetes.io/managed-by: test-label-prefix, kustomize.toolkit.fluxcd.io/name: apps }
          annotations: { app.kubernetes.io/instance: test-annotation-prefix }
        spec:
          minReadySeconds: 5
          revisionHistoryLimit: 5
          progressDeadlineSeconds: 60
          strategy: { rollingUpdate: { maxUnavailable: 0 }, type: RollingUpdate }
          replicas: 2
          selector: { matchLabels: { app: web, tier: front } }
          template:
            metadata:
              labels: { app: web, tier: front }
              annotations: { prometheus.io/scrape: "true" }
            spec:
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    - labelSelector: { matchLabels: { app: web } }
                      topologyKey: kubernetes.io/hostname
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 1
                      podAffinityTerm:
                        labelSelector: { matchExpressions: [{ key: app, operator: In, values: [web, other] }] }
                        topologyKey: zone
              topologySpreadConstraints:
                - { maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { app: web } } }
              containers:
                - name: podinfod
                  image: ghcr.io/stefanprodan/podinfo:6.0.0
                  ports:
                    - { name: http, containerPort: 9898 }
                    - { name: http-metrics, containerPort: 9797 }
                    - { containerPort: 9999 }
                - name: istio-proxy
                  image: proxy
                  ports: [{ containerPort: 15090 }]
        """

    static func revision(_ target: JSONValue, service: CanaryService, provider: String = "gatewayapi:v1",
                         kind: KubernetesRevision.TargetKind = .deployment, affinity: SessionAffinity? = nil) throws -> KubernetesRevision {
        let selector = try #require(FlaggerObjects.selectorLabel(of: target))
        let routing = CanaryRouting(provider: provider, canary: "web", spec: service, service: service.name ?? "web",
                                    selectorLabel: selector.label, selectorValue: selector.value,
                                    discoveredPorts: service.portDiscovery == true
                                        ? FlaggerObjects.discoveredPorts(target["spec"]?["template"] ?? .null, service: service) : [],
                                    sessionAffinity: affinity, intervalSeconds: 15)
        return KubernetesRevision(workload: workload, origin: origin, kind: kind, target: target, routing: routing)
    }

    static let owner = FlaggerObjects.owner(canary: "web", uid: "0000-1111")

    /// The value a filter list's first ResponseHeaderModifier adds.
    static func added(_ filters: JSONValue?) -> String? {
        let filter: JSONValue? = filters?.arrayValue?.last
        let add: JSONValue? = filter?["responseHeaderModifier"]?["add"]
        return add?.arrayValue?.first?["value"]?.stringValue
    }

    /// The value of a rule's first match's first header condition.
    static func headerValue(_ rule: JSONValue?) -> String? {
        let match: JSONValue? = rule?["matches"]?.arrayValue?.first
        return match?["headers"]?.arrayValue?.first?["value"]?.stringValue
    }

    // MARK: - The primary

    /// Only the label Flagger picks is suffixed, so a `-primary` Flagger
    /// made (its selector is immutable) is the one Serin writes.
    @Test func thePrimarySelectsByFlaggersOneLabelAndCopiesTheRest() throws {
        let target = try Self.json(Self.podinfo)
        let revision = try Self.revision(target, service: Self.service("port: 9898"))
        let routing = try #require(revision.routing)
        #expect(routing.selectorLabel == "app" && routing.selectorValue == "web")
        let primary = FlaggerObjects.primary(revision, routing, replicas: 2, owner: Self.owner)
        #expect(primary["metadata"]?["name"] == "web-primary")
        #expect(primary["spec"]?["selector"] == ["matchLabels": ["app": "web-primary"]])
        let podLabels = primary["spec"]?["template"]?["metadata"]?["labels"]
        #expect(podLabels == ["app": "web-primary", "tier": "front"])
        let labels = primary["metadata"]?["labels"]
        #expect(labels?["app.kubernetes.io/managed-by"] == "test-label-prefix")
        #expect(labels?["app"] == "web-primary")
        #expect(labels?["kustomize.toolkit.fluxcd.io/name"] == nil, "Flux's markers are never copied")
        #expect(primary["metadata"]?["annotations"]?["app.kubernetes.io/instance"] == "test-annotation-prefix")
        #expect(primary["metadata"]?["ownerReferences"] == [Self.owner])
        for field in ["minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "strategy"] {
            #expect(primary["spec"]?[field] == target["spec"]?[field], "\(field) is copied")
        }
        #expect(primary["spec"]?["replicas"] == 2)
        let spec = primary["spec"]?["template"]?["spec"]
        let required = spec?["affinity"]?["podAntiAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue?.first
        #expect(required?["labelSelector"]?["matchLabels"]?["app"] == "web-primary")
        let preferred = spec?["affinity"]?["podAntiAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue?.first
        #expect(preferred?["podAffinityTerm"]?["labelSelector"]?["matchExpressions"]?.arrayValue?.first?["values"] == ["web-primary", "other"])
        let spread = spec?["topologySpreadConstraints"]?.arrayValue?.first
        #expect(spread?["labelSelector"]?["matchLabels"]?["app"] == "web-primary")
        #expect(FlaggerObjects.primary(revision, routing, replicas: nil, owner: nil)["spec"]?["replicas"] == nil, "an autoscaler's replicas")
    }

    @Test(arguments: [("{ app: web }", "app"), ("{ name: web, team: a }", "name"),
                      ("{ app.kubernetes.io/name: web, app.kubernetes.io/part-of: shop }", "app.kubernetes.io/name")])
    func theSelectorLabelIsTheFirstOfFlaggers(_ labels: String, _ expected: String) throws {
        let target = try Self.json("apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { selector: { matchLabels: \(labels) } }")
        #expect(FlaggerObjects.selectorLabel(of: target)?.label == expected)
        let other = try Self.json("apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { selector: { matchLabels: { tier: a } } }")
        #expect(FlaggerObjects.selectorLabel(of: other) == nil)
        #expect(FlaggerObjects.selectorLabel(of: other, labels: ["tier"])?.label == "tier")
    }

    /// Flagger's daemonset controller: a DaemonSet is "scaled to zero"
    /// with a node selector no node has, and the template Serin judges is
    /// the one without it.
    @Test func aDaemonSetScalesByANodeSelector() throws {
        let target = try Self.json("""
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: { name: web }
            spec:
              selector: { matchLabels: { app.kubernetes.io/name: web } }
              template: { metadata: { labels: { app.kubernetes.io/name: web } }, spec: { containers: [{ name: app, image: app }] } }
            """)
        let revision = try Self.revision(target, service: Self.service("port: 80"), provider: "kubernetes", kind: .daemonSet)
        let routing = try #require(revision.routing)
        let primary = FlaggerObjects.primary(revision, routing, replicas: 3, owner: nil)
        #expect(primary["kind"] == "DaemonSet")
        #expect(primary["spec"]?["replicas"] == nil)
        #expect(primary["spec"]?["selector"] == ["matchLabels": ["app.kubernetes.io/name": "web-primary"]])
        let down = FlaggerObjects.daemonSetScale(Self.workload, zero: true)
        #expect(down["spec"]?["template"]?["spec"]?["nodeSelector"] == ["flagger.app/scale-to-zero": "true"])
        var scaled = target["spec"]?["template"] ?? .null
        scaled["spec"]?["nodeSelector"] = ["flagger.app/scale-to-zero": "true"]
        #expect(FlaggerObjects.unscaled(scaled) == target["spec"]?["template"])
        #expect(FlaggerObjects.target(revision)["spec"]?["replicas"] == nil)
    }

    // MARK: - Services

    @Test func servicesAreFlaggersWithTheirPortsAndMetadata() throws {
        let target = try Self.json(Self.podinfo)
        let service = try Self.service("""
            port: 80
            portName: tcp-web
            targetPort: http
            appProtocol: http
            portDiscovery: true
            headless: true
            trafficDistribution: PreferClose
            apex: { labels: { tier: edge }, annotations: { owner: shop, managed.example/by: mesh } }
            canary: { annotations: { canary: "yes" } }
            unmanagedMetadata: { annotations: [managed.example/by] }
            """)
        let revision = try Self.revision(target, service: service)
        let routing = try #require(revision.routing)
        #expect(routing.discoveredPorts.map(\.name) == ["http-metrics", "tcp-podinfod-2"], "the service's own port and the proxy's are not discovered")
        let services = FlaggerObjects.services(routing, namespace: "apps", owner: Self.owner)
        #expect(services.map { $0["metadata"]?["name"]?.stringValue } == ["web", "web-primary", "web-canary"])
        #expect(services.map { $0["spec"]?["selector"]?["app"]?.stringValue } == ["web-primary", "web-primary", "web"])
        let apex = services[0]
        let ports = apex["spec"]?["ports"]?.arrayValue ?? []
        #expect(ports.first == ["name": "tcp-web", "protocol": "TCP", "port": 80, "targetPort": "http", "appProtocol": "http"])
        #expect(ports.dropFirst().map { $0["name"]?.stringValue } == ["http-metrics", "tcp-podinfod-2"])
        #expect(apex["spec"]?["clusterIP"] == "None")
        #expect(apex["spec"]?["trafficDistribution"] == "PreferClose")
        #expect(apex["metadata"]?["labels"] == ["tier": "edge", "app": "web"])
        #expect(apex["metadata"]?["annotations"]?["owner"] == "shop")
        #expect(apex["metadata"]?["annotations"]?["managed.example/by"] == nil, "an unmanaged key is never written")
        #expect(apex["metadata"]?["annotations"]?["kustomize.toolkit.fluxcd.io/reconcile"] == "disabled")
        #expect(apex["metadata"]?["annotations"]?["helm.toolkit.fluxcd.io/driftDetection"] == "disabled")
        #expect(services[2]["metadata"]?["annotations"]?["canary"] == "yes")
        #expect(services[1]["metadata"]?["ownerReferences"] == [Self.owner])
    }

    /// A Service Git declares under the apex's name is taken over as
    /// Flagger does: its selector and ports change, the rest stays as written.
    @Test func aDeclaredApexServiceKeepsWhatGitWrites() throws {
        let declared = try Self.json("""
            apiVersion: v1
            kind: Service
            metadata: { name: web-svc, labels: { team: a } }
            spec: { type: ClusterIP, selector: { app: web }, ports: [{ name: http, port: 9898, targetPort: http }] }
            """)
        var routing = try #require(try Self.revision(try Self.json(Self.podinfo), service: Self.service("name: web-svc\nport: 80\ntargetPort: 9898")).routing)
        routing.apexService = declared
        let apex = FlaggerObjects.services(routing, namespace: "apps", owner: Self.owner, declaredApex: declared)[0]
        #expect(apex["metadata"]?["labels"] == ["team": "a"])
        #expect(apex["metadata"]?["ownerReferences"] == nil, "Git owns it")
        #expect(apex["spec"]?["selector"] == ["app": "web-primary"])
        #expect(apex["spec"]?["ports"] == [["name": "http", "protocol": "TCP", "port": 80, "targetPort": 9898]])
        #expect(apex["metadata"]?["annotations"]?["kustomize.toolkit.fluxcd.io/reconcile"] == "disabled")
    }

    // MARK: - HTTPRoute

    @Test func theHTTPRouteHasEveryServiceFieldGatewayAPIHas() throws {
        let service = try Self.service("""
            port: 9898
            hosts: [www.example.com]
            gatewayRefs:
              - { name: mesh, kind: Service, group: core, port: 9898 }
              - { name: gateway, namespace: istio-ingress, sectionName: https }
            match: [{ uri: { prefix: /api } }, { headers: { x-region: { exact: eu } } }]
            timeout: 30s
            backendTimeout: 10s
            retries: { attempts: 3, perTryTimeout: 5s, retryOn: "5xx,429" }
            headers: { request: { set: { x-from: serin }, remove: [x-debug] }, response: { add: { x-served-by: web } } }
            rewrite: { uri: /v2, type: ReplacePrefixMatch, authority: api.example.com }
            mirror: [{ backendRef: { name: shadow, port: 8080 } }]
            corsPolicy: { allowOrigin: ["https://example.com"], allowMethods: [GET], allowCredentials: true, maxAge: 24h }
            """)
        let revision = try Self.revision(try Self.json(Self.podinfo), service: service)
        let routing = try #require(revision.routing)
        let route = FlaggerObjects.httpRoute(Self.workload, routing, TrafficRoutes(canaryWeight: 30), owner: Self.owner)
        #expect(route["apiVersion"] == "gateway.networking.k8s.io/v1")
        #expect(route["spec"]?["hostnames"] == ["www.example.com"])
        #expect(route["spec"]?["parentRefs"] == [["name": "mesh", "kind": "Service", "group": "core", "port": 9898],
                                                  ["name": "gateway", "namespace": "istio-ingress", "sectionName": "https"]])
        let rules = route["spec"]?["rules"]?.arrayValue ?? []
        #expect(rules.count == 1)
        let rule = try #require(rules.first)
        #expect(rule["matches"] == [["path": ["type": "PathPrefix", "value": "/api"]],
                                    ["headers": [["name": "x-region", "type": "Exact", "value": "eu"]]]])
        #expect(rule["timeouts"] == ["request": "30s", "backendRequest": "10s"])
        #expect(rule["retry"] == ["attempts": 3, "codes": [500, 502, 503, 504, 429]])
        let filters = rule["filters"]?.arrayValue ?? []
        #expect(filters.map { $0["type"]?.stringValue ?? "" } == ["RequestHeaderModifier", "ResponseHeaderModifier", "URLRewrite", "RequestMirror", "CORS"])
        #expect(filters[0]["requestHeaderModifier"] == ["set": [["name": "x-from", "value": "serin"]], "remove": ["x-debug"]])
        #expect(filters[2]["urlRewrite"] == ["hostname": "api.example.com", "path": ["type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"]])
        #expect(filters[3]["requestMirror"] == ["backendRef": ["name": "shadow", "port": 8080]])
        #expect(filters[4]["cors"] == ["allowOrigins": ["https://example.com"], "allowMethods": ["GET"], "allowCredentials": true, "maxAge": 86400])
        #expect(rule["backendRefs"] == [["group": "", "kind": "Service", "name": "web-primary", "port": 9898, "weight": 70],
                                        ["group": "", "kind": "Service", "name": "web-canary", "port": 9898, "weight": 30]])
        #expect(FlaggerObjects.canaryWeight(route, service: "web") == 30)
        #expect(route["metadata"]?["ownerReferences"] == [Self.owner])
    }

    /// A route with no `service.match` catches `/` (Flagger's default);
    /// A/B matches (merged with the service's) go to the canary, the rest
    /// to the primary.
    @Test func abTestingIsAMatchRuleThenThePrimary() throws {
        let routing = try #require(try Self.revision(try Self.json(Self.podinfo), service: Self.service("port: 80\ngatewayRefs: [{ name: gw }]")).routing)
        let insider = HTTPMatchRequest(headers: ["x-canary": StringMatch(exact: "insider")])
        let route = FlaggerObjects.httpRoute(Self.workload, routing, TrafficRoutes(canaryWeight: 0, match: [insider]), owner: nil)
        let rules = route["spec"]?["rules"]?.arrayValue ?? []
        #expect(rules.count == 2)
        #expect(rules[0]["matches"] == [["path": ["type": "PathPrefix", "value": "/"], "headers": [["name": "x-canary", "type": "Exact", "value": "insider"]]]])
        #expect(rules[0]["backendRefs"]?.arrayValue?.map { $0["weight"] } == [0, 100])
        #expect(rules[1]["matches"] == [["path": ["type": "PathPrefix", "value": "/"]]])
        #expect(rules[1]["backendRefs"]?.arrayValue?.map { $0["name"] } == ["web-primary"])
    }

    /// Flagger's Gateway API session affinity: the canary's answers set its
    /// cookie with every attribute; the primary's (primaryCookieName) for
    /// one interval; requests with a cookie stay on their side; once the
    /// canary has no weight the last release's cookie is expired.
    @Test func sessionAffinityIsCookieRulesAndSetCookieFilters() throws {
        var affinity = SessionAffinity()
        affinity.cookieName = "canary-flagger-cookie"
        affinity.primaryCookieName = "primary-flagger-cookie"
        affinity.maxAge = 60
        affinity.domain = "example.com"
        affinity.httpOnly = true
        affinity.path = "/"
        affinity.sameSite = "Strict"
        affinity.secure = true
        let routing = try #require(try Self.revision(try Self.json(Self.podinfo), service: Self.service("port: 80\ngatewayRefs: [{ name: gw }]"),
                                                     affinity: affinity).routing)
        let cookies = FlaggerObjects.Cookies(canary: "abc123", primary: "def456")
        let route = FlaggerObjects.httpRoute(Self.workload, routing, TrafficRoutes(canaryWeight: 10), cookies: cookies, owner: nil)
        let rules = route["spec"]?["rules"]?.arrayValue ?? []
        #expect(rules.count == 3)
        #expect(Self.headerValue(rules[0]) == ".*canary-flagger-cookie.*abc123.*")
        #expect(rules[0]["backendRefs"]?.arrayValue?.map { $0["weight"] } == [0, 100])
        #expect(Self.headerValue(rules[1]) == ".*primary-flagger-cookie.*def456.*")
        #expect(rules[1]["backendRefs"]?.arrayValue?.map { $0["weight"] } == [100, 0])
        let backends = rules[2]["backendRefs"]?.arrayValue ?? []
        #expect(Self.added(backends[1]["filters"]) == "canary-flagger-cookie=abc123; Max-Age=60; Domain=example.com; HttpOnly; Path=/; SameSite=Strict; Secure")
        #expect(Self.added(backends[0]["filters"]) == "primary-flagger-cookie=def456; Max-Age=15; Domain=example.com; HttpOnly; Path=/; SameSite=Strict; Secure")
        #expect(FlaggerObjects.canaryWeight(route, service: "web") == 10)
        #expect(FlaggerObjects.canaryCookie(in: route, name: "canary-flagger-cookie") == "abc123")
        let after = FlaggerObjects.httpRoute(Self.workload, routing, .allPrimary, cookies: .init(previous: "abc123"), owner: nil)
        let afterRules = after["spec"]?["rules"]?.arrayValue ?? []
        #expect(afterRules.count == 2)
        #expect(Self.added(afterRules[0]["filters"]) == "canary-flagger-cookie=abc123; Max-Age=-1")
        #expect(FlaggerObjects.canaryWeight(after, service: "web") == 0)
    }

    /// Written and pruned by an older Gateway API's CRD is not honoured: said.
    @Test func fieldsTheClusterDroppedAreNamed() {
        let written: JSONValue = ["rules": [["retry": ["attempts": 3], "backendRefs": []]], "hostnames": ["a"]]
        let stored: JSONValue = ["rules": [["backendRefs": []]], "hostnames": ["a"]]
        #expect(FlaggerObjects.dropped(written, stored) == ["spec.rules[0].retry"])
        #expect(FlaggerObjects.dropped(written, written).isEmpty)
    }

    // MARK: - nginx

    static let ingress = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web
          annotations: { kubernetes.io/ingress.class: nginx, nginx.ingress.kubernetes.io/canary-weight: "7" }
        spec:
          rules:
            - host: web.example
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend: { service: { name: web, port: { number: 80 } } }
        """

    static func annotation(_ object: JSONValue, _ name: String) -> String? {
        object["metadata"]?["annotations"]?[FlaggerObjects.nginxPrefix + name]?.stringValue
    }

    @Test func nginxWeightsAndMatchesGoOnACloneOfTheIngress() throws {
        let ingress = try Self.json(Self.ingress)
        var routing = try #require(try Self.revision(try Self.json(Self.podinfo), service: Self.service("port: 80"), provider: "nginx").routing)
        routing.ingress = ingress
        let canary = FlaggerObjects.canaryIngress(ingress, routing, TrafficRoutes(canaryWeight: 30), namespace: "apps", owner: Self.owner)
        #expect(canary["metadata"]?["name"] == "web-canary")
        #expect(Self.annotation(canary, "canary") == "true")
        #expect(Self.annotation(canary, "canary-weight") == "30")
        #expect(canary["metadata"]?["annotations"]?["kubernetes.io/ingress.class"] == "nginx")
        #expect(canary["metadata"]?["ownerReferences"] == [Self.owner])
        let backend = canary["spec"]?["rules"]?.arrayValue?.first?["http"]?["paths"]?.arrayValue?.first?["backend"]?["service"]?["name"]
        #expect(backend == "web-canary")
        let byHeader = HTTPMatchRequest(headers: ["x-canary": StringMatch(exact: "insider")])
        let byCookie = HTTPMatchRequest(headers: ["cookie": StringMatch(exact: "canary")])
        let ab = FlaggerObjects.canaryIngress(ingress, routing, TrafficRoutes(canaryWeight: 0, match: [byHeader, byCookie]), namespace: "apps")
        #expect(Self.annotation(ab, "canary-by-header") == "x-canary")
        #expect(Self.annotation(ab, "canary-by-header-value") == "insider")
        #expect(Self.annotation(ab, "canary-by-cookie") == "canary")
        #expect(Self.annotation(ab, "canary-weight") == "0")
    }

    // MARK: - Autoscalers

    static let hpa = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: { name: web, labels: { team: a } }
        spec:
          scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
          minReplicas: 2
          maxReplicas: 4
          metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 99 } } }]
          behavior: { scaleDown: { stabilizationWindowSeconds: 60 } }
        """

    /// `<hpa>-primary` is written in the version the cluster serves: the
    /// autoscaling/v2 path (no 1.20 apiserver serves it, hence this unit
    /// test), v2beta2 (the test cluster's), and v1 where it can say it.
    @Test(arguments: ["autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1"])
    func thePrimaryAutoscalerIsWrittenInTheServedVersion(_ version: String) throws {
        let source = try Self.json(Self.hpa)
        let reference = AutoscalerReferenceValue(apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", name: "web", object: source,
                                                 primaryMinReplicas: 3)
        let primary = try FlaggerObjects.primaryHPA(source, reference: reference, target: "web", namespace: "apps", version: version, owner: Self.owner)
        #expect(primary["apiVersion"] == .string(version))
        #expect(primary["metadata"]?["name"] == "web-primary")
        #expect(primary["metadata"]?["labels"] == ["team": "a"])
        #expect(primary["spec"]?["scaleTargetRef"]?["name"] == "web-primary")
        #expect(primary["spec"]?["minReplicas"] == 3, "primaryScalerReplicas.minReplicas")
        #expect(primary["spec"]?["maxReplicas"] == 4)
        if version == "autoscaling/v1" {
            #expect(primary["spec"]?["targetCPUUtilizationPercentage"] == 99)
            #expect(primary["spec"]?["metrics"] == nil)
        } else {
            #expect(primary["spec"]?["metrics"] == source["spec"]?["metrics"])
            #expect(primary["spec"]?["behavior"] == source["spec"]?["behavior"])
        }
        var v1 = source
        v1["apiVersion"] = "autoscaling/v1"
        v1["spec"] = ["scaleTargetRef": ["kind": "Deployment", "name": "web"], "maxReplicas": 4, "targetCPUUtilizationPercentage": 80]
        let upgraded = try FlaggerObjects.hpaSpec(v1, in: "autoscaling/v2")
        #expect(upgraded["metrics"] == [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]])
        var memory = source
        memory["spec"]?["metrics"] = [["type": "Resource", "resource": ["name": "memory", "target": ["type": "Utilization", "averageUtilization": 80]]]]
        #expect(throws: FlaggerObjects.AutoscalerError.self) { try FlaggerObjects.hpaSpec(memory, in: "autoscaling/v1") }
    }

    /// Flagger's ScaledObject reconciler: `<so>-primary` scales the primary,
    /// its queries name the primary (or are primaryScalerQueries), its HPA is `<name>-primary`.
    @Test func thePrimaryScaledObjectIsFlaggers() throws {
        let source = try Self.json("""
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: { name: web-so, annotations: { autoscaling.keda.sh/paused-replicas: "0" } }
            spec:
              scaleTargetRef: { name: web }
              minReplicaCount: 1
              maxReplicaCount: 3
              advanced: { horizontalPodAutoscalerConfig: { name: web-hpa } }
              triggers:
                - { type: prometheus, name: rps, metadata: { query: 'sum(rate(http_requests_total{pod=~"web-canary.*|web-.*"}[1m]))' } }
                - { type: cpu, name: cpu, metadata: { value: "80" } }
            """)
        let reference = AutoscalerReferenceValue(apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", name: "web-so", object: source,
                                                 primaryMaxReplicas: 5)
        let primary = FlaggerObjects.primaryScaledObject(source, reference: reference, target: "web", namespace: "apps", owner: Self.owner)
        #expect(primary["metadata"]?["name"] == "web-so-primary")
        #expect(primary["metadata"]?["annotations"]?["autoscaling.keda.sh/paused-replicas"] == nil, "the primary's is not paused")
        #expect(primary["spec"]?["scaleTargetRef"]?["name"] == "web-primary")
        #expect(primary["spec"]?["maxReplicaCount"] == 5)
        #expect(primary["spec"]?["advanced"]?["horizontalPodAutoscalerConfig"]?["name"] == "web-hpa-primary")
        let query = primary["spec"]?["triggers"]?.arrayValue?.first?["metadata"]?["query"]?.stringValue
        #expect(query == #"sum(rate(http_requests_total{pod=~"web-primary.*|web-primary-.*"}[1m]))"#)
        var explicit = reference
        explicit.primaryQueries = ["rps": "sum(rate(x[1m]))"]
        let chosen = FlaggerObjects.primaryScaledObject(source, reference: explicit, target: "web", namespace: "apps", owner: nil)
        #expect(chosen["spec"]?["triggers"]?.arrayValue?.first?["metadata"]?["query"] == "sum(rate(x[1m]))")
        #expect(FlaggerObjects.pausedScaledObject("web-so", namespace: "apps", paused: true)["metadata"]?["annotations"]
                == ["autoscaling.keda.sh/paused-replicas": "0"])
    }

    // MARK: - Revisions

    /// A revision saved by an earlier Serin (a Deployment under
    /// `deployment`) still loads.
    @Test func aRevisionSavedBeforeDaemonSetsStillLoads() throws {
        let saved = #"{"id":"abc","workload":{"namespace":"apps","name":"web"},"origin":{"source":"apps","commit":"c1"},"deployment":{"kind":"Deployment"},"configs":{"configMaps":[],"secrets":[]}}"#
        let revision = try JSONDecoder().decode(KubernetesRevision.self, from: Data(saved.utf8))
        #expect(revision.kind == .deployment && revision.declared && revision.target == ["kind": "Deployment"])
        let again = try JSONDecoder().decode(KubernetesRevision.self, from: JSONEncoder().encode(revision))
        #expect(again == revision)
    }

    /// Flagger's config tracking: optional references, and a config whose
    /// data changes, makes a new revision.
    @Test func configReferencesKnowOptionalOnesAndChecksums() throws {
        let template = try Self.json("""
            apiVersion: v1
            kind: Template
            metadata: { name: t }
            spec:
              volumes: [{ name: a, configMap: { name: settings } }, { name: b, secret: { secretName: maybe, optional: true } }]
              containers: [{ name: app, envFrom: [{ configMapRef: { name: env, optional: true } }, { configMapRef: { name: env } }] }]
            """)["spec"] ?? .null
        var references = ConfigReferences(template: ["spec": template])
        #expect(references.configMaps == ["settings", "env"])
        #expect(references.secrets == ["maybe"])
        #expect(references.isOptional(.secret, "maybe"))
        #expect(!references.isOptional(.configMap, "env"), "optional in one place, required in another")
        references.drop(.secret, "maybe")
        references.track(.configMap, "settings", data: ["greeting": "hello"])
        let one = KubernetesRevision(workload: Self.workload, origin: Self.origin, target: ["spec": ["template": ["spec": template]]],
                                     routing: try Self.revision(try Self.json(Self.podinfo), service: Self.service("port: 80")).routing, configs: references)
        references.track(.configMap, "settings", data: ["greeting": "bonjour"])
        let two = KubernetesRevision(workload: Self.workload, origin: Self.origin, target: ["spec": ["template": ["spec": template]]],
                                     routing: one.routing, configs: references)
        #expect(one.id != two.id)
        let renamed = references.renamed(in: ["spec": template])
        #expect(renamed["spec"]?["volumes"]?.arrayValue?.last?["secret"]?["secretName"] == "maybe", "an untracked config keeps its name")
        #expect(renamed["spec"]?["volumes"]?.arrayValue?.first?["configMap"]?["name"] == "settings-primary")
    }
}
