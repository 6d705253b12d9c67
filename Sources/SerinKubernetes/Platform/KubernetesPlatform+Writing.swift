import Foundation
import SerinEngine
import SerinSpec

extension KubernetesPlatform {
    /// Server-side apply of any object, its resource found by discovery.
    /// Deployments and DaemonSets are followed for drift (`DriftWatch`):
    /// what was written is kept, one write at a time.
    @discardableResult
    func apply(_ object: JSONValue, manager: String = KubernetesPlatform.fieldManager) async throws -> KubeObject {
        let manifest = try KubeObject(json: object)
        let kind = try await client.resourceKind(of: manifest)
        guard kind == Deployment.resourceKind || kind == DaemonSet.resourceKind else {
            return try await client.resources(kind).apply(manifest, fieldManager: manager, force: true)
        }
        let key = WrittenObjects.Key(kind, namespace: manifest.metadata.namespace, name: manifest.metadata.name ?? "")
        let client = self.client, written = self.written
        return try await written.serialized(key) {
            let answer = try await client.resources(kind).apply(manifest, fieldManager: manager, force: true)
            written.record(key, resource: kind, manager: manager, sent: object, answer: answer, source: manifest.metadata.labels?[ClusterSync.sourceLabel])
            return answer
        }
    }

    /// The workload's Deployments or DaemonSets are no longer followed for drift (removed, or handed back).
    func forgetWrites(of workload: WorkloadID) {
        for name in [FlaggerObjects.primaryName(workload.name), workload.name] {
            for resource in [Deployment.resourceKind, DaemonSet.resourceKind] {
                written.forget(WrittenObjects.Key(resource, namespace: workload.namespace, name: name))
            }
        }
    }

    /// A controller reference to the Canary for what Serin makes for it
    /// (Flagger sets one on every object it makes); nil while the Canary is
    /// not in the cluster.
    func ownerReference(_ routing: CanaryRouting, namespace: String) async throws -> JSONValue? {
        var uid = canaries.get(routing.canary, namespace: namespace)?.metadata.uid
        if uid == nil { uid = try await client.resources(Canary.self).getIfPresent(routing.canary, namespace: namespace)?.metadata.uid }
        return uid.map { FlaggerObjects.owner(canary: routing.canary, uid: $0) }
    }

    /// `revertOnDeletion`: the Canary carries Flagger's finalizer (so that
    /// deleting it waits for the hand-over), and only then.
    func reconcileFinalizer(_ routing: CanaryRouting, namespace: String) async throws {
        let canary: Canary? = if let cached = canaries.get(routing.canary, namespace: namespace) { cached }
            else { try await client.resources(Canary.self).getIfPresent(routing.canary, namespace: namespace) }
        guard let canary, canary.metadata.deletionTimestamp == nil else { return }
        var finalizers = canary.metadata.finalizers ?? []
        let has = finalizers.contains(FlaggerObjects.finalizer)
        guard has != routing.revertOnDeletion else { return }
        if routing.revertOnDeletion { finalizers.append(FlaggerObjects.finalizer) } else { finalizers.removeAll { $0 == FlaggerObjects.finalizer } }
        try await setFinalizers(finalizers, of: canary)
    }

    /// Whether a Canary Serin released says `revertOnDeletion` and lacks the
    /// finalizer, or the reverse. A commit that changes only that field
    /// makes no new revision, so nothing else would write it.
    func finalizerIsStale(_ canary: Canary) -> Bool {
        guard let name = canary.metadata.name, let target = canary.spec?["targetRef"]?["name"]?.stringValue else { return false }
        let workload = WorkloadID(namespace: canary.metadata.namespace ?? ResourceKey.defaultNamespace, name: target)
        guard state.withLock({ $0.released[workload]?.routing?.canary == name }) else { return false }
        let wanted = canary.spec?["revertOnDeletion"]?.boolValue == true
        return wanted != (canary.metadata.finalizers?.contains(FlaggerObjects.finalizer) == true)
    }

