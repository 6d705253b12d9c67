import Foundation
import SerinKubernetes
import Synchronization
import SerinSpec

/// A node that is not a machine, as KWOK makes them: a hand-made Node
/// object (tainted, so the scheduler puts nobody else's pods on it), kept
/// Ready by renewing its Lease in `kube-node-lease` the way a kubelet
/// does, and a stand-in kubelet that marks every pod bound to it Running
/// and Ready through `pods/status` (no container runs) and finishes the
/// deletion of pods that are deleted (a real kubelet confirms it once the
/// containers stopped). The bench's Deployments name it in `nodeName`, so
/// the controller-manager's ReplicaSets and pods are real, and the
/// Deployments' rollout status is what the apiserver computes.
public final class FakeNode: Sendable {
    public static let taint = "serin.dev/fake-node"

    public let name: String
    private let client: KubeClient
    private let pods: Informer<Pod>
    private let work: Task<Void, Never>
    /// Pods marked Ready so far, and the bench's own requests (for the figures' footnotes).
    private let counts: Counts

    private static let nodeKind = ResourceKind(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false)

    /// Creates the Node and its Lease (taking over leftovers of an earlier run) and starts the kubelet stand-in.
    /// `tainted`: only pods that tolerate `taint` go to it (beside a real node); untainted, the
    /// scheduler puts every pod on it (a cluster whose only node it is).
    public init(client: KubeClient, name: String = "serin-bench-fake-node", tainted: Bool = true) async throws {
        self.name = name
        self.client = client
        let nodes = client.resources(Self.nodeKind)
        if try await nodes.getIfPresent(name) != nil {
            try await nodes.delete(name)
        }
        let node = try await nodes.create(KubeObject(
            apiVersion: "v1", kind: "Node",
            metadata: ObjectMeta(name: name, labels: ["kubernetes.io/hostname": name, Self.taint: "true", "type": "kwok"],
                                 annotations: ["serin.dev/fake": "a node without a kubelet (FakeNode)"]),
            content: tainted ? ["spec": ["taints": [["key": .string(Self.taint), "value": "true", "effect": "NoSchedule"]]]] : [:]))
        _ = try await nodes.mergePatch(name, patch: Self.nodeStatus(), subresource: "status")
        let leases = client.resources(Lease.self)
        _ = try await leases.deleteIfPresent(name, namespace: "kube-node-lease")
        let now = Self.microTime(Date())
        var lease = Lease(metadata: ObjectMeta(name: name, namespace: "kube-node-lease",
                                               ownerReferences: [OwnerReference(apiVersion: "v1", kind: "Node", name: name, uid: node.metadata.uid ?? "")]),
                          spec: Lease.Spec(holderIdentity: name, leaseDurationSeconds: 40, renewTime: now))
        lease = try await leases.create(lease)

        let pods = Informer(client.resources(Pod.self), fieldSelector: "spec.nodeName=\(name)")
        let counts = Counts()
        self.pods = pods
        self.counts = counts
        let changes = pods.changes()
        work = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await pods.run() }
                // The kubelet's heartbeat: every 10 s, as a 1.20 kubelet renews its lease.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(10))
                        guard !Task.isCancelled else { return }
                        let patch: JSONValue = ["spec": ["renewTime": .string(Self.microTime(Date()))]]
                        if (try? await leases.mergePatch(name, namespace: "kube-node-lease", patch: patch)) != nil { counts.add(requests: 1) }
                    }
                }
                // Pods to mark, at most 8 requests at a time.
                let (queue, inbox) = AsyncStream<Pod>.makeStream()
                group.addTask {
                    for await change in changes {
                        if case .deleted = change { continue }
                        let pod = change.object
                        if pod.metadata.deletionTimestamp != nil || !pod.isReady { inbox.yield(pod) }
                    }
                    inbox.finish()
                }
                for _ in 0..<8 {
                    group.addTask {
                        for await pod in queue {
                            await Self.handle(pod, client: client, counts: counts, node: name)
                        }
                    }
                }
            }
        }
    }

    public var podsMarkedReady: Int { counts.ready }
    public var requestsSent: Int { counts.requests }

    /// Stops the kubelet stand-in, then removes the Node (its Lease goes with it).
    public func remove() async {
        work.cancel()
        await work.value
        _ = try? await client.resources(Self.nodeKind).deleteIfPresent(name)
        _ = try? await client.resources(Lease.self).deleteIfPresent(name, namespace: "kube-node-lease")
    }

    /// Keeps running (pods being deleted need it) until `remove()`.
    private static func handle(_ pod: Pod, client: KubeClient, counts: Counts, node: String) async {
        guard let podName = pod.metadata.name, let namespace = pod.metadata.namespace else { return }
        let resources = client.resources(Pod.self)
        if pod.metadata.deletionTimestamp != nil {
            // What the kubelet does once the containers are gone: the final, immediate delete.
            try? await resources.delete(podName, namespace: namespace, gracePeriodSeconds: 0)
            counts.add(requests: 1)
            return
        }
        let now = Self.rfc3339(Date())
        let condition = { (type: String) -> JSONValue in ["type": .string(type), "status": "True", "lastTransitionTime": .string(now)] }
        let containers = pod.spec?["containers"]?.arrayValue ?? []
        let statuses: [JSONValue] = containers.map { container in
            ["name": container["name"] ?? "app", "image": container["image"] ?? "", "imageID": "fake://serin-bench",
             "ready": true, "started": true, "restartCount": 0, "state": ["running": ["startedAt": .string(now)]]]
        }
        let patch: JSONValue = ["status": [
            "phase": "Running", "hostIP": "192.0.2.250", "podIP": .string(counts.nextAddress()), "startTime": .string(now),
            "conditions": [condition("Initialized"), condition("Ready"), condition("ContainersReady"), condition("PodScheduled")],
            "containerStatuses": .array(statuses),
        ]]
        do {
            _ = try await resources.mergePatch(podName, namespace: namespace, patch: patch, subresource: "status")
            counts.add(requests: 1, ready: 1)
        } catch {
            counts.add(requests: 1)
        }
    }

    static func nodeStatus() -> JSONValue {
        let now = rfc3339(Date())
        let resources: JSONValue = ["cpu": "1000", "memory": "4000Gi", "pods": "10000"]
        return ["status": [
            "capacity": resources, "allocatable": resources,
            "addresses": [["type": "InternalIP", "address": "192.0.2.250"], ["type": "Hostname", "address": "serin-bench-fake-node"]],
            "conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "fake node of serin-bench kube",
                            "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now)]],
            "nodeInfo": ["kubeletVersion": "fake", "kubeProxyVersion": "fake", "operatingSystem": "linux", "architecture": "amd64",
                         "containerRuntimeVersion": "fake://", "kernelVersion": "", "osImage": "", "machineID": "", "systemUUID": "",
                         "bootID": ""],
        ]]
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// RFC 3339 with microseconds, the apiserver's MicroTime (a Lease's renewTime).
    static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        let micros = Int((seconds - seconds.rounded(.down)) * 1_000_000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    final class Counts: Sendable {
        private struct Values { var ready = 0, requests = 0, address = 0 }
        private let values = Mutex(Values())

        var ready: Int { values.withLock { $0.ready } }
        var requests: Int { values.withLock { $0.requests } }

        func add(requests: Int, ready: Int = 0) {
            values.withLock {
                $0.requests += requests
                $0.ready += ready
            }
        }

        /// Pod addresses in 10.245.0.0/16, outside the cluster's pod range: nothing routes to them.
        func nextAddress() -> String {
            let number = values.withLock { values in
                values.address += 1
                return values.address
            }
            return "10.245.\((number / 250) % 250).\(number % 250 + 1)"
        }
    }
}
