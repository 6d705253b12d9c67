import Foundation
import SerinSpec
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// The object validated is the object applied: the validate stage's one
    /// parse is what goes over the wire, with only the source's label added.
    @Suite struct OneParseTests {
        @Test(.timeLimit(.minutes(2)))
        func whatTheApiserverIsSentIsTheValidatedObject() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let files = InMemoryFiles(["deploy/app.yaml": """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: { name: settings, namespace: \(namespace), labels: { app: web } }
                    data:
                      greeting: "hello: world"   # a colon inside a quoted value
                      count: "3"
                      url: https://example.com/a/b
                    ---
                    apiVersion: v1
                    kind: Service
                    metadata: { name: web, namespace: \(namespace) }
                    spec:
                      ports: [{ name: http, port: 80, targetPort: 8080, protocol: TCP }]
                      selector: { app: web }

                    """])
                let rendered = try PlainRenderer().renderNow(RenderRequest(source: "one-parse", files: files, path: "deploy"))
                let manifests = ManifestLoader().load(rendered)
                #expect(!Validator(platform: .kubernetes).validate(manifests).hasErrors)
                let validated = manifests.objects.map(\.value)

                let proxy = try await FaultInjectingProxy(to: KubeTestCluster.config())
                var config = try KubeTestCluster.config()
                config.server = "http://127.0.0.1:\(proxy.port)"
                let proxied = try KubeClient(config: config)
                let sync = ClusterSync(client: proxied, inventoryNamespace: namespace, createsInventoryNamespace: false)
                let report = await sync.sync(source: "one-parse", objects: try manifests.clusterObjects())
                #expect(report.failures.isEmpty, "\(report.failures)")
                // The writes, not the server-side dry runs before them (the same bodies, all or nothing).
                let applies = proxy.log.filter {
                    $0.method == "PATCH" && $0.uri.contains("fieldManager=serin") && !$0.uri.contains("serin-inventory") && !$0.uri.contains("dryRun")
                }
                try await proxied.shutdown()
                await proxy.stop()

                #expect(applies.count == validated.count, "\(applies)")
                for (request, object) in zip(applies, validated) {
                    var expected = object
                    var metadata = expected["metadata"]?.objectValue ?? [:]
                    var labels = metadata["labels"]?.objectValue ?? [:]
                    labels[ClusterSync.sourceLabel] = "one-parse"
                    metadata["labels"] = .object(labels)
                    expected["metadata"] = .object(metadata)
                    let sent = try JSONValue.parse(request.body)
                    #expect(try sent.canonicalData() == expected.canonicalData(),
                            "\(request.uri): sent \(String(decoding: request.body, as: UTF8.self))")
                }
            }
        }
    }
}
