import Logging
import SerinEngine
import SerinSpec
import Synchronization

/// The engine's platform on a Kubernetes cluster, as Flagger runs a Canary
/// that targets a Deployment: the target is the canary (scaled up during a
/// release, to zero outside one), `<target>-primary` serves, three Services
/// and an HTTPRoute (or the apex Service's selector, for blue/green with the
/// `kubernetes` provider) split the traffic. Everything is written with
/// server-side apply: Serin's field manager owns what Git declares, a second
/// one owns the replicas the rollout sets, so neither resets the other.
/// Reads come from a Deployment informer's cache, never the apiserver.
public final class KubernetesPlatform: Platform, Sendable {
    public typealias Revision = KubernetesRevision

    public static let fieldManager = "serin"
    /// Owns the canary's replicas, apart from what Git declares.
    public static let rolloutFieldManager = "serin-rollout"

    public let client: KubeClient
    /// The provider of a Canary that names none.
    public let defaultProvider: String
    let deployments: Informer<Deployment>
    private let logger: Logger
    private let readiness = AsyncStream<ReadinessChange>.makeStream(bufferingPolicy: .bufferingNewest(1024))
    /// The latest revision of each Canary's target, for routing: learnt
    /// from every desired state (the first sync after a restart included,
    /// which comes before anything is re-asserted).
    private let released = Mutex<[WorkloadID: KubernetesRevision]>([:])

    public nonisolated var targetKinds: Set<String> { ["Deployment"] }

    /// How long a route change waits for its gateways' `Accepted` condition.
    public let routeAcceptance: Duration
    /// The Deployments written, as written: `DriftWatch` puts them back.
    public let written: WrittenObjects

    /// The Deployments the platform reads (every one in its namespace, or the cluster's).
    public var deploymentCache: Informer<Deployment> { deployments }

    public init(client: KubeClient, namespace: String? = nil, defaultProvider: String = "kubernetes",
                routeAcceptance: Duration = .seconds(30), written: WrittenObjects = WrittenObjects(),
                logger: Logger = Logger(label: "serin.kubernetes")) {
        self.written = written
        self.client = client
        self.defaultProvider = defaultProvider
        self.routeAcceptance = routeAcceptance
        self.logger = logger
        deployments = Informer(client.resources(Deployment.self), namespace: namespace, logger: logger)
    }

    /// Keeps the Deployment cache current and reports readiness changes,
    /// until cancelled.
    public func run() async {
        let changes = deployments.changes()
        let readiness = readiness.continuation
        await withDiscardingTaskGroup { group in
            group.addTask { await self.deployments.run() }
            group.addTask {
                for await change in changes {
                    let deployment = change.object
                    guard let name = deployment.metadata.name else { continue }
                    let namespace = deployment.metadata.namespace ?? ResourceKey.defaultNamespace
                    let primary = name.hasSuffix("-primary")
                    let workload = WorkloadID(namespace: namespace, name: primary ? String(name.dropLast("-primary".count)) : name)
                    let revision = deployment.metadata.annotations?[FlaggerObjects.revisionAnnotation]
                    let ready: Bool = if case .deleted = change { false } else { Self.serves(deployment) }
                    readiness.yield(ReadinessChange(workload: workload, role: primary ? .primary : .canary, revision: revision, ready: ready))
                }
            }
        }
    }

    // MARK: what runs

