import SerinEngine
import SerinSpec

extension KubernetesPlatform {
    /// What the platform would write of `desired`'s Deployments, where the
    /// cluster holds it already, taken as written (`written`), so the drift
    /// watch compares them with it: after a restart nothing needs writing
    /// (the rollouts are steady, the plain Deployments run their revision),
    /// so nothing would be recorded otherwise. Only where the Deployment
    /// runs that very revision (`serin.dev/revision`) and holds every field
    /// as the platform writes it; a release under way records its own writes.
    public func adoptWrites(_ desired: DesiredState) async {
        guard deployments.hasSynced, let selection = try? await revisions(in: desired) else { return }
        for revision in selection.revisions {
            let workload = revision.workload
            if revision.routing == nil {
                var body = FlaggerObjects.target(revision)
                body["spec"]?["replicas"] = .int(revision.replicas)
                adopt(body, workload.name, workload.namespace, manager: Self.fieldManager, revision: revision.id)
            } else {
                adopt(FlaggerObjects.primary(revision), FlaggerObjects.primaryName(workload.name), workload.namespace,
                      manager: Self.fieldManager, revision: revision.id)
                adopt(FlaggerObjects.target(revision), workload.name, workload.namespace, manager: Self.fieldManager, revision: revision.id)
                // Outside a release the target serves nothing.
                adopt(FlaggerObjects.replicas(workload, 0), workload.name, workload.namespace, manager: Self.rolloutFieldManager, revision: nil)
            }
        }
    }

    private func adopt(_ body: JSONValue, _ name: String, _ namespace: String, manager: String, revision: String?) {
        let key = WrittenObjects.Key(Deployment.resourceKind, namespace: namespace, name: name)
        guard !written.writes(of: key).contains(where: { $0.manager == manager }),
              let live = deployments.get(name, namespace: namespace),
              revision == nil || live.metadata.annotations?[FlaggerObjects.revisionAnnotation] == revision,
              let object = ClusterSync.object(live), DeclaredFields.holds(ClusterSync.json(object), body) else { return }
        written.record(key, resource: Deployment.resourceKind, manager: manager, sent: body, answer: object,
                       source: live.metadata.labels?[ClusterSync.sourceLabel])
    }
}
