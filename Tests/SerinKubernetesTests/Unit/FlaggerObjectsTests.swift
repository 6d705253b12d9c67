import Foundation
import SerinEngine
import SerinSpec
import Testing

@testable import SerinKubernetes

/// The objects Flagger makes for a Canary, built without a cluster: what
/// each router writes for a given split of the traffic.
@Suite struct FlaggerObjectsTests {
    static func json(_ yaml: String) throws -> JSONValue {
        let object = try #require(try KubeObject.manifests(yaml: yaml).first)
        return try JSONValue(encoding: object)
    }

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

    static func routing(_ ingress: JSONValue?) -> CanaryRouting {
        CanaryRouting(provider: "nginx", service: "web", port: 80, targetPort: .int(8080), ingress: ingress)
    }

    static func annotation(_ object: JSONValue, _ name: String) -> String? {
        let annotations: JSONValue? = object["metadata"]?["annotations"]
        return annotations?[FlaggerObjects.nginxPrefix + name]?.stringValue
    }

    static func backend(_ object: JSONValue) -> String? {
        let rules: [JSONValue] = object["spec"]?["rules"]?.arrayValue ?? []
        let paths: [JSONValue] = rules.first?["http"]?["paths"]?.arrayValue ?? []
        return paths.first?["backend"]?["service"]?["name"]?.stringValue
    }

    @Test func nginxWeightsGoOnACloneOfTheIngress() throws {
        let ingress = try Self.json(Self.ingress)
        let canary = FlaggerObjects.canaryIngress(ingress, Self.routing(ingress), TrafficRoutes(canaryWeight: 30), namespace: "apps")
        let name: String? = canary["metadata"]?["name"]?.stringValue
        #expect(name == "web-canary")
        #expect(Self.annotation(canary, "canary") == "true")
        #expect(Self.annotation(canary, "canary-weight") == "30", "the user's own canary annotations are replaced")
        let ingressClass: String? = canary["metadata"]?["annotations"]?["kubernetes.io/ingress.class"]?.stringValue
        #expect(ingressClass == "nginx", "other annotations are kept")
        #expect(Self.backend(canary) == "web-canary")
        #expect(Self.backend(ingress) == "web", "the user's Ingress is not changed")
    }

    @Test func nginxMatchesAreHeaderAndCookieAnnotations() throws {
        let ingress = try Self.json(Self.ingress)
        var byHeader = HTTPMatchRequest()
        byHeader.headers = ["x-canary": StringMatch(exact: "insider")]
        var byCookie = HTTPMatchRequest()
        byCookie.headers = ["cookie": StringMatch(exact: "canary")]
        let routes = TrafficRoutes(canaryWeight: 0, match: [byHeader, byCookie])
        let canary = FlaggerObjects.canaryIngress(ingress, Self.routing(ingress), routes, namespace: "apps")
        #expect(Self.annotation(canary, "canary-by-header") == "x-canary")
        #expect(Self.annotation(canary, "canary-by-header-value") == "insider")
        #expect(Self.annotation(canary, "canary-by-cookie") == "canary")
        #expect(Self.annotation(canary, "canary-weight") == "0", "A/B sends only the matched requests")
    }