    public func revisions(in desired: DesiredState) async throws -> PlatformSelection<KubernetesRevision> {
        var selection = PlatformSelection<KubernetesRevision>(revisions: [])
        for manifest in desired.manifests.plain where manifest.kind == "Deployment" && manifest.apiVersion == "apps/v1" {
            let workload = WorkloadID(namespace: manifest.namespace, name: manifest.name)
            var routing: CanaryRouting?
            if let (canary, plan) = desired.canary(for: workload, kinds: targetKinds) {
                let provider = canary.spec.provider ?? defaultProvider
                guard CanaryRouting.providers.contains(provider) else {
                    selection.refused.append((canary.key, "provider \(provider) is not supported on Kubernetes; use one of \(CanaryRouting.providers.joined(separator: ", "))"))
                    continue
                }
                if provider.hasPrefix("gatewayapi"), let field = Self.unsupportedByHTTPRoute(plan.matchRequests) {
                    selection.refused.append((canary.key, "match: \(field) cannot be said in an HTTPRoute (Gateway API matches path, "
                        + "headers, query parameters and method)"))
                    continue
                }
                // The apex Service's selector sends all traffic one way or the other.
                if provider == "kubernetes", plan.weights.contains(where: { $0 > 0 && $0 < 100 }) || !plan.matchRequests.isEmpty {
                    selection.refused.append((canary.key, "provider kubernetes shifts traffic all at once (blue/green with analysis.iterations); "
                        + "weights and matches need gatewayapi or nginx"))
                    continue
                }
                let service = canary.spec.service
                let port = Int64(service?.port ?? 80)
                let targetPort: JSONValue = switch service?.targetPort {
                case .int(let number)?: .int(Int64(number))
                case .string(let name)?: .string(name)
                case nil: .int(port)
                }
                let refs = (service?.gatewayRefs ?? []).map { ref -> JSONValue in
                    var object: [String: JSONValue] = ["name": .string(ref.name ?? "")]
                    if let namespace = ref.namespace { object["namespace"] = .string(namespace) }
                    if let section = ref.sectionName { object["sectionName"] = .string(section) }
                    return .object(object)
                }
                var ingress: JSONValue?
                if provider == "nginx" {
                    let name = canary.spec.ingressRef?.name ?? ""
                    guard let found = desired.manifests.plain.first(where: {
                        $0.kind == "Ingress" && $0.namespace == workload.namespace && $0.name == name
                    }) else {
                        selection.refused.append((canary.key, "provider nginx needs spec.ingressRef to name an Ingress of the same source; \"\(name)\" is not there"))
                        continue
                    }
                    ingress = found.spec
                }
                routing = CanaryRouting(provider: provider, service: service?.name ?? workload.name, port: port, targetPort: targetPort,
                                        gatewayRefs: refs, ingress: ingress)
            }
            let deployment = manifest.spec
            var configData: [String: JSONValue] = [:]
            var autoscaler: JSONValue?
            if let reference = desired.canary(for: workload, kinds: targetKinds)?.canary.spec.autoscalerRef, let name = reference.name {
                guard let found = desired.manifests.plain.first(where: {
                    $0.kind == "HorizontalPodAutoscaler" && $0.namespace == workload.namespace && $0.name == name
                }) else {
                    let key = desired.canary(for: workload, kinds: targetKinds)?.canary.key ?? ResourceKey(kind: "Canary", namespace: workload.namespace, name: name)
                    selection.refused.append((key, "spec.autoscalerRef names HorizontalPodAutoscaler \"\(name)\", which is not in the source"))
                    continue
                }
                autoscaler = found.spec
            }
            if routing != nil {
                let references = ConfigReferences(template: deployment["spec"]?["template"] ?? .null)
                for config in desired.manifests.plain where config.namespace == workload.namespace && config.apiVersion == "v1" {
                    let tracked = config.kind == "ConfigMap" ? references.configMaps.contains(config.name)
                        : config.kind == "Secret" && references.secrets.contains(config.name)
                    guard tracked else { continue }
                    let body = config.spec
                    configData["\(config.kind)/\(config.name)"] = .object(["data": body["data"] ?? .null, "stringData": body["stringData"] ?? .null,
                                                                         "binaryData": body["binaryData"] ?? .null])
                }
            }
            let revision = KubernetesRevision(workload: workload, origin: desired.origin, deployment: deployment, routing: routing,
                                              configData: configData, autoscaler: autoscaler)
            if routing != nil { released.withLock { $0[workload] = revision } }
            selection.revisions.append(revision)
        }
        return selection
    }

    public func restore() async throws -> String {
        try await deployments.waitForSync()
        return "kubernetes: \(deployments.list().count) deployments in the cache"
    }

    public func deployPrimary(_ revision: KubernetesRevision) async throws {
        remember(revision)
        guard let routing = revision.routing else {
            // No Canary: the Deployment is released by Kubernetes itself.
            var deployment = FlaggerObjects.target(revision)
            deployment["spec"]?["replicas"] = .int(revision.replicas)
            try await apply(deployment)
            return
        }
        try await copyConfigs(revision)
        try await apply(FlaggerObjects.primary(revision))
        if let autoscaler = FlaggerObjects.primaryAutoscaler(revision) { try await apply(autoscaler) }
        for service in FlaggerObjects.services(revision, routing) { try await apply(service) }
        // The target exists (Git declares it) but serves nothing outside a release.
        try await apply(FlaggerObjects.target(revision))
        try await apply(FlaggerObjects.replicas(revision.workload, 0), manager: Self.rolloutFieldManager)
        if routing.usesGatewayAPI {
            try await applyRoute(FlaggerObjects.httpRoute(revision.workload, routing, .allPrimary), routing)
        } else if let ingress = routing.ingress {
            try await apply(FlaggerObjects.canaryIngress(ingress, routing, .allPrimary, namespace: revision.workload.namespace))
        }
    }

