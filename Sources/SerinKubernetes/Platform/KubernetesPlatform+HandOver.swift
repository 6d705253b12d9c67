import Foundation
import SerinEngine
import SerinSpec

/// A Canary's end: its target serves alone again. Done when the Canary
/// leaves Git (the workload is then released without one) and, with
/// `revertOnDeletion`, before the Canary's finalizer is removed (deleted
/// from Git or in the cluster), in an order that never leaves a request
/// without a ready backend: the target gets its replicas back and is
/// waited for, the apex Service (and the route) then points at it, and
/// only then what Serin made goes.
extension KubernetesPlatform {
    /// A workload with no Canary: applied as Git declares it; if a Canary
    /// released it before, the target takes over from `-primary` first.
    func releaseWithoutCanary(_ revision: KubernetesRevision) async throws {
        var target = FlaggerObjects.target(revision)
        if revision.kind == .deployment { target["spec"]?["replicas"] = .int(revision.replicas) }
        try await apply(target)
        let previous = state.withLock { $0.released[revision.workload] }
        try await handOver(revision.workload, kind: revision.kind, replicas: revision.kind == .deployment ? revision.replicas : nil,
                           previous: previous)
    }

    /// The target serves alone: scaled up (`replicas`, or what the primary
    /// runs), waited for, then the apex Service and route point at it, and
    /// `-primary` and the rest go. Idempotent; nothing to do when there is
    /// no `-primary`.
    func handOver(_ workload: WorkloadID, kind: KubernetesRevision.TargetKind, replicas: Int64?, previous: KubernetesRevision?) async throws {
        let namespace = workload.namespace, primaryName = FlaggerObjects.primaryName(workload.name)
        let primaryReplicas: Int64?
        switch kind {
        case .deployment:
            guard let primary = deployments.get(primaryName, namespace: namespace) else { return forget(workload) }
            primaryReplicas = primary.spec?.replicas.map(Int64.init)
        case .daemonSet:
            guard daemonSets.get(primaryName, namespace: namespace) != nil else { return forget(workload) }
            primaryReplicas = nil
        }
        logger.info("handing \(kind.rawValue) \(workload) over from \(primaryName) to \(workload.name)")
        // Flagger's Finalize: the target runs the primary's replicas (or Git's).
        try await scale(workload, kind: kind, to: max(1, replicas ?? primaryReplicas ?? 1))
        try await waitUntilTargetServes(workload, kind: kind)
        if let revision = previous, let routing = revision.routing {
            try await apply(FlaggerObjects.service(.apex, routing, namespace: namespace, selector: routing.selectorValue, owner: nil,
                                                   declared: routing.apexService))
            if routing.usesGatewayAPI {
                // The route stays (it is how clients come in), sending everything to the apex Service.
                var route = FlaggerObjects.httpRoute(workload, routing, .allPrimary, owner: nil)
                let rules = route["spec"]?["rules"]?.arrayValue ?? []
                route["spec"]?["rules"] = .array(rules.suffix(1).map { rule in
                    var rule = rule
                    rule["backendRefs"] = [["group": "", "kind": "Service", "name": .string(routing.service), "port": .int(routing.port), "weight": 100]]
                    return rule
                })
                try await apply(route)
            }
            try await removeGenerated(revision, routing, keepApex: true)
        }
        // Gone: no longer followed for drift.
        let resource = kind == .daemonSet ? DaemonSet.resourceKind : Deployment.resourceKind
        written.forget(WrittenObjects.Key(resource, namespace: namespace, name: primaryName))
        let resources = client.resources(resource)
        _ = try await resources.deleteIfPresent(primaryName, namespace: namespace)
        forget(workload)
        logger.info("\(workload.name) serves alone: \(primaryName) and the Canary's objects are removed")
    }

    private func forget(_ workload: WorkloadID) {
        state.withLock { state in
            state.released[workload] = nil
            state.cookies[workload] = nil
        }
    }

