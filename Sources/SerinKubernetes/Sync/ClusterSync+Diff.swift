import Foundation
import SerinEngine
import SerinSpec

extension ClusterSync {
    /// What applying `objects` for `source` would change, as `kubectl diff`
    /// and `flux diff kustomization` say it: each object dry-run applied and
    /// the apiserver's answer compared with the live object (YAML, fields
    /// the apiserver keeps for itself left out), and what the inventory
    /// holds that Git no longer declares, to be pruned. Nothing is written.
    public func diff(source: String, objects: [KubeObject], releasedByPlatform: @escaping @Sendable (KubeObject) -> Bool = { _ in false }) async
        -> [SourceDiff.Object] {
        var result: [SourceDiff.Object] = []
        var declared: Set<String> = []
        let writer = writer(for: source)
        for var object in Self.ordered(objects) {
            object.metadata.labels = (object.metadata.labels ?? [:]).merging([Self.sourceLabel: source]) { _, new in new }
            let name = "\(object.kind) \(object.metadata.namespace.map { "\($0)/" } ?? "")\(object.metadata.name ?? "")"
            let resource: ResourceKind
            do {
                resource = try await client.resourceKind(of: object)
            } catch {
                result.append(.init(object: name, action: .refused, diff: "", message: Self.reason(error)))
                continue
            }
            if resource.namespaced && object.metadata.namespace == nil { object.metadata.namespace = client.config.namespace }
            if !resource.namespaced { object.metadata.namespace = nil }
            let key = WrittenObjects.Key(resource, namespace: object.metadata.namespace, name: object.metadata.name ?? "")
            declared.insert("\(object.apiVersion)/\(object.kind)/\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")")
            let live: KubeObject?
            do {
                live = try await writer.resources(resource).getIfPresent(key.name, namespace: key.namespace)
            } catch {
                result.append(.init(object: key.description, action: .refused, diff: "", message: Self.reason(error)))
                continue
            }
            let platform = releasedByPlatform(object)
            if platform, var spec = object["spec"]?.objectValue, live != nil {
                // The platform owns a released Deployment's replicas (the
                // rollout's, or its autoscaler's) and its revision annotation.
                spec["replicas"] = nil
                object["spec"] = .object(spec)
            }
            let answer: KubeObject
            do {
                answer = try await writer.resources(resource).dryRunApply(object, fieldManager: Self.fieldManager, force: true)
            } catch {
                result.append(.init(object: key.description, action: .refused, diff: "", message: Self.reason(error)))
                continue
            }
            let after = Self.comparable(answer, platform: platform)
            guard let live else {
                result.append(.init(object: key.description, action: .create,
                                    diff: UnifiedDiff.make(from: "", to: after, oldName: "/dev/null", newName: key.description)))
                continue
            }
            let before = Self.comparable(live, platform: platform)
            let text = UnifiedDiff.make(from: before, to: after, oldName: "\(key.description) (live)", newName: "\(key.description) (\(source))")
            if !text.isEmpty { result.append(.init(object: key.description, action: .change, diff: text)) }
        }
        if let inventory = try? await inventory(of: source) {
            for entry in Self.pruneOrder(Array(inventory.entries.values)) where !declared.contains(entry.id) {
                result.append(.init(object: entry.description, action: inventory.prune ? .prune : .keep, diff: "",
                                    message: inventory.prune ? "no longer in Git: pruned if still labelled for \(source)" : "no longer in Git; prune: false keeps it"))
            }
        }
        return result
    }

    /// An object as YAML, without what only the apiserver writes.
    static func comparable(_ object: KubeObject, platform: Bool) -> String {
        var value = json(object)
        value["status"] = nil
        if case .object(var metadata)? = value["metadata"] {
            for key in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"] { metadata[key] = nil }
            if platform, case .object(var annotations)? = metadata["annotations"] {
                annotations[FlaggerObjects.revisionAnnotation] = nil
                annotations["deployment.kubernetes.io/revision"] = nil
                metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations)
            }
            value["metadata"] = .object(metadata)
        }
        if platform, case .object(var spec)? = value["spec"] {
            spec["replicas"] = nil
            value["spec"] = .object(spec)
        }
        return value.yamlText ?? "\(value)"
    }
}
