import Foundation

/// The quickstart as files of a throwaway installation: a copy of the
/// example (to become a Git repository) with the service on a free loopback
/// port, and a `serin.yaml` with every other port free too. `serin demo`
/// (`QuickstartDemo`) and the end-to-end tests' sandbox start from it.
public struct QuickstartFiles: Sendable {
    public let root: String
    public let repository: String
    public let stateDirectory: String
    public let configPath: String
    /// The Prometheus the operator queries: the one given, or the one it manages.
    public let prometheusAddress: String
    public let servicePort: Int
    public let routerAdminPort: Int
    public let apiPort: Int
    /// The API's bearer token file (`api.tokenFile`), when given a token.
    public let tokenFile: String?
    /// The source's `webhookSecretFile`, when given a secret.
    public let webhookSecretFile: String?

    /// `prometheus`: an address to use, or nil for `managed: true` on a free port.
    /// `requestDurationMax`: the request-duration check's bound in ms, for
    /// a machine too busy for the quickstart's 250 (tests run beside others).
    /// `sourceInterval`: how often the source is polled; `apiToken` and
    /// `webhookSecret`, when given, are written beside serin.yaml and named
    /// there (`api.tokenFile`, the source's `webhookSecretFile`);
    /// `pollInterval`: how often the operator looks at readiness by itself.
    public init(example: String, interval: String = "5s", prometheus: String? = nil, routerAdminPort: Int? = nil,
                requestDurationMax: Int? = nil, root: String? = nil, sourceInterval: String = "1s",
                apiToken: String? = nil, webhookSecret: String? = nil, pollInterval: String = "200ms") throws {
        guard FileManager.default.fileExists(atPath: example + "/deploy/workload.yaml") else {
            throw SandboxError("\(example) is not the quickstart folder (no deploy/workload.yaml)")
        }
        self.root = root ?? NSTemporaryDirectory() + "serin-sandbox-\(getpid())-\(UUID().uuidString.prefix(6))"
        repository = self.root + "/repo"
        stateDirectory = self.root + "/state"
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: example, toPath: repository)
        servicePort = try FreePort.next()
        self.routerAdminPort = try routerAdminPort ?? FreePort.next()
        apiPort = try FreePort.next()
        try Self.replace(in: repository + "/deploy/workload.yaml", "port: 8080", "port: \(servicePort)")
        // Alerts go to the app, through its router.
        try Self.replace(in: repository + "/deploy/alert-provider.yaml", "127.0.0.1:8080", "127.0.0.1:\(servicePort)")
        try Self.replace(in: repository + "/deploy/canary.yaml", "interval: 10s", "interval: \(interval)")
        if let requestDurationMax {
            try Self.replace(in: repository + "/deploy/canary.yaml", "thresholdRange: { max: 250 }", "thresholdRange: { max: \(requestDurationMax) }")
        }
        let managedPort = try FreePort.next()
        prometheusAddress = prometheus ?? "http://127.0.0.1:\(managedPort)"
        let prometheusLine = prometheus.map { "{ address: \($0) }" } ?? "{ managed: true, listen: 127.0.0.1:\(managedPort) }"
        configPath = self.root + "/serin.yaml"
        let base = self.root
        tokenFile = apiToken == nil ? nil : base + "/token"
        webhookSecretFile = webhookSecret == nil ? nil : base + "/webhook-secret"
        // The owner's alone: serin run refuses secrets others can read.
        if let apiToken, let tokenFile { try Self.writeSecret(apiToken, to: tokenFile) }
        if let webhookSecret, let webhookSecretFile { try Self.writeSecret(webhookSecret, to: webhookSecretFile) }
        let tokenLine = tokenFile.map { ", tokenFile: \($0)" } ?? ""
        let secretLine = webhookSecretFile.map { "\n    webhookSecretFile: \($0)" } ?? ""
        // The sandbox's throwaway workloads run as whoever runs it, root included.
        let localLine = geteuid() == 0 ? "\nlocal: { allowRootWorkloads: true }" : ""
        try """
        stateDir: \(stateDirectory)
        platform: local\(localLine)
        prometheus: \(prometheusLine)
        router: { admin: 127.0.0.1:\(self.routerAdminPort) }
        api: { listen: 127.0.0.1:\(apiPort)\(tokenLine) }
        pollInterval: \(pollInterval)
        sources:
          - name: quickstart
            url: file://\(repository)
            ref: { branch: main }
            path: deploy
            interval: \(sourceInterval)\(secretLine)

        """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Replaces text in a file of the repository (not committed).
    public func edit(_ file: String, _ old: String, _ new: String) throws {
        try Self.replace(in: repository + "/" + file, old, new)
    }

    /// Sets an env value of the workload (not committed).
    public func setEnvironment(_ variable: String, to value: String) throws {
        let path = repository + "/deploy/workload.yaml"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        guard let range = text.range(of: "- name: \(variable)\n        value: ") else { throw SandboxError("no \(variable) in \(path)") }
        let lineEnd = text[range.upperBound...].firstIndex(of: "\n") ?? text.endIndex
        text.replaceSubrange(range.upperBound..<lineEnd, with: "\"\(value)\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func writeSecret(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SandboxError("cannot write \(path)")
        }
        chmod(path, 0o600)
    }

    static func replace(in path: String, _ old: String, _ new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw SandboxError("\(path) has no \"\(old)\" to change") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `git` arguments that commit everything as `author`.
    public static func commitArguments(_ message: String, author: String) -> [String] {
        let email = author.lowercased().replacingOccurrences(of: " ", with: ".") + "@example.com"
        return ["-c", "user.name=\(author)", "-c", "user.email=\(email)", "commit", "-qam", message]
    }
}

public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