    /// Until the target is rolled out, from the informer's copy, at most `handOverTimeout`.
    private func waitUntilTargetServes(_ workload: WorkloadID, kind: KubernetesRevision.TargetKind) async throws {
        let deadline = ContinuousClock.now + handOverTimeout
        while ContinuousClock.now < deadline {
            let ready: Bool = switch kind {
            case .deployment: deployments.get(workload.name, namespace: workload.namespace).map { serves($0) } ?? false
            case .daemonSet: daemonSets.get(workload.name, namespace: workload.namespace).map { serves($0) } ?? false
            }
            if ready { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw KubernetesPlatformError(.notAccepted, object: "\(kind.rawValue) \(workload)",
            "\(kind.rawValue) \(workload) did not become ready within \(handOverTimeout); \(workload.name)-primary keeps serving")
    }

    /// Until the new `-primary` is rolled out, at most `handOverTimeout`.
    func waitUntilPrimaryServes(_ revision: KubernetesRevision) async throws {
        let deadline = ContinuousClock.now + handOverTimeout
        while ContinuousClock.now < deadline {
            if adoptable(revision.workload), readiness(of: revision.workload, role: .primary).map({ $0.revision == revision.id && $0.ready }) == true {
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw KubernetesPlatformError(.notAccepted, object: "\(revision.kind.rawValue) \(revision.workload.namespace)/\(revision.name)-primary",
            "\(revision.name)-primary did not become ready within \(handOverTimeout); \(revision.name) keeps serving")
    }

    /// A Canary with Flagger's finalizer being deleted (removed from Git, or
    /// by hand): the hand-over, then the finalizer goes and so does the Canary.
    func finalizeIfDeleted(_ canary: Canary) async {
        guard canary.metadata.deletionTimestamp != nil, canary.metadata.finalizers?.contains(FlaggerObjects.finalizer) == true,
              let name = canary.metadata.name else { return }
        let namespace = canary.metadata.namespace ?? ResourceKey.defaultNamespace
        let key = "\(namespace)/\(name)"
        guard state.withLock({ $0.finalizing.insert(key).inserted }) else { return }
        defer { _ = state.withLock { $0.finalizing.remove(key) } }
        let target = canary.spec?["targetRef"]
        let kind = KubernetesRevision.TargetKind(rawValue: target?["kind"]?.stringValue ?? "Deployment") ?? .deployment
        guard let targetName = target?["name"]?.stringValue else { return }
        let workload = WorkloadID(namespace: namespace, name: targetName)
        let previous = state.withLock { $0.released[workload] }.flatMap { $0.routing?.canary == name ? $0 : nil }
        do {
            try await handOver(workload, kind: kind, replicas: nil, previous: previous ?? fallbackRevision(canary, workload, kind: kind))
            var finalizers = canary.metadata.finalizers ?? []
            finalizers.removeAll { $0 == FlaggerObjects.finalizer }
            try await setFinalizers(finalizers, of: canary)
            logger.info("Canary \(key) finalized: \(targetName) serves alone")
            outsideChanges.continuation.yield("Canary \(key) was deleted and finalized")
        } catch {
            logger.warning("Canary \(key) is being deleted but cannot be finalized yet: \(error)")
        }
    }

    /// What Serin made for a Canary it has not seen released since it
    /// started (the operator restarted, then the Canary was deleted): read
    /// from the Canary and the target in the cluster.
    private func fallbackRevision(_ canary: Canary, _ workload: WorkloadID, kind: KubernetesRevision.TargetKind) -> KubernetesRevision? {
        guard let spec = try? canary.spec?.decode(CanarySpec.self) else { return nil }
        let live: JSONValue? = switch kind {
        case .deployment: deployments.get(workload.name, namespace: workload.namespace).flatMap { try? JSONValue(encoding: $0) }
        case .daemonSet: daemonSets.get(workload.name, namespace: workload.namespace).flatMap { try? JSONValue(encoding: $0) }
        }
        guard let live, let selector = FlaggerObjects.selectorLabel(of: live, labels: selectorLabels) else { return nil }
        let routing = CanaryRouting(provider: spec.provider ?? defaultProvider, canary: canary.metadata.name ?? "", spec: spec.service ?? CanaryService(),
                                    service: spec.service?.name ?? workload.name, selectorLabel: selector.label, selectorValue: selector.value)
        return KubernetesRevision(workload: workload, origin: RevisionOrigin(source: "-", commit: "-", author: nil), kind: kind, target: live,
                                  declared: false, routing: routing)
    }
}
