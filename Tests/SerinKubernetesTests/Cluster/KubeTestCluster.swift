import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SerinTesting
import Testing

@testable import SerinKubernetes

/// The real apiserver the tests run against: the one KUBECONFIG names,
/// as `scripts/kube/cluster.sh up` (or `env`) exports it. Without one the
/// tests fail, saying so; they never pass by skipping.
struct KubeTestCluster {
    struct NotConfigured: Error, CustomStringConvertible {
        let description: String
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
    }

    static let environment = ProcessInfo.processInfo.environment

    static func config() throws -> KubeConfig {
        guard let path = environment["KUBECONFIG"], !path.isEmpty else {
            throw NotConfigured(description: """
                no Kubernetes cluster for SerinKubernetesTests: KUBECONFIG is not set. \
                Start the test cluster and export its environment first: \
                eval "$(bash scripts/kube/cluster.sh up)" (or `cluster.sh env` when it runs)
                """)
        }
        do {
            return try KubeConfig.load(path: path)
        } catch {
            throw NotConfigured(description: "KUBECONFIG=\(path) cannot be used: \(error)")
        }
    }

    static func client(retryPolicy: RetryPolicy = RetryPolicy()) throws -> KubeClient {
        var logger = Logger(label: "serin.kubernetes.test")
        logger.logLevel = environment["SERIN_TEST_LOG"] == "trace" ? .trace : .info
        return try KubeClient(config: config(), retryPolicy: retryPolicy, logger: logger)
    }

    /// Runs `body` with a client and a namespace of its own (random
    /// suffix), deleted afterwards whatever happened.
    static func withNamespace(_ test: String = #function,
                              _ body: (KubeClient, String) async throws -> Void) async throws {
        let client = try client()
        let prefix = test.prefix { $0 != "(" }.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30)
        let namespace = "serin-\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        do {
            _ = try await client.resources(Namespace.self).create(Namespace(name: namespace, labels: ["serin.dev/test": "true"]))
            try await body(client, namespace)
        } catch {
            await cleanUp(client, namespace)
            throw error
        }
        await cleanUp(client, namespace)
    }

    private static func cleanUp(_ client: KubeClient, _ namespace: String) async {
        do {
            try await client.resources(Namespace.self).deleteIfPresent(namespace, propagationPolicy: .background)
        } catch {
            Issue.record("cannot delete the test namespace \(namespace): \(error)")
        }
        try? await client.shutdown()
    }

    /// Asks etcd to compact its history up to `revision` (the apiserver's
    /// resourceVersions are etcd revisions): older resourceVersions and
    /// continue tokens then get 410 Gone. The launcher exports etcd's
    /// address as SERIN_KUBE_ETCD.
    static func compactEtcd(revision: String) async throws {
        guard let etcd = environment["SERIN_KUBE_ETCD"], !etcd.isEmpty else {
            throw NotConfigured(description: "SERIN_KUBE_ETCD is not set: eval the output of `scripts/kube/cluster.sh env`")
        }
        var request = HTTPClientRequest(url: "\(etcd)/v3/kv/compaction")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: #"{"revision":"\#(revision)","physical":true}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200 else {
            throw TestFailure(description: "etcd compaction failed: \(response.status) \(String(buffer: body))")
        }
    }

    /// Applies the CRD in Fixtures/`fixture` and waits until it is served.
    /// A CRD of that name that is not a test fixture (someone installed the
    /// real one) is left as it is.
    static func installCRD(_ client: KubeClient, fixture: String) async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(fixture)").path
        guard let crd = try KubeObject.manifests(yaml: String(contentsOfFile: path, encoding: .utf8)).first, let name = crd.metadata.name else {
            throw TestFailure(description: "\(path) holds no CRD")
        }
        let crds = client.resources(CustomResourceDefinition.self)
        let existing = try await crds.getIfPresent(name)
        if existing == nil || existing?.metadata.annotations?["serin.dev/test-fixture"] != nil || fixture == "canary-crd.yaml" {
            _ = try await client.resources(CustomResourceDefinition.resourceKind).apply(crd, fieldManager: "serin-test", force: true)
        }
        try await eventually("\(name) is established") {
            try await crds.get(name).isEstablished
        }
    }
}
