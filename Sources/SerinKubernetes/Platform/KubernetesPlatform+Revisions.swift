import Foundation
import SerinEngine
import SerinSpec

extension KubernetesPlatform {
    /// Why a Canary's target cannot be released as written; recorded with the Canary.
    struct Refusal: Error {
        var reason: String
    }

    /// Every Canary's target (a Deployment or DaemonSet declared in Git,
    /// or, as Flagger does, one the cluster holds that another tool made)
    /// as a revision with its routing, and every other Deployment and
    /// DaemonSet of Git as a revision released without a Canary.
    public func revisions(in desired: DesiredState) async throws -> PlatformSelection<KubernetesRevision> {
        var selection = PlatformSelection<KubernetesRevision>(revisions: [])
        var targeted: Set<String> = []
        // Looked up, not scanned for: every Canary asks for its plan, target and apex Service.
        let index = ManifestIndex(desired.manifests.plain)
        var plans: [String: Plan] = [:]
        for plan in desired.plans where plans["\(plan.namespace)/\(plan.name)"] == nil { plans["\(plan.namespace)/\(plan.name)"] = plan }
        for canary in desired.manifests.canaries {
            guard let ref = canary.spec.targetRef, let kind = ref.kind.flatMap(KubernetesRevision.TargetKind.init(rawValue:)), let name = ref.name,
                  let plan = plans["\(canary.namespace)/\(canary.name)"] else { continue }
            let workload = WorkloadID(namespace: canary.namespace, name: name)
            targeted.insert("\(kind.rawValue)/\(workload)")
            do {
                let revision = try await revision(for: canary, plan: plan, kind: kind, workload: workload, desired: desired, index: index)
                if !revision.declared {
                    selection.notes.append((canary.key, "releases \(kind.rawValue) \(workload), which Git does not declare: it is read from "
                                            + "the cluster (another tool made it); Serin scales it and copies it to \(name)-primary, never changes its spec"))
                }
                selection.revisions.append(revision)
            } catch let refusal as Refusal {
                selection.refused.append((canary.key, refusal.reason))
            }
        }
        for manifest in desired.manifests.plain where manifest.apiVersion == "apps/v1" {
            guard let kind = KubernetesRevision.TargetKind(rawValue: manifest.kind), !targeted.contains("\(kind.rawValue)/\(manifest.namespace)/\(manifest.name)")
            else { continue }
            let workload = WorkloadID(namespace: manifest.namespace, name: manifest.name)
            selection.revisions.append(KubernetesRevision(workload: workload, origin: desired.origin, kind: kind, target: manifest.spec, routing: nil))
        }
        let canaryTargets = desired.manifests.canaries.compactMap { canary in
            canary.spec.targetRef?.name.map { WorkloadID(namespace: canary.namespace, name: $0) }
        }
        followExternalTargets(selection.revisions, of: canaryTargets)
        for revision in selection.revisions where revision.routing != nil { remember(revision) }
        return selection
    }

    /// The Canaries' targets only the cluster declares are followed by
    /// their pod template (`observed` reports another tool's change of it
    /// as a change outside Git); every other target of `canaryTargets` is not.
    /// By the template, not the revision's id: the id holds the tracked
    /// configs' checksums too, so every report of such a target (its status,
    /// its replicas) differed from it and had the sources applied again.
    func followExternalTargets(_ revisions: [KubernetesRevision], of canaryTargets: [WorkloadID]) {
        state.withLock { state in
            for workload in canaryTargets { state.external[workload] = nil }
            for revision in revisions where !revision.declared && revision.routing != nil {
                state.external[revision.workload] = revision.templateIdentity
            }
        }
    }

