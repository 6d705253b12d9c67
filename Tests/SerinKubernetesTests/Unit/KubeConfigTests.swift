import Foundation
import Testing

@testable import SerinKubernetes

@Suite struct KubeConfigTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    static let kubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: admin@serin
        clusters:
        - name: serin
          cluster:
            server: https://127.0.0.1:6443/
            certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
        - name: other
          cluster:
            server: https://other.example:443
            insecure-skip-tls-verify: true
            tls-server-name: kubernetes.default
        users:
        - name: admin
          user:
            client-certificate: pki/admin.crt
            client-key-data: \(Data("KEY".utf8).base64EncodedString())
        - name: robot
          user:
            tokenFile: /var/run/token
        - name: static
          user:
            token: abc123
        contexts:
        - name: admin@serin
          context:
            cluster: serin
            user: admin
        - name: robot@other
          context:
            cluster: other
            user: robot
            namespace: team-a
        - name: broken
          context:
            cluster: missing
            user: static
        """

    static func directory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serin-kubeconfig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/pki", withIntermediateDirectories: true)
        try Data("CERT".utf8).write(to: URL(fileURLWithPath: directory + "/pki/admin.crt"))
        return directory
    }

    @Test func currentContext() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try KubeConfig.parse(Self.kubeconfig, directory: directory)
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.certificateAuthority == Array(Self.caPEM.utf8))
        #expect(config.credentials.clientCertificate == Array("CERT".utf8))
        #expect(config.credentials.clientKey == Array("KEY".utf8))
        #expect(config.credentials.token == nil)
        #expect(config.namespace == "default")
        #expect(!config.insecureSkipTLSVerify)
    }

    @Test func namedContext() throws {
        let config = try KubeConfig.parse(Self.kubeconfig, directory: "/", context: "robot@other")
        #expect(config.server == "https://other.example:443")
        #expect(config.insecureSkipTLSVerify)
        #expect(config.tlsServerName == "kubernetes.default")
        #expect(config.credentials.tokenFile == "/var/run/token")
        #expect(config.namespace == "team-a")
    }

    @Test(arguments: [("broken", "no cluster \"missing\""), ("nope", "no context \"nope\"")])
    func unknownNames(context: String, message: String) throws {
        let error = #expect(throws: KubeConfigError.self) {
            try KubeConfig.parse(Self.kubeconfig, directory: "/", context: context)
        }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test func missingClientCertificateFile() throws {
        let error = #expect(throws: KubeConfigError.self) {
            try KubeConfig.parse(Self.kubeconfig, directory: "/nonexistent")
        }
        #expect(error?.description.contains("/nonexistent/pki/admin.crt") == true)
    }

    /// KUBECONFIG with several files: the first to name an entry wins.
    @Test func mergedFiles() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = """
            current-context: mine
            contexts:
            - name: mine
              context: {cluster: serin, user: static, namespace: first}
            """
        try first.write(toFile: directory + "/first", atomically: true, encoding: .utf8)
        try Self.kubeconfig.write(toFile: directory + "/second", atomically: true, encoding: .utf8)
        let config = try KubeConfig.load(environment: ["KUBECONFIG": "\(directory)/first:\(directory)/missing:\(directory)/second"])
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.credentials.token == "abc123")
        #expect(config.namespace == "first")
    }

    @Test func inCluster() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "tok-1\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        try Self.caPEM.write(toFile: directory + "/ca.crt", atomically: true, encoding: .utf8)
        try "serin-system".write(toFile: directory + "/namespace", atomically: true, encoding: .utf8)
        let config = try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                                              paths: .init(directory: directory))
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.credentials.tokenFile == directory + "/token")
        #expect(config.namespace == "serin-system")
        #expect(config.certificateAuthority == Array(Self.caPEM.utf8))

        let ipv6 = try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"],
                                            paths: .init(directory: directory))
        #expect(ipv6.server == "https://[fd00::1]:443")

        #expect(throws: KubeConfigError.self) {
            try KubeConfig.inCluster(environment: [:], paths: .init(directory: directory))
        }
    }

    /// A rotated token file is read again after the interval, or at once after a 401.
    @Test func tokenFileRotation() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/token"
        try "one\n".write(toFile: file, atomically: true, encoding: .utf8)
        let token = BearerToken(token: nil, file: file, rereadInterval: .seconds(60))
        let start = ContinuousClock.now
        #expect(token.current(now: start) == "one")
        try "two\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(token.current(now: start + .seconds(59)) == "one")
        #expect(token.current(now: start + .seconds(61)) == "two")
        try "three".write(toFile: file, atomically: true, encoding: .utf8)
        token.invalidate()
        #expect(token.current(now: start + .seconds(62)) == "three")
        // A file that disappears keeps the last token.
        try FileManager.default.removeItem(atPath: file)
        token.invalidate()
        #expect(token.current(now: start + .seconds(63)) == "three")
    }
}
