import Foundation
import SerinSpec

extension ClusterSync {
    /// The objects of a revision that are not healthy (kstatus' rules,
    /// `ObjectHealth`), one line each naming the object and why
    /// (`Deployment ns/web: ProgressDeadlineExceeded: …`, `… updated
    /// replicas 0/2`); empty once all are. Read from the caches (no request
    /// per look), every second until all are healthy, one has failed for
    /// good, or `timeout` passes (zero: one look). `expectedRevision`: for
    /// a Deployment the platform writes, the `serin.dev/revision` it must
    /// run (an older one rolled out is not this revision's health).
    ///
    /// The informers select Serin's source label, so an object another owner
    /// took that label from (the platform, from a Service a Canary took
    /// over; another tool) is out of their sight, not out of the cluster:
    /// such an object is read with one GET, as the source's client, before
    /// it is called "not in the cluster".
    public func unhealthy(_ objects: [KubeObject], expectedRevision: @Sendable (KubeObject) -> String? = { _ in nil },
                          timeout: Duration, clock: ContinuousClock = ContinuousClock()) async -> [String] {
        var checked: [(resource: ResourceKind, namespace: String?, name: String, description: String, revision: String?,
                       source: String?)] = []
        for object in objects {
            guard let resource = try? await client.resourceKind(of: object) else { continue }
            let namespace = resource.namespaced ? object.metadata.namespace ?? client.config.namespace : nil
            let name = object.metadata.name ?? ""
            checked.append((resource, namespace, name, WrittenObjects.Key(resource, namespace: namespace, name: name).description,
                            expectedRevision(object), object.metadata.labels?[Self.sourceLabel]))
        }
        guard !checked.isEmpty else { return [] }
        let deadline = clock.now.advanced(by: timeout)
        while true {
            var problems: [String] = []
            var failed = false
            for object in checked {
                var seen = await live(object.resource, namespace: object.namespace, name: object.name)
                if seen == nil {
                    seen = try? await writer(for: object.source).resources(object.resource).getIfPresent(object.name, namespace: object.namespace)
                }
                guard let live = seen else {
                    problems.append("\(object.description): not in the cluster")
                    continue
                }
                if let revision = object.revision, live.metadata.annotations?[FlaggerObjects.revisionAnnotation] != revision {
                    problems.append("\(object.description): revision \(revision) not deployed yet")
                    continue
                }
                switch ObjectHealth.of(Self.json(live)) {
                case .current: break
                case .inProgress(let reason, let message): problems.append("\(object.description): \(reason): \(message)")
                case .failed(let reason, let message):
                    failed = true
                    problems.append("\(object.description): \(reason): \(message)")
                }
            }
            if problems.isEmpty || failed || clock.now >= deadline || Task.isCancelled { return problems }
            try? await Task.sleep(for: min(.seconds(1), clock.now.duration(to: deadline)))
        }
    }
}
