import Testing
@testable import SerinSpec

/// What the field table cannot say alone, on the Kubernetes platform: the
/// conditions a router cannot express, refused where they are written, and
/// what depends on the router a Canary runs with.
@Suite struct KubernetesFieldValidationTests {
    static func canary(provider: String?, service: String = "{ port: 80, gatewayRefs: [{ name: gw }] }", analysis: String,
                       extra: String = "") -> String {
        """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: { name: web, namespace: test }
        spec:
        \(provider.map { "  provider: \"\($0)\"\n" } ?? "")  targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
          service: \(service)
          analysis: \(analysis)\(extra)
        """
    }

    static func messages(_ yaml: String, defaultProvider: String = "kubernetes") -> [String] {
        Validator(platform: .kubernetes, defaultProvider: defaultProvider).validate(ManifestLoader().load(text: yaml, file: "test.yaml"))
            .map(\.description)
    }

    @Test func whatAnHTTPRouteCannotMatchIsRefusedWhereItIsWritten() {
        let yaml = Self.canary(provider: "gatewayapi:v1", service: """
            { port: 80, gatewayRefs: [{ name: gw }], match: [{ authority: { exact: a.example.com } }, { method: { prefix: G } }] }
            """, analysis: "{ interval: 1m, iterations: 2, match: [{ headers: { x-a: { exact: b } }, sourceLabels: { app: c } }] }")
        let found = Self.messages(yaml)
        #expect(found.contains { $0.contains("service.match[0].authority cannot be said in an HTTPRoute") }, "\(found)")
        #expect(found.contains { $0.contains("service.match[1].method cannot be said in an HTTPRoute") }, "\(found)")
        #expect(found.contains { $0.contains("analysis.match[0].sourceLabels cannot be honoured by Serin on Kubernetes") }, "\(found)")
    }

    /// NGINX's canary annotations: one header (exact or regex) and one cookie.
    @Test func nginxTakesOneHeaderAndOneCookie() {
        let ok = Self.canary(provider: "nginx", service: "{ port: 80 }",
                             analysis: "{ interval: 1m, iterations: 2, match: [{ headers: { x-canary: { exact: insider } } }, { headers: { cookie: { exact: canary } } }] }",
                             extra: "\n  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: web }")
        #expect(Self.messages(ok).isEmpty, "\(Self.messages(ok))")
        let two = ok.replacingOccurrences(of: "{ headers: { cookie: { exact: canary } } }", with: "{ headers: { x-b: { regex: \"^b\" } } }")
        #expect(Self.messages(two).contains { $0.contains("holds 2 header and 0 cookie conditions") })
        let prefix = ok.replacingOccurrences(of: "{ exact: insider }", with: "{ prefix: ins }")
        #expect(Self.messages(prefix).contains { $0.contains("must be exact or regex") })
        let query = ok.replacingOccurrences(of: "{ headers: { cookie: { exact: canary } } }", with: "{ queryParams: { beta: { exact: \"1\" } } }")
        #expect(Self.messages(query).contains { $0.contains("queryParams cannot be said with NGINX") })
    }

    /// A route field is warned for the routers that write no route, and the
    /// operator's default router decides for a Canary that names none.
    @Test func routeFieldsAreWarnedWhereNoRouteIsWritten() {
        let yaml = Self.canary(provider: nil, service: "{ port: 80, hosts: [a.example.com], timeout: 5s }", analysis: "{ interval: 1m, iterations: 2 }")
        let onKubernetes = Self.messages(yaml)
        #expect(onKubernetes.contains { $0.contains("warning: service.hosts is not used by Serin on Kubernetes: a route field") }, "\(onKubernetes)")
        #expect(onKubernetes.contains { $0.contains("warning: service.timeout is not used") })
        let onGateway = Self.messages(yaml, defaultProvider: "gatewayapi:v1")
        #expect(onGateway.contains { $0.contains("service.gatewayRefs is required with provider gatewayapi:v1") }, "\(onGateway)")
        #expect(!onGateway.contains { $0.contains("is not used") }, "\(onGateway)")
    }

    /// As Flagger's scheduler: the kubernetes provider releases by blue/green;
    /// weights and matches are warned, and the plan has Flagger's 10 iterations.
    @Test func theKubernetesProviderWarnsAboutWeightsAndRunsBlueGreen() throws {
        let yaml = Self.canary(provider: "kubernetes", service: "{ port: 80 }", analysis: "{ interval: 1m, maxWeight: 50, stepWeight: 10 }")
        let found = Self.messages(yaml)
        #expect(found.contains { $0.contains("warning: analysis.stepWeight is not used by Serin on Kubernetes: the kubernetes provider switches") })
        let manifests = ManifestLoader().load(text: yaml, file: "test.yaml")
        let plan = try #require(Validator(platform: .kubernetes).validateAndPlan(manifests).plans.first)
        #expect(plan.strategy == .blueGreen)
        #expect(plan.analysisTicks == 11)
    }

    @Test func targetsAndAutoscalersAreFlaggers() {
        let service = Self.canary(provider: "kubernetes", service: "{ port: 80 }", analysis: "{ interval: 1m, iterations: 2 }")
            .replacingOccurrences(of: "kind: Deployment", with: "kind: Service")
        #expect(Self.messages(service).contains { $0.contains("targetRef.kind is Service: on Kubernetes Serin releases Deployments and DaemonSets") })
        let keda = Self.canary(provider: "kubernetes", service: "{ port: 80 }", analysis: "{ interval: 1m, iterations: 2 }",
                               extra: "\n  autoscalerRef: { apiVersion: keda.sh/v1alpha1, kind: ScaledObject, name: web, primaryScalerQueries: { q: up } }")
        #expect(Self.messages(keda).isEmpty, "\(Self.messages(keda))")
        let hpaQueries = keda.replacingOccurrences(of: "keda.sh/v1alpha1, kind: ScaledObject", with: "autoscaling/v2, kind: HorizontalPodAutoscaler")
        #expect(Self.messages(hpaQueries).contains { $0.contains("warning: autoscalerRef.primaryScalerQueries is not used") })
        let other = keda.replacingOccurrences(of: "kind: ScaledObject", with: "kind: VerticalPodAutoscaler")
        #expect(Self.messages(other).contains { $0.contains("autoscalerRef.kind must be HorizontalPodAutoscaler or ScaledObject") })
    }

    /// Mesh fields of routers Serin does not run are warned, once, at the
    /// top of their subtree.
    @Test func meshFieldsAreWarnedOnceAtTheirTop() {
        let yaml = Self.canary(provider: "gatewayapi:v1", service: """
            { port: 80, gatewayRefs: [{ name: gw }], trafficPolicy: { tls: { mode: ISTIO_MUTUAL }, loadBalancer: { simple: LEAST_CONN } } }
            """, analysis: "{ interval: 1m, iterations: 2 }")
        let warnings = Self.messages(yaml).filter { $0.contains("trafficPolicy") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("service.trafficPolicy is not used by Serin on Kubernetes: an Istio") == true)
    }
}