    public func startCanary(_ revision: KubernetesRevision) async throws {
        remember(revision)
        try await apply(FlaggerObjects.target(revision))
        try await apply(FlaggerObjects.replicas(revision.workload, revision.replicas), manager: Self.rolloutFieldManager)
    }

    public func scaleCanaryToZero(_ workload: WorkloadID) async throws {
        try await apply(FlaggerObjects.replicas(workload, 0), manager: Self.rolloutFieldManager)
    }

    /// The canary's pod template becomes the primary's (Flagger's promotion).
    /// The canary Deployment keeps running either way, as in Flagger; the
    /// routes stay until the rollout changes them.
    public func promote(_ revision: KubernetesRevision, keepingCanary: Bool) async throws {
        try await copyConfigs(revision)
        try await apply(FlaggerObjects.primary(revision))
        if let autoscaler = FlaggerObjects.primaryAutoscaler(revision) { try await apply(autoscaler) }
    }

    /// A copy's labels: the original's, but not as a member of a Git source (the copy is the platform's).
    private static func copied(_ labels: [String: String]?) -> [String: String]? {
        labels?.filter { $0.key != ClusterSync.sourceLabel }
    }

    /// The template's ConfigMaps and Secrets as the cluster holds them now,
    /// copied as `<name>-primary` for the primary to run on.
    private func copyConfigs(_ revision: KubernetesRevision) async throws {
        let namespace = revision.workload.namespace
        let maps = client.resources(ConfigMap.self), secrets = client.resources(Secret.self)
        for name in revision.configs.configMaps.sorted() {
            guard let map = try await maps.getIfPresent(name, namespace: namespace) else {
                throw KubernetesPlatformError(.missingObject, object: "ConfigMap \(namespace)/\(name)", 
                    "ConfigMap \(namespace)/\(name), which \(revision.workload.name)'s pod template uses, does not exist")
            }
            var copy = ConfigMap(metadata: ObjectMeta(name: name + ConfigReferences.suffix, namespace: namespace, labels: Self.copied(map.metadata.labels)),
                                 data: map.data)
            copy.binaryData = map.binaryData
            _ = try await maps.apply(copy, fieldManager: Self.fieldManager, force: true)
        }
        for name in revision.configs.secrets.sorted() {
            guard let secret = try await secrets.getIfPresent(name, namespace: namespace) else {
                throw KubernetesPlatformError(.missingObject, object: "Secret \(namespace)/\(name)", 
                    "Secret \(namespace)/\(name), which \(revision.workload.name)'s pod template uses, does not exist")
            }
            var copy = Secret(metadata: ObjectMeta(name: name + ConfigReferences.suffix, namespace: namespace, labels: Self.copied(secret.metadata.labels)),
                              type: secret.type)
            copy.data = secret.data
            _ = try await secrets.apply(copy, fieldManager: Self.fieldManager, force: true)
        }
    }

    /// Everything the platform made for the workload: both Deployments, and
    /// for a Canary's target its three Services and its HTTPRoute.
    public func remove(_ workload: WorkloadID) async throws {
        let deploymentClient = client.resources(Deployment.self)
        for name in [FlaggerObjects.primaryName(workload.name), workload.name] {
            written.forget(WrittenObjects.Key(Deployment.resourceKind, namespace: workload.namespace, name: name))
        }
        _ = try await deploymentClient.deleteIfPresent(FlaggerObjects.primaryName(workload.name), namespace: workload.namespace)
        _ = try await deploymentClient.deleteIfPresent(workload.name, namespace: workload.namespace)
        guard let revision = released.withLock({ $0.removeValue(forKey: workload) }), let routing = revision.routing else { return }
        if let name = revision.autoscaler?["metadata"]?["name"]?.stringValue {
            _ = try await client.resources(HorizontalPodAutoscaler.self).deleteIfPresent(FlaggerObjects.primaryName(name), namespace: workload.namespace)
        }
        let services = client.resources(Service.self)
        for name in [routing.service, routing.service + "-primary", routing.service + "-canary"] {
            _ = try await services.deleteIfPresent(name, namespace: workload.namespace)
        }
        if routing.usesGatewayAPI {
            let kind = routing.gatewayVersion == "v1" ? HTTPRoute.resourceKind : HTTPRouteV1Beta1.resourceKind
            _ = try await client.resources(kind).deleteIfPresent(routing.service, namespace: workload.namespace)
        } else if let name = routing.ingress?["metadata"]?["name"]?.stringValue {
            _ = try await client.resources(Ingress.self).deleteIfPresent(FlaggerObjects.canaryIngressName(name), namespace: workload.namespace)
        }
    }