    func finalizerFollowsSpec(_ canary: Canary) async {
        var finalizers = canary.metadata.finalizers ?? []
        if canary.spec?["revertOnDeletion"]?.boolValue == true { finalizers.append(FlaggerObjects.finalizer) }
        else { finalizers.removeAll { $0 == FlaggerObjects.finalizer } }
        do {
            try await setFinalizers(finalizers, of: canary)
        } catch {
            // A conflict means a newer version is on its way through the watch, which looks again.
            logger.warning("Canary \(canary.metadata.namespace ?? "")/\(canary.metadata.name ?? ""): finalizer not updated yet: \(error)")
        }
    }

    /// The finalizers, written only over the version read (a merge patch
    /// with the resourceVersion: a concurrent change is a conflict, not a loss).
    func setFinalizers(_ finalizers: [String], of canary: Canary) async throws {
        var metadata: [String: JSONValue] = ["finalizers": .array(finalizers.map { .string($0) })]
        if let version = canary.metadata.resourceVersion { metadata["resourceVersion"] = .string(version) }
        _ = try await client.resources(Canary.self).mergePatch(canary.metadata.name ?? "", namespace: canary.metadata.namespace,
                                                               patch: ["metadata": .object(metadata)])
    }

    /// `<target>-primary`'s selector cannot change: one made by another
    /// operator with another label is a conflict to resolve by hand, said
    /// before anything is written.
    func checkPrimarySelector(_ revision: KubernetesRevision, _ routing: CanaryRouting) async throws {
        let name = FlaggerObjects.primaryName(revision.name), namespace = revision.workload.namespace
        let live: LabelSelector? = revision.kind == .deployment ? deployments.get(name, namespace: namespace)?.spec?.selector
                                                                : daemonSets.get(name, namespace: namespace)?.spec?.selector
        guard let live else { return }
        let wanted = [routing.selectorLabel: routing.primarySelectorValue]
        guard live.matchLabels ?? [:] != wanted || live.matchExpressions?.isEmpty == false else { return }
        let have = (live.matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        throw KubernetesPlatformError(.unsupported, object: "\(revision.kind.rawValue) \(namespace)/\(name)",
            "\(revision.kind.rawValue) \(namespace)/\(name) selects \(have), where Serin (as Flagger) selects \(routing.selectorLabel)=\(routing.primarySelectorValue); "
            + "a selector cannot change: delete \(name) (Serin makes it again) or align the target's selector labels")
    }

    /// The template's tracked ConfigMaps and Secrets as the cluster holds
    /// them now, copied as `<name>-primary` for the primary to run on.
    func copyConfigs(_ revision: KubernetesRevision, owner: JSONValue?) async throws {
        let namespace = revision.workload.namespace
        let owners = try owner.map { [try $0.decode(OwnerReference.self)] }
        let maps = client.resources(ConfigMap.self), secrets = client.resources(Secret.self)
        for name in revision.configs.configMaps.sorted() {
            guard let map = try await maps.getIfPresent(name, namespace: namespace) else {
                if revision.configs.isOptional(.configMap, name) { continue }
                throw KubernetesPlatformError(.missingObject, object: "ConfigMap \(namespace)/\(name)",
                    "ConfigMap \(namespace)/\(name), which \(revision.workload.name)'s pod template uses, does not exist")
            }
            var copy = ConfigMap(metadata: ObjectMeta(name: name + ConfigReferences.suffix, namespace: namespace,
                                                      labels: Self.copiedLabels(map.metadata.labels), ownerReferences: owners),
                                 data: map.data)
            copy.binaryData = map.binaryData
            _ = try await maps.apply(copy, fieldManager: Self.fieldManager, force: true)
        }
        for name in revision.configs.secrets.sorted() {
            guard let secret = try await secrets.getIfPresent(name, namespace: namespace) else {
                if revision.configs.isOptional(.secret, name) { continue }
                throw KubernetesPlatformError(.missingObject, object: "Secret \(namespace)/\(name)",
                    "Secret \(namespace)/\(name), which \(revision.workload.name)'s pod template uses, does not exist")
            }
            var copy = Secret(metadata: ObjectMeta(name: name + ConfigReferences.suffix, namespace: namespace,
                                                   labels: Self.copiedLabels(secret.metadata.labels), ownerReferences: owners),
                              type: secret.type)
            copy.data = secret.data
            _ = try await secrets.apply(copy, fieldManager: Self.fieldManager, force: true)
        }
    }

    /// A copy's labels: the original's, but not as a member of a Git source (the copy is the platform's).
    static func copiedLabels(_ labels: [String: String]?) -> [String: String]? {
        labels?.filter { $0.key != ClusterSync.sourceLabel && !$0.key.contains(FlaggerObjects.toolkitMarker) }
    }

    // MARK: autoscalers

    /// The newest HorizontalPodAutoscaler version the cluster serves.
    func servedAutoscalingVersion() async throws -> String {
        for version in FlaggerObjects.autoscalingVersions {
            let answer: Result<[APIResource], KubeError>
            do { answer = .success(try await client.apiResources(apiVersion: version)) } catch { answer = .failure(error) }
            switch answer {
            case .success(let resources) where resources.contains(where: { $0.kind == "HorizontalPodAutoscaler" }): return version
            case .success: continue
            case .failure(let error) where error.isNotFound: continue
            case .failure(let error): throw error
            }
        }
        throw KubernetesPlatformError(.unsupported, "the cluster serves no HorizontalPodAutoscaler version Serin knows "
                                      + "(\(FlaggerObjects.autoscalingVersions.joined(separator: ", ")))")
    }

    /// The autoscaler a Canary names: Git's, else the cluster's (an HPA in
    /// the newest version served: the apiserver converts).
    func autoscalerSource(_ reference: AutoscalerReferenceValue, namespace: String) async throws -> JSONValue {
        if let object = reference.object { return object }
        let kind: ResourceKind
        if reference.isScaledObject {
            kind = try await client.resourceKind(apiVersion: FlaggerObjects.kedaVersion, kind: "ScaledObject")
        } else {
            let version = try await servedAutoscalingVersion()
            kind = try await client.resourceKind(apiVersion: version, kind: "HorizontalPodAutoscaler")
        }
        guard let found = try await client.resources(kind).getIfPresent(reference.name, namespace: namespace) else {
            throw KubernetesPlatformError(.missingObject, object: "\(reference.kind) \(namespace)/\(reference.name)",
                "\(reference.kind) \(namespace)/\(reference.name), which the Canary's autoscalerRef names, is neither in Git nor in the cluster")
        }
        return try JSONValue(encoding: found)
    }

    /// `<name>-primary` for the primary; a ScaledObject of the target is
    /// paused meanwhile (KEDA's paused-replicas), as Flagger does.
    func reconcilePrimaryScaler(_ revision: KubernetesRevision, owner: JSONValue?) async throws {
        guard let reference = revision.autoscaler else { return }
        let namespace = revision.workload.namespace
        let source = try await autoscalerSource(reference, namespace: namespace)
        if reference.isScaledObject {
            try await apply(FlaggerObjects.primaryScaledObject(source, reference: reference, target: revision.name, namespace: namespace, owner: owner))
            try await apply(FlaggerObjects.pausedScaledObject(reference.name, namespace: namespace, paused: true), manager: Self.rolloutFieldManager)
        } else {
            let version = try await servedAutoscalingVersion()
            do {
                try await apply(try FlaggerObjects.primaryHPA(source, reference: reference, target: revision.name, namespace: namespace,
                                                              version: version, owner: owner))
            } catch let problem as FlaggerObjects.AutoscalerError {
                throw KubernetesPlatformError(.unsupported, object: "HorizontalPodAutoscaler \(namespace)/\(reference.name)", problem.description)
            }
        }
    }

    // MARK: routes

    /// The HTTPRoute, then its gateways' `Accepted` condition at the
    /// generation written: weights no gateway took are not a step. A field
    /// the cluster's HTTPRoute definition pruned is an error, not a silence.
    func applyRoute(_ route: JSONValue, _ routing: CanaryRouting) async throws {
        let applied = try await apply(route)
        let stored = (try? JSONValue(encoding: applied)) ?? .null
        let lost = FlaggerObjects.dropped(route["spec"] ?? .null, stored["spec"] ?? .null)
        let name = applied.metadata.name ?? routing.service, namespace = applied.metadata.namespace ?? ResourceKey.defaultNamespace
        guard lost.isEmpty else {
            throw KubernetesPlatformError(.unsupported, object: "HTTPRoute \(namespace)/\(name)",
                "the cluster's HTTPRoute definition dropped \(lost.joined(separator: ", ")) of HTTPRoute \(namespace)/\(name): "
                + "install a Gateway API release (or channel) that has them, or remove what asks for them from the Canary")
        }
        guard !routing.gatewayRefs.isEmpty, let generation = applied.metadata.generation else { return }
        // The gateways' answer comes on a watch of the route, not by polling it;
        // the object the write returned is judged first (it may be accepted already).
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
            let gateways = routing.gatewayRefs.map { ($0.namespace.map { "\($0)/" } ?? "") + ($0.name ?? "") }
            throw KubernetesPlatformError(.notAccepted, object: "HTTPRoute \(namespace)/\(name)",
                "HTTPRoute \(namespace)/\(name) (generation \(generation)) was not accepted within \(routeAcceptance) "
                + "by the parents of service.gatewayRefs (\(gateways.joined(separator: ", "))): is a Gateway API implementation installed, "
                + "and does it run those Gateways?")
        }
    }

