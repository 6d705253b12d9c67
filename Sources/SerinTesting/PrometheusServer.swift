import Foundation

/// Debian's `prometheus`, started on 127.0.0.1 and a free port, scraping
/// itself and any extra targets every second, with its data in a temporary
/// folder.
public final class PrometheusServer: @unchecked Sendable {
    // Safe: `server` changes only in pause()/resume(), which a test calls
    // from its one task; the rest is immutable after init.
    public private(set) var server: ServerProcess
    public let directory: TemporaryDirectory
    public let port: Int
    private let arguments: [String]
    private let login: String?
    public var address: String { "http://127.0.0.1:\(port)" }

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") }

    /// `fileTargets`: a file_sd_configs file (Prometheus' JSON target
    /// list), read again whenever it changes. `host`: the address it
    /// listens on ("0.0.0.0" for pods of the test cluster to reach it).
    /// `basicAuth`: the web config's one user (`bcryptHash` of `password`),
    /// for tests of authenticated queries.
    public init(scraping targets: [String] = [], fileTargets: String? = nil, host: String = "127.0.0.1",
                basicAuth: (username: String, password: String, bcryptHash: String)? = nil) throws {
        directory = try TemporaryDirectory(prefix: "serin-prometheus")
        let port = try Loopback.freePort()
        let all = (["127.0.0.1:\(port)"] + targets).map { "'\($0)'" }.joined(separator: ", ")
        let files = fileTargets.map { """

              - job_name: files
                file_sd_configs:
                  - files: ['\($0)']
                    refresh_interval: 1s
            """ } ?? ""
        let config = try directory.write("prometheus.yml", """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: serin
            static_configs:
              - targets: [\(all)]
        """ + files)
        self.port = port
        var arguments = [
            "--config.file=\(config)", "--storage.tsdb.path=\(directory.path)/data",
            "--web.listen-address=\(host):\(port)", "--log.level=warn",
        ]
        if let basicAuth {
            let web = try directory.write("web.yml", "basic_auth_users:\n  \(basicAuth.username): '\(basicAuth.bcryptHash)'\n")
            arguments.append("--web.config.file=\(web)")
        }
        self.arguments = arguments
        login = basicAuth.map { Data("\($0.username):\($0.password)".utf8).base64EncodedString() }
        server = try ServerProcess("/usr/bin/prometheus", arguments, port: port, log: directory.path + "/prometheus.log")
        try Self.waitUntilReady(port: port, server: server, login: login)
    }

    /// An outage: the server stops; `resume()` brings it back on the same
    /// port with the same data.
    public func pause() {
        server.stop()
    }

    public func resume() throws {
        server = try ServerProcess("/usr/bin/prometheus", arguments, port: port, log: directory.path + "/prometheus.log")
        try Self.waitUntilReady(port: port, server: server, login: login)
    }

    /// `login`: base64 of user:password, for a server behind basic auth.
    private static func waitUntilReady(port: Int, server: ServerProcess, login: String? = nil) throws {
        // The port opens before the storage is ready; queries answer 503 until then.
        let ready = try CommandRun.run("/usr/bin/env", ["python3", "-c", """
        import sys, time, urllib.request
        deadline = time.monotonic() + \(Int(loadedMachineTimeout.components.seconds))
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request("http://127.0.0.1:\(port)/-/ready")
                if "\(login ?? "")":
                    request.add_header("Authorization", "Basic \(login ?? "")")
                if urllib.request.urlopen(request, timeout=1).status == 200:
                    sys.exit(0)
            except Exception:
                pass
            time.sleep(0.05)
        sys.exit(1)
        """], timeout: loadedMachineTimeout + .seconds(30))
        guard ready.status == 0 else {
            server.stop()
            throw POSIXError(.ETIMEDOUT)
        }
    }

    public func stop() {
        server.stop()
        directory.remove()
    }
}