    public func setRoutes(_ routes: TrafficRoutes, for workload: WorkloadID) async throws {
        guard let revision = released.withLock({ $0[workload] }), let routing = revision.routing else {
            throw KubernetesPlatformError(.unsupported, object: "Deployment \(workload)", "\(workload) has no routing: no Canary in Git targets it")
        }
        if routing.usesGatewayAPI {
            try await applyRoute(FlaggerObjects.httpRoute(workload, routing, routes, revision: revision.id), routing)
        } else if let ingress = routing.ingress {
            try await apply(FlaggerObjects.canaryIngress(ingress, routing, routes, namespace: workload.namespace))
        } else {
            // Blue/green by the apex Service's selector: all or nothing.
            try await apply(FlaggerObjects.services(revision, routing, apexOnCanary: routes.canaryWeight >= 100)[0])
        }
    }

    /// The first match condition an HTTPRoute has no words for.
    static func unsupportedByHTTPRoute(_ requests: [HTTPMatchRequest]) -> String? {
        for request in requests {
            if request.withoutHeaders?.isEmpty == false { return "withoutHeaders" }
            if request.authority != nil { return "authority" }
            if request.scheme != nil { return "scheme" }
            if request.method.map({ $0.exact == nil }) == true { return "method other than exact" }
            if request.ignoreUriCase == true { return "ignoreUriCase" }
        }
        return nil
    }

    /// How the workload's Canary routes traffic, as Git declares it now.
    public func routing(of workload: WorkloadID) -> CanaryRouting? {
        released.withLock { $0[workload]?.routing }
    }

    private func remember(_ revision: KubernetesRevision) {
        guard revision.routing != nil else { return }
        released.withLock { $0[revision.workload] = revision }
    }

    // MARK: readiness

    public func isReady(_ revision: String, as role: WorkloadRole, of workload: WorkloadID) async -> Bool {
        let name = role == .primary ? FlaggerObjects.primaryName(workload.name) : workload.name
        guard let deployment = deployments.get(name, namespace: workload.namespace),
              deployment.metadata.annotations?[FlaggerObjects.revisionAnnotation] == revision else {
            // A Deployment without a Canary is its own primary.
            if role == .primary, let plain = deployments.get(workload.name, namespace: workload.namespace),
               plain.metadata.annotations?[FlaggerObjects.revisionAnnotation] == revision,
               deployments.get(FlaggerObjects.primaryName(workload.name), namespace: workload.namespace) == nil {
                return Self.serves(plain)
            }
            return false
        }
        return Self.serves(deployment)
    }

    public func running(_ workload: WorkloadID) async -> RunningRevisions {
        let primary = deployments.get(FlaggerObjects.primaryName(workload.name), namespace: workload.namespace)
        let target = deployments.get(workload.name, namespace: workload.namespace)
        let revision = { (deployment: Deployment?) in deployment?.metadata.annotations?[FlaggerObjects.revisionAnnotation] }
        guard primary != nil else { return RunningRevisions(primary: revision(target)) }
        return RunningRevisions(primary: revision(primary), canary: (target?.spec?.replicas ?? 0) > 0 ? revision(target) : nil)
    }

    public nonisolated func readinessChanges() -> AsyncStream<ReadinessChange> { readiness.stream }

    /// From the informer's copies: `<name>-primary` (or the Deployment
    /// itself while it has no Canary) and the target as the canary; a
    /// Deployment whose rollout failed (`Progressing=False`) says why.
    public func health(of workload: WorkloadID) async -> WorkloadHealth {
        let target = deployments.get(workload.name, namespace: workload.namespace)
        let primary = deployments.get(FlaggerObjects.primaryName(workload.name), namespace: workload.namespace) ?? target
        let canary = primary == target ? nil : target
        let count = { (deployment: Deployment?) in Int(deployment?.spec?.replicas ?? 0) }
        let ready = { (deployment: Deployment?) in Int(deployment?.status?.readyReplicas ?? 0) }
        var problem: (reason: String, message: String)?
        if primary == nil {
            problem = ("NotFound", "Deployment \(workload.namespace)/\(workload.name) is not in the cluster yet")
        } else if let stuck = primary?.status?.conditions?.first(where: { $0.type == "Progressing" && $0.status == "False" }) {
            problem = (stuck.reason ?? "ProgressDeadlineExceeded", stuck.message ?? "the Deployment's rollout does not progress")
        }
        return WorkloadHealth(replicas: count(primary), readyReplicas: ready(primary), canaryReplicas: count(canary),
                              canaryReadyReplicas: ready(canary), problem: problem)
    }