    private func revision(for canary: SerinSpec.Canary, plan: Plan, kind: KubernetesRevision.TargetKind, workload: WorkloadID,
                          desired: DesiredState, index: ManifestIndex) async throws -> KubernetesRevision {
        let namespace = workload.namespace
        let provider = canary.spec.provider ?? defaultProvider
        guard CanaryRouting.providers.contains(provider) else {
            throw Refusal(reason: "provider \(provider) is not supported on Kubernetes; use one of \(CanaryRouting.providers.joined(separator: ", "))")
        }
        var target: JSONValue
        var declared = true
        if let manifest = index.first(kind.rawValue, namespace, workload.name, where: { $0.apiVersion == "apps/v1" }) {
            target = manifest.spec
        } else {
            let live: JSONValue? = switch kind {
            case .deployment: deployments.get(workload.name, namespace: namespace).flatMap { try? JSONValue(encoding: $0) }
            case .daemonSet: daemonSets.get(workload.name, namespace: namespace).flatMap { try? JSONValue(encoding: $0) }
            }
            guard var live else {
                throw Refusal(reason: "spec.targetRef names \(kind.rawValue) \(workload), which is neither in Git nor in the cluster")
            }
            let template = FlaggerObjects.unscaled(live["spec"]?["template"] ?? .null)
            live["spec"]?["template"] = template
            live["apiVersion"] = "apps/v1"
            live["kind"] = .string(kind.rawValue)
            target = live
            declared = false
        }
        target["status"] = nil
        guard let selector = FlaggerObjects.selectorLabel(of: target, labels: selectorLabels) else {
            throw Refusal(reason: "\(kind.rawValue) \(workload) spec.selector.matchLabels must contain one of "
                          + "\(selectorLabels.joined(separator: ", ")): the label Flagger (and Serin) suffixes -primary for the primary's pods")
        }
        let service = canary.spec.service ?? CanaryService()
        let apexName = service.name ?? workload.name
        let apex = index.first("Service", namespace, apexName, where: { $0.apiVersion == "v1" })
        var ingress: JSONValue?
        if provider == "nginx" {
            let name = canary.spec.ingressRef?.name ?? ""
            if let found = index.first("Ingress", namespace, name) {
                ingress = found.spec
            } else if let live = try await client.resources(Ingress.self).getIfPresent(name, namespace: namespace) {
                ingress = try JSONValue(encoding: live)
            } else {
                throw Refusal(reason: "provider nginx needs spec.ingressRef to name an Ingress in Git or in the cluster; \"\(name)\" is in neither")
            }
        }
        let template = target["spec"]?["template"] ?? .null
        let analysis = canary.spec.writtenAnalysis?.analysis
        let routing = CanaryRouting(
            provider: provider, canary: canary.name, spec: service, service: apexName, selectorLabel: selector.label, selectorValue: selector.value,
            discoveredPorts: service.portDiscovery == true ? FlaggerObjects.discoveredPorts(template, service: service) : [],
            ingress: ingress, apexService: apex?.spec,
            sessionAffinity: plan.strategy == .canary && plan.sessionAffinity != nil ? analysis?.sessionAffinity : nil,
            intervalSeconds: Int(GoDuration.seconds(plan.interval)),
            primaryReadyThreshold: analysis?.primaryReadyThreshold ?? 100, canaryReadyThreshold: analysis?.canaryReadyThreshold ?? 100,
            revertOnDeletion: canary.spec.revertOnDeletion ?? false)
        let configs = try await trackedConfigs(in: template, namespace: namespace)
        var autoscaler: AutoscalerReferenceValue?
        if let reference = canary.spec.autoscalerRef, let name = reference.name {
            let kindName = reference.kind ?? "HorizontalPodAutoscaler"
            let object = index.first(kindName, namespace, name, where: { manifest in
                kindName == "ScaledObject" ? manifest.apiVersion.hasPrefix("keda.sh/") : manifest.apiVersion.hasPrefix("autoscaling/")
            })?.spec
            autoscaler = AutoscalerReferenceValue(apiVersion: reference.apiVersion ?? "autoscaling/v2", kind: kindName, name: name, object: object,
                                                  primaryMinReplicas: reference.primaryScalerReplicas?.minReplicas,
                                                  primaryMaxReplicas: reference.primaryScalerReplicas?.maxReplicas,
                                                  primaryQueries: reference.primaryScalerQueries)
        }
        return KubernetesRevision(workload: workload, origin: desired.origin, kind: kind, target: target, declared: declared,
                                  routing: routing, configs: configs, autoscaler: autoscaler)
    }

