import Foundation
import SerinKubernetes
import SerinSpec

/// Who `serin run` is for the apiserver during the benchmark, so that the
/// apiserver itself can say which requests were Serin's on a cluster other
/// clients use at the same time: a ServiceAccount bound to cluster-admin
/// (the kubeconfig Serin gets carries its token), and two FlowSchemas of
/// API Priority and Fairness matching it — one for its Lease requests, one
/// for the rest — in the `exempt` priority level, as the admin's requests
/// are, so nothing is queued. The apiserver counts each schema's requests
/// in `apiserver_flowcontrol_dispatched_requests_total{flow_schema}`
/// (watches, being long-running, are not dispatched through it).
struct BenchIdentity {
    let namespace: String
    let kubeconfig: String
    let flowSchema: String
    let leaseFlowSchema: String
    private let bindingName: String

    static let serviceAccount = "serin-bench"
    static let flowSchemaKind = ResourceKind(group: "flowcontrol.apiserver.k8s.io", version: "v1beta1", kind: "FlowSchema",
                                             plural: "flowschemas", namespaced: false)
    static let bindingKind = ResourceKind(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding",
                                          plural: "clusterrolebindings", namespaced: false)
    static let serviceAccountKind = ResourceKind(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)

    static func create(_ client: KubeClient, namespace: String, directory: String) async throws -> BenchIdentity {
        let accounts = client.resources(serviceAccountKind)
        _ = try await accounts.create(KubeObject(apiVersion: "v1", kind: "ServiceAccount",
                                                 metadata: ObjectMeta(name: serviceAccount, namespace: namespace)))
        let bindingName = namespace
        _ = try await client.resources(bindingKind).create(KubeObject(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: ObjectMeta(name: bindingName),
            content: ["roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"],
                      "subjects": [["kind": "ServiceAccount", "name": .string(serviceAccount), "namespace": .string(namespace)]]]))
        let subject: JSONValue = ["kind": "ServiceAccount", "serviceAccount": ["name": .string(serviceAccount), "namespace": .string(namespace)]]
        let schemas = client.resources(flowSchemaKind)
        let flowSchema = namespace, leaseFlowSchema = namespace + "-leases"
        for (name, precedence, rules) in [
            (leaseFlowSchema, 40, ["verbs": ["*"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "namespaces": ["*"]] as JSONValue),
            (flowSchema, 41, ["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "clusterScope": true, "namespaces": ["*"]] as JSONValue),
        ] {
            var rule: JSONValue = ["subjects": [subject], "resourceRules": [rules]]
            if name == flowSchema { rule["nonResourceRules"] = [["verbs": ["*"], "nonResourceURLs": ["*"]]] }
            _ = try await schemas.create(KubeObject(
                apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", kind: "FlowSchema", metadata: ObjectMeta(name: name),
                content: ["spec": ["priorityLevelConfiguration": ["name": "exempt"], "matchingPrecedence": .int(Int64(precedence)),
                                   "rules": [rule]]]))
        }
        // 1.20's token controller writes the account's token into a Secret.
        var token: String?
        let deadline = ContinuousClock.now + .seconds(60)
        while token == nil {
            let account = try await accounts.get(serviceAccount, namespace: namespace)
            if let secret = account["secrets"]?.arrayValue?.first?["name"]?.stringValue {
                token = try await client.resources(Secret.self).get(secret, namespace: namespace).value("token").map { String(decoding: $0, as: UTF8.self) }
            }
            guard token == nil else { break }
            guard ContinuousClock.now < deadline else { throw BenchError("no token for ServiceAccount \(namespace)/\(serviceAccount) within 60 s") }
            try await Task.sleep(for: .milliseconds(500))
        }
        let authority = directory + "/ca.crt"
        try Data(client.config.certificateAuthority ?? []).write(to: URL(fileURLWithPath: authority))
        let kubeconfig = directory + "/kubeconfig"
        try """
            apiVersion: v1
            kind: Config
            clusters: [{ name: bench, cluster: { server: "\(client.config.server)", certificate-authority: \(authority) } }]
            users: [{ name: serin-bench, user: { token: "\(token ?? "")" } }]
            contexts: [{ name: bench, context: { cluster: bench, user: serin-bench, namespace: \(namespace) } }]
            current-context: bench

            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        return BenchIdentity(namespace: namespace, kubeconfig: kubeconfig, flowSchema: flowSchema, leaseFlowSchema: leaseFlowSchema,
                             bindingName: bindingName)
    }

    func remove(_ client: KubeClient) async {
        for name in [flowSchema, leaseFlowSchema] { _ = try? await client.resources(Self.flowSchemaKind).deleteIfPresent(name) }
        _ = try? await client.resources(Self.bindingKind).deleteIfPresent(bindingName)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
