import Foundation
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// The ways a kubeconfig proves who Serin is, against the real apiserver.
    @Suite struct AuthenticationTests {
        static func server() throws -> (server: String, ca: [UInt8]) {
            let config = try KubeTestCluster.config()
            return (config.server, try #require(config.certificateAuthority))
        }

        static func canListNamespaces(_ config: KubeConfig) async throws -> Bool {
            try await KubeClient.withClient(config: config, retryPolicy: .none) { client in
                do {
                    _ = try await client.resources(Namespace.self).list(limit: 1)
                    return true
                } catch let error as KubeError where error.status == 401 {
                    return false
                }
            }
        }

        @Test func kubeconfigOfTheLauncher() async throws {
            #expect(try await Self.canListNamespaces(KubeTestCluster.config()))
        }

        @Test func bearerToken() async throws {
            let token = try #require(KubeTestCluster.environment["SERIN_KUBE_TOKEN"], "SERIN_KUBE_TOKEN is not set: eval `cluster.sh env`")
            let (server, ca) = try Self.server()
            #expect(try await Self.canListNamespaces(KubeConfig(server: server, certificateAuthority: ca, credentials: .init(token: token))))
            #expect(try await !Self.canListNamespaces(KubeConfig(server: server, certificateAuthority: ca, credentials: .init(token: "wrong"))))
        }

        @Test func clientCertificate() async throws {
            let environment = KubeTestCluster.environment
            let certificate = try #require(environment["SERIN_KUBE_CLIENT_CERT"].flatMap { FileManager.default.contents(atPath: $0) },
                                           "SERIN_KUBE_CLIENT_CERT names no readable file: eval `cluster.sh env`")
            let key = try #require(environment["SERIN_KUBE_CLIENT_KEY"].flatMap { FileManager.default.contents(atPath: $0) })
            let (server, ca) = try Self.server()
            #expect(try await Self.canListNamespaces(KubeConfig(server: server, certificateAuthority: ca,
                                                                credentials: .init(clientCertificate: Array(certificate), clientKey: Array(key)))))
            // Without any credentials the apiserver does not know us.
            let anonymous = await #expect(throws: KubeError.self) {
                try await Self.canListNamespaces(KubeConfig(server: server, certificateAuthority: ca))
            }
            #expect(anonymous?.status == 403 || anonymous?.status == 401, "\(String(describing: anonymous))")
        }

        /// A token file is read again after a 401: a rotated token works at once.
        @Test func rotatedTokenFile() async throws {
            let token = try #require(KubeTestCluster.environment["SERIN_KUBE_TOKEN"], "SERIN_KUBE_TOKEN is not set: eval `cluster.sh env`")
            let (server, ca) = try Self.server()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("serin-token-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            try "stale-token\n".write(toFile: file, atomically: true, encoding: .utf8)
            try await KubeClient.withClient(config: KubeConfig(server: server, certificateAuthority: ca, credentials: .init(tokenFile: file)),
                                            retryPolicy: .none) { client in
                let stale = await #expect(throws: KubeError.self) { try await client.resources(Namespace.self).list(limit: 1) }
                #expect(stale?.status == 401)
                try (token + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                // Within the minute the old token is cached; the 401 makes the client read the file again.
                _ = try await client.resources(Namespace.self).list(limit: 1)
                // Stale file: 401, read again, 401. Rotated: the cached stale token 401, read again, 200.
                #expect(client.requests.current["list"] == 4)
            }
        }

        @Test func untrustedServerIsRefused() async throws {
            let (server, _) = try Self.server()
            let token = KubeTestCluster.environment["SERIN_KUBE_TOKEN"]
            // The system's roots do not know the test cluster's CA.
            let error = await #expect(throws: KubeError.self) {
                try await Self.canListNamespaces(KubeConfig(server: server, credentials: .init(token: token)))
            }
            #expect(error?.isTransport == true, "\(String(describing: error))")
            // insecure-skip-tls-verify trusts any certificate.
            #expect(try await Self.canListNamespaces(KubeConfig(server: server, insecureSkipTLSVerify: true, credentials: .init(token: token))))
        }
    }
}
