import SerinEngine
import SerinSpec

extension KubernetesPlatform {
    /// What the platform would write of `desired`'s Deployments and
    /// DaemonSets, where the cluster holds it already, taken as written
    /// (`written`), so the drift watch compares them with it: after a
    /// restart nothing needs writing (the rollouts are steady, the plain
    /// workloads run their revision), so nothing would be recorded
    /// otherwise. Only where the object runs that very revision
    /// (`serin.dev/revision`) and holds every field as the platform writes
    /// it; a release under way records its own writes.
    public func adoptWrites(_ desired: DesiredState) async {
        guard deployments.hasSynced, daemonSets.hasSynced, !everyWriteAdopted(desired),
              let selection = try? await revisions(in: desired) else { return }
        for revision in selection.revisions {
            let workload = revision.workload, kind = revision.kind
            if adopted(kind, workload.name, workload.namespace, manager: Self.fieldManager)
                && (revision.routing == nil
                    || adopted(kind, FlaggerObjects.primaryName(workload.name), workload.namespace, manager: Self.fieldManager)
                    && adopted(kind, workload.name, workload.namespace, manager: Self.rolloutFieldManager)) {
                continue
            }
            guard let routing = revision.routing else {
                var body = FlaggerObjects.target(revision)
                if kind == .deployment { body["spec"]?["replicas"] = .int(revision.replicas) }
                adopt(body, kind, workload.name, workload.namespace, manager: Self.fieldManager, revision: revision.id)
                continue
            }
            let owner = try? await ownerReference(routing, namespace: workload.namespace)
            adopt(FlaggerObjects.primary(revision, routing, replicas: primaryReplicas(revision), owner: owner ?? nil), kind,
                  FlaggerObjects.primaryName(workload.name), workload.namespace, manager: Self.fieldManager, revision: revision.id)
            adopt(revision.declared ? FlaggerObjects.target(revision) : FlaggerObjects.targetRevision(revision), kind, workload.name,
                  workload.namespace, manager: Self.fieldManager, revision: revision.id)
            // Outside a release the target serves nothing.
            let scaled = kind == .deployment ? FlaggerObjects.replicas(workload, 0) : FlaggerObjects.daemonSetScale(workload, zero: true)
            adopt(scaled, kind, workload.name, workload.namespace, manager: Self.rolloutFieldManager, revision: nil)
        }
    }

    private func adopt(_ body: JSONValue, _ kind: KubernetesRevision.TargetKind, _ name: String, _ namespace: String, manager: String,
                       revision: String?) {
        let resource = kind == .deployment ? Deployment.resourceKind : DaemonSet.resourceKind
        let key = WrittenObjects.Key(resource, namespace: namespace, name: name)
        // Adopted once: every resync asks again, and the conversion below is
        // the costly part (an encode and a decode of the whole object).
        guard !adopted(kind, name, namespace, manager: manager) else { return }
        let live: (object: KubeObject, meta: ObjectMeta)? = switch kind {
        case .deployment: deployments.get(name, namespace: namespace).flatMap { found in ClusterSync.object(found).map { ($0, found.metadata) } }
        case .daemonSet: daemonSets.get(name, namespace: namespace).flatMap { found in ClusterSync.object(found).map { ($0, found.metadata) } }
        }
        guard let live,
              revision == nil || live.meta.annotations?[FlaggerObjects.revisionAnnotation] == revision,
              DeclaredFields.holds(ClusterSync.json(live.object), body) else { return }
        written.record(key, resource: resource, manager: manager, sent: body, answer: live.object,
                       source: live.meta.labels?[ClusterSync.sourceLabel])
    }

    /// Whether every workload of `desired` has its writes recorded (the
    /// steady case: after the first resync, at every resync): then the
    /// revisions need not be worked out again. A key named differently
    /// than the revisions name it only means they are worked out.
    private func everyWriteAdopted(_ desired: DesiredState) -> Bool {
        let declared = Set(desired.manifests.plain.filter { $0.apiVersion == "apps/v1" }.map { "\($0.kind)/\($0.namespace)/\($0.name)" })
        var released: Set<String> = []
        for canary in desired.manifests.canaries {
            guard let reference = canary.spec.targetRef, let name = reference.name,
                  let kind = reference.kind.flatMap(KubernetesRevision.TargetKind.init(rawValue:)) else { continue }
            let key = "\(kind.rawValue)/\(canary.namespace)/\(name)"
            // A target only the cluster holds is read again at every resync (its template is another tool's).
            guard declared.contains(key) else { return false }
            released.insert(key)
            guard adopted(kind, name, canary.namespace, manager: Self.fieldManager),
                  adopted(kind, FlaggerObjects.primaryName(name), canary.namespace, manager: Self.fieldManager),
                  adopted(kind, name, canary.namespace, manager: Self.rolloutFieldManager) else { return false }
        }
        for manifest in desired.manifests.plain where manifest.apiVersion == "apps/v1" {
            guard let kind = KubernetesRevision.TargetKind(rawValue: manifest.kind),
                  !released.contains("\(kind.rawValue)/\(manifest.namespace)/\(manifest.name)") else { continue }
            guard adopted(kind, manifest.name, manifest.namespace, manager: Self.fieldManager) else { return false }
        }
        return true
    }

    /// Whether `manager`'s write of the object is recorded already (by the
    /// platform's own write or an earlier adoption).
    private func adopted(_ kind: KubernetesRevision.TargetKind, _ name: String, _ namespace: String, manager: String) -> Bool {
        let resource = kind == .deployment ? Deployment.resourceKind : DaemonSet.resourceKind
        return written.writes(of: WrittenObjects.Key(resource, namespace: namespace, name: name)).contains { $0.manager == manager }
    }
}