    /// Every parent accepted this generation of the route.
    static func accepted<Version>(_ route: GatewayHTTPRoute<Version>, _ generation: Int64) -> Bool {
        guard let parents = route.status?.parents, !parents.isEmpty else { return false }
        return parents.allSatisfy { parent in
            parent.conditions?.contains { $0.type == "Accepted" && $0.status == "True" && ($0.observedGeneration ?? generation) >= generation } ?? false
        }
    }

    // MARK: removal

    /// What Serin made for a Canary besides its primary workload: Services,
    /// the route, the primary's autoscaler (the target's resumed), the
    /// primary's config copies. `keepApex`: the apex Service stays (a
    /// hand-over points it at the target).
    func removeGenerated(_ revision: KubernetesRevision, _ routing: CanaryRouting, keepApex: Bool) async throws {
        let namespace = revision.workload.namespace
        let services = client.resources(Service.self)
        var names = [routing.service + "-primary", routing.service + "-canary"]
        if !keepApex && routing.apexService == nil { names.append(routing.service) }
        for name in names { _ = try await services.deleteIfPresent(name, namespace: namespace) }
        if routing.usesGatewayAPI, !keepApex {
            let kind = routing.gatewayVersion == "v1" ? HTTPRoute.resourceKind : HTTPRouteV1Beta1.resourceKind
            _ = try await client.resources(kind).deleteIfPresent(routing.service, namespace: namespace)
        } else if let name = routing.ingress?["metadata"]?["name"]?.stringValue {
            _ = try await client.resources(Ingress.self).deleteIfPresent(FlaggerObjects.canaryIngressName(name), namespace: namespace)
        }
        if let reference = revision.autoscaler {
            if reference.isScaledObject {
                let kind = try await client.resourceKind(apiVersion: FlaggerObjects.kedaVersion, kind: "ScaledObject")
                _ = try await client.resources(kind).deleteIfPresent(FlaggerObjects.primaryName(reference.name), namespace: namespace)
                try await apply(FlaggerObjects.pausedScaledObject(reference.name, namespace: namespace, paused: false), manager: Self.rolloutFieldManager)
            } else {
                let kind = try await client.resourceKind(apiVersion: try await servedAutoscalingVersion(), kind: "HorizontalPodAutoscaler")
                _ = try await client.resources(kind).deleteIfPresent(FlaggerObjects.primaryName(reference.name), namespace: namespace)
            }
        }
        for name in revision.configs.configMaps {
            _ = try await client.resources(ConfigMap.self).deleteIfPresent(name + ConfigReferences.suffix, namespace: namespace)
        }
        for name in revision.configs.secrets {
            _ = try await client.resources(Secret.self).deleteIfPresent(name + ConfigReferences.suffix, namespace: namespace)
        }
    }
}