    /// Rolled out, with at least one replica.
    static func serves(_ deployment: Deployment) -> Bool {
        deployment.isRolledOut && (deployment.spec?.replicas ?? 1) > 0
    }

    // MARK: writing

    /// The HTTPRoute, then its gateways' `Accepted` condition at the
    /// generation written: weights no gateway took are not a step.
    private func applyRoute(_ route: JSONValue, _ routing: CanaryRouting) async throws {
        let object = try KubeObject(json: route)
        let kind = routing.gatewayVersion == "v1" ? HTTPRoute.resourceKind : HTTPRouteV1Beta1.resourceKind
        let applied = try await client.resources(kind).apply(object, fieldManager: Self.fieldManager, force: true)
        guard !routing.gatewayRefs.isEmpty, let generation = applied.metadata.generation else { return }
        let name = applied.metadata.name ?? routing.service, namespace = applied.metadata.namespace ?? ResourceKey.defaultNamespace
        // The gateways' answer comes on a watch of the route, not by polling it.
        let accepted = routing.gatewayVersion == "v1"
            ? try await client.resources(HTTPRoute.self).wait(for: name, namespace: namespace, from: try applied.converted(),
                                                                   timeout: routeAcceptance) {
                Self.accepted($0, generation)
            } != nil
            : try await client.resources(HTTPRouteV1Beta1.self).wait(for: name, namespace: namespace, from: try applied.converted(),
                                                                          timeout: routeAcceptance) {
                Self.accepted($0, generation)
            } != nil
        guard accepted else {
            let gateways = routing.gatewayRefs.map { ($0["namespace"]?.stringValue).map { "\($0)/" } ?? "" }
                .enumerated().map { "\($1)\(routing.gatewayRefs[$0]["name"]?.stringValue ?? "")" }
            throw KubernetesPlatformError(.notAccepted, object: "HTTPRoute \(namespace)/\(name)",
                "HTTPRoute \(namespace)/\(name) (generation \(generation)) was not accepted within \(routeAcceptance) "
                + "by the gateways of service.gatewayRefs (\(gateways.joined(separator: ", "))): is a Gateway API implementation installed, "
                + "and does it run those Gateways?")
        }
    }

    /// Every parent gateway accepted this generation of the route.
    static func accepted<Version>(_ route: GatewayHTTPRoute<Version>, _ generation: Int64) -> Bool {
        guard let parents = route.status?.parents, !parents.isEmpty else { return false }
        return parents.allSatisfy { parent in
            parent.conditions?.contains { $0.type == "Accepted" && $0.status == "True" && ($0.observedGeneration ?? generation) >= generation } ?? false
        }
    }

    private func apply(_ object: JSONValue, manager: String = KubernetesPlatform.fieldManager) async throws {
        let manifest = try KubeObject(json: object)
        guard let kind = Self.kinds[manifest.apiVersion + "/" + manifest.kind] else {
            throw KubernetesPlatformError(.unsupported, "Serin does not write \(manifest.apiVersion) \(manifest.kind)")
        }
        guard kind == Deployment.resourceKind else {
            _ = try await client.resources(kind).apply(manifest, fieldManager: manager, force: true)
            return
        }
        // Deployments are followed for drift: what was written is kept, one write at a time.
        let key = WrittenObjects.Key(kind, namespace: manifest.metadata.namespace, name: manifest.metadata.name ?? "")
        let client = self.client, written = self.written
        try await written.serialized(key) {
            let answer = try await client.resources(kind).apply(manifest, fieldManager: manager, force: true)
            written.record(key, resource: kind, manager: manager, sent: object, answer: answer, source: manifest.metadata.labels?[ClusterSync.sourceLabel])
        }
    }

    static let kinds: [String: ResourceKind] = [
        "apps/v1/Deployment": Deployment.resourceKind,
        "v1/Service": Service.resourceKind,
        "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute.resourceKind,
        "gateway.networking.k8s.io/v1beta1/HTTPRoute": HTTPRouteV1Beta1.resourceKind,
        "networking.k8s.io/v1/Ingress": Ingress.resourceKind,
        "autoscaling/v2beta2/HorizontalPodAutoscaler": HorizontalPodAutoscaler.resourceKind,
        "autoscaling/v1/HorizontalPodAutoscaler": ResourceKind(group: "autoscaling", version: "v1", kind: "HorizontalPodAutoscaler",
                                                              plural: "horizontalpodautoscalers", namespaced: true),
    ]

}