    /// Flagger's config tracker over the cluster's copies: a ConfigMap or
    /// Secret is tracked unless annotated `flagger.app/config-tracking:
    /// disabled`, a Secret only of the types Flagger tracks; a missing one
    /// referenced only as `optional` is left out, a missing required one
    /// stops the release (its pods could not start).
    func trackedConfigs(in template: JSONValue, namespace: String) async throws -> ConfigReferences {
        var references = ConfigReferences(template: template)
        for name in references.configMaps.sorted() {
            guard let map = try await client.resources(ConfigMap.self).getIfPresent(name, namespace: namespace) else {
                if references.isOptional(.configMap, name) { references.drop(.configMap, name); continue }
                throw Refusal(reason: "ConfigMap \(namespace)/\(name), which the pod template uses, is neither in Git nor in the cluster")
            }
            if Self.trackingDisabled(map.metadata.annotations) { references.drop(.configMap, name); continue }
            references.track(.configMap, name, data: .object((map.data ?? [:]).mapValues { .string($0) }))
        }
        let trackedTypes: Set<String> = ["Opaque", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth", "kubernetes.io/tls"]
        for name in references.secrets.sorted() {
            guard let secret = try await client.resources(Secret.self).getIfPresent(name, namespace: namespace) else {
                if references.isOptional(.secret, name) { references.drop(.secret, name); continue }
                throw Refusal(reason: "Secret \(namespace)/\(name), which the pod template uses, is neither in Git nor in the cluster")
            }
            if Self.trackingDisabled(secret.metadata.annotations) || !trackedTypes.contains(secret.type ?? "Opaque") {
                references.drop(.secret, name)
                continue
            }
            references.track(.secret, name, data: .object((secret.data ?? [:]).mapValues { .string($0) }))
        }
        return references
    }

    static func trackingDisabled(_ annotations: [String: String]?) -> Bool {
        annotations?[ConfigReferences.trackingAnnotation]?.hasPrefix("disable") == true
    }

    /// What the platform releases itself rather than Git sync applying it:
    /// every apps/v1 Deployment and DaemonSet, and a Service a Canary takes
    /// over as its apex (Flagger changes its selector and ports).
    /// Built once per revision: the apex Services its Canaries take over are
    /// looked up, not scanned for (a scan per Service was quadratic in the
    /// Canaries at every resync).
    public struct ReleasedServices: Sendable {
        private let apexes: Set<String>

        public init(_ desired: DesiredState) {
            var apexes: Set<String> = []
            for canary in desired.manifests.canaries where canary.spec.targetRef?.kind != "Workload" {
                guard let name = canary.spec.service?.name ?? canary.spec.targetRef?.name else { continue }
                apexes.insert("\(canary.namespace)/\(name)")
            }
            self.apexes = apexes
        }

        public func releases(_ object: KubeObject) -> Bool {
            if object.apiVersion == "apps/v1" && (object.kind == "Deployment" || object.kind == "DaemonSet") { return true }
            guard object.apiVersion == "v1", object.kind == "Service", let name = object.metadata.name else { return false }
            return apexes.contains("\(object.metadata.namespace ?? ResourceKey.defaultNamespace)/\(name)")
        }
    }
}

/// A revision's plain manifests by kind, namespace and name, in Git's
/// order: what a Canary's release looks up (its target, apex Service,
/// Ingress, autoscaler) is found without scanning every manifest, which
/// was quadratic in the Canaries at every resync.
struct ManifestIndex {
    private let byKey: [String: [PlainManifest]]

    init(_ plain: [PlainManifest]) {
        byKey = Dictionary(grouping: plain) { Self.key($0.kind, $0.namespace, $0.name) }
    }

    private static func key(_ kind: String, _ namespace: String, _ name: String) -> String {
        "\(kind)/\(namespace)/\(name)"
    }

    /// The first manifest of that kind, namespace and name that meets `condition`.
    func first(_ kind: String, _ namespace: String, _ name: String, where condition: (PlainManifest) -> Bool = { _ in true }) -> PlainManifest? {
        byKey[Self.key(kind, namespace, name)]?.first(where: condition)
    }
}
