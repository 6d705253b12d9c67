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
    /// DaemonSets are not followed for drift.
    public func adoptWrites(_ desired: DesiredState) async {
        guard deployments.hasSynced, let selection = try? await revisions(in: desired) else { return }
        for revision in selection.revisions where revision.kind == .deployment {
            let workload = revision.workload
            guard let routing = revision.routing else {
                var body = FlaggerObjects.target(revision)
                body["spec"]?["replicas"] = .int(revision.replicas)
                adopt(body, workload.name, workload.namespace, manager: Self.fieldManager, revision: revision.id)
                continue
            }
            let owner = try? await ownerReference(routing, namespace: workload.namespace)
            adopt(FlaggerObjects.primary(revision, routing, replicas: primaryReplicas(revision), owner: owner ?? nil),
                  FlaggerObjects.primaryName(workload.name), workload.namespace, manager: Self.fieldManager, revision: revision.id)
            adopt(revision.declared ? FlaggerObjects.target(revision) : FlaggerObjects.targetRevision(revision), workload.name, workload.namespace,
                  manager: Self.fieldManager, revision: revision.id)
            // Outside a release the target serves nothing.
            adopt(FlaggerObjects.replicas(workload, 0), workload.name, workload.namespace, manager: Self.rolloutFieldManager, revision: nil)
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