    @Test func theApexServiceSelectsThePrimaryUntilBlueGreenSwitches() throws {
        let deployment = try Self.json("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: web }
            spec:
              selector: { matchLabels: { app: web } }
              template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: app, image: app }] } }
            """)
        let revision = KubernetesRevision(workload: WorkloadID(namespace: "apps", name: "web"),
                                          origin: RevisionOrigin(source: "apps", commit: "c1", author: nil), deployment: deployment,
                                          routing: CanaryRouting(provider: "kubernetes", service: "web", port: 80, targetPort: .int(8080)))
        let routing = try #require(revision.routing)
        let before = FlaggerObjects.services(revision, routing)
        let after = FlaggerObjects.services(revision, routing, apexOnCanary: true)
        let apexBefore: String? = before[0]["spec"]?["selector"]?["app"]?.stringValue
        let apexAfter: String? = after[0]["spec"]?["selector"]?["app"]?.stringValue
        #expect(apexBefore == "web-primary")
        #expect(apexAfter == "web")
        let primary = FlaggerObjects.primary(revision)
        let primaryName: String? = primary["metadata"]?["name"]?.stringValue
        let podLabel: String? = primary["spec"]?["template"]?["metadata"]?["labels"]?["app"]?.stringValue
        #expect(primaryName == "web-primary")
        #expect(podLabel == "web-primary")
    }

    /// Flagger's Gateway API session affinity: the canary's answers set a
    /// cookie, and requests carrying it stay on the canary.
    @Test func sessionAffinityIsACookieRuleAndASetCookieFilter() throws {
        let routing = CanaryRouting(provider: "gatewayapi:v1", service: "web", port: 80, targetPort: .int(8080))
        let routes = TrafficRoutes(canaryWeight: 20, sessionAffinity: PlanSessionAffinity(cookieName: "canary", maxAge: 60))
        let route = FlaggerObjects.httpRoute(WorkloadID(namespace: "apps", name: "web"), routing, routes, revision: "abc123")
        let rules: [JSONValue] = route["spec"]?["rules"]?.arrayValue ?? []
        #expect(rules.count == 2)
        let match: JSONValue? = rules.first?["matches"]?.arrayValue?.first
        let header: JSONValue? = match?["headers"]?.arrayValue?.first
        #expect(header?["value"]?.stringValue == ".*canary=abc123.*")
        let canaryBackend: JSONValue? = rules.last?["backendRefs"]?.arrayValue?.last
        let filter: JSONValue? = canaryBackend?["filters"]?.arrayValue?.first
        let added: JSONValue? = filter?["responseHeaderModifier"]?["add"]?.arrayValue?.first
        #expect(added?["value"]?.stringValue == "canary=abc123; Max-Age=60")
        #expect(FlaggerObjects.canaryWeight(route, service: "web") == 20)
        // Without weight on the canary nobody is kept there.
        let back = FlaggerObjects.httpRoute(WorkloadID(namespace: "apps", name: "web"), routing,
                                            TrafficRoutes(canaryWeight: 0, sessionAffinity: routes.sessionAffinity), revision: "abc123")
        #expect(back["spec"]?["rules"]?.arrayValue?.count == 1)
    }

    /// Gateway API knows Exact and RegularExpression values: a prefix or a
    /// suffix becomes an anchored regex, never an exact match.
    @Test func httpRouteMatchesSayPrefixesAsRegexes() throws {
        let routing = CanaryRouting(provider: "gatewayapi:v1", service: "web", port: 80, targetPort: .int(8080))
        var request = HTTPMatchRequest(headers: ["x-user": StringMatch(prefix: "beta."), "x-canary": StringMatch(exact: "1")])
        request.queryParams = ["group": StringMatch(suffix: "-rc")]
        request.uri = StringMatch(prefix: "/api")
        let route = FlaggerObjects.httpRoute(WorkloadID(namespace: "apps", name: "web"), routing, TrafficRoutes(canaryWeight: 0, match: [request]))
        let match: JSONValue? = route["spec"]?["rules"]?.arrayValue?.first?["matches"]?.arrayValue?.first
        let headers: [JSONValue] = match?["headers"]?.arrayValue ?? []
        #expect(headers.map { $0["type"]?.stringValue ?? "" } == ["Exact", "RegularExpression"])
        #expect(headers.last?["value"]?.stringValue == #"^beta\..*"#)
        let query: JSONValue? = match?["queryParams"]?.arrayValue?.first
        #expect(query?["value"]?.stringValue == ".*-rc$")
        #expect(match?["path"]?["type"]?.stringValue == "PathPrefix")
        var unsaid = HTTPMatchRequest(headers: ["x-a": StringMatch(exact: "1")])
        unsaid.withoutHeaders = ["x-b": StringMatch(exact: "1")]
        #expect(KubernetesPlatform.unsupportedByHTTPRoute([request]) == nil)
        #expect(KubernetesPlatform.unsupportedByHTTPRoute([unsaid]) == "withoutHeaders")
    }

    @Test func theClusterHoldsWhatGitDeclaresWhateverTheApiserverAdds() throws {
        let desired = try Self.json("""
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: settings, labels: { team: a } }
            data: { greeting: hello }
            """)
        let live = try Self.json("""
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: settings, uid: "1", resourceVersion: "9", labels: { team: a, added: "yes" } }
            data: { greeting: hello }
            """)
        let edited = try Self.json("""
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: settings, labels: { team: a } }
            data: { greeting: edited }
            """)
        #expect(ClusterSync.holds(live, desired))
        #expect(!ClusterSync.holds(edited, desired))
        #expect(ClusterSync.holds(.int(2), .double(2)))
    }
}
