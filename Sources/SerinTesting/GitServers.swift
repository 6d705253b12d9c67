import Foundation

/// `git daemon` serving a folder of bare repositories over git:// on 127.0.0.1.
public final class GitDaemon: @unchecked Sendable {
    // Safe: immutable after init; ServerProcess is safe to stop from any thread.
    public let server: ServerProcess
    public let root: String

    /// `port`: a given one, to bring a stopped daemon back at the same address.
    public init(root: String, port: Int? = nil) throws {
        self.root = root
        let port = try port ?? Loopback.freePort()
        // git-daemon itself, not the `git daemon` wrapper, so that stopping
        // the process stops the server.
        server = try ServerProcess("/usr/lib/git-core/git-daemon", [
            "--reuseaddr", "--export-all", "--base-path=\(root)", "--listen=127.0.0.1", "--port=\(port)", root,
        ], port: port)
    }

    public func url(_ repository: String) -> String { "git://127.0.0.1:\(server.port)/\(repository)" }
    public func stop() { server.stop() }
}

/// Smart HTTP: `git http-backend` run as CGI behind a small Python server,
/// with HTTP basic auth when a user is given.
public final class GitHTTPServer: @unchecked Sendable {
    // Safe: immutable after init.
    public let server: ServerProcess
    private let script: TemporaryDirectory

    /// The CA that signed the server's certificate, when serving HTTPS.
    public private(set) var caFile: String?
    public let scheme: String

    /// With `username` and `password`, basic auth; with `bearerToken`, bearer
    /// auth; with `tls`, HTTPS with a certificate for 127.0.0.1 signed by a
    /// throw-away CA (`caFile`).
    public init(root: String, username: String? = nil, password: String? = nil, bearerToken: String? = nil, tls: Bool = false) throws {
        script = try TemporaryDirectory(prefix: "serin-cgi")
        let path = try script.write("git_http.py", Self.source)
        let port = try Loopback.freePort()
        var certificate = ""
        if tls {
            let dir = script.path
            for command in [
                "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=SerinTestCA -keyout \(dir)/ca.key -out \(dir)/ca.pem",
                "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout \(dir)/server.key -out \(dir)/server.csr",
                "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > \(dir)/san.ext && openssl x509 -req -in \(dir)/server.csr -CA \(dir)/ca.pem -CAkey \(dir)/ca.key -CAcreateserial -days 2 -extfile \(dir)/san.ext -out \(dir)/server.pem && cat \(dir)/server.pem \(dir)/server.key > \(dir)/server-bundle.pem",
            ] {
                let run = try CommandRun.run("/bin/sh", ["-c", command])
                guard run.status == 0 else { throw NSError(domain: "openssl", code: Int(run.status), userInfo: [NSLocalizedDescriptionKey: run.stderr]) }
            }
            caFile = "\(dir)/ca.pem"
            certificate = "\(dir)/server-bundle.pem"
        }
        scheme = tls ? "https" : "http"
        server = try ServerProcess("/usr/bin/env", ["python3", path, root, String(port), username ?? "", password ?? "", bearerToken ?? "", certificate],
                                   port: port, log: script.path + "/server.log")
    }

    deinit { script.remove() }

    /// HTTPS uses the name `localhost`: libgit2's mbedTLS backend matches
    /// certificate names, not IP addresses.
    public func url(_ repository: String) -> String {
        "\(scheme)://\(caFile == nil ? "127.0.0.1" : "localhost"):\(server.port)/\(repository)"
    }
    public func stop() { server.stop() }

    static let source = #"""
    import base64, os, ssl, subprocess, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    root, port, user, password, token, certificate = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
    expected = ("Bearer " + token) if token else ("Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.serve()

        def do_POST(self):
            self.serve()

        def body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def serve(self):
            data = self.body()
            if (user or token) and self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                       REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                       REMOTE_USER=user or "anonymous", REMOTE_ADDR="127.0.0.1", CONTENT_LENGTH=str(len(data)))
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            out = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True).stdout
            separator = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
            head, _, content = out.partition(separator)
            status, headers = 200, []
            for line in head.replace(b"\r\n", b"\n").split(b"\n"):
                key, _, value = line.decode().partition(":")
                if key.lower() == "status":
                    status = int(value.strip().split()[0])
                elif key:
                    headers.append((key, value.strip()))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if certificate:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
    """#
}

/// A throw-away `sshd` on 127.0.0.1 that lets the current user in with a
/// generated key, and a known_hosts line for it.
public final class SSHServer: @unchecked Sendable {
    // Safe: immutable after init.
    public let server: ServerProcess
    public let directory: TemporaryDirectory
    public var identityFile: String { directory.path + "/client_key" }
    public var knownHostsFile: String { directory.path + "/known_hosts" }
    public var otherKnownHostsFile: String { directory.path + "/known_hosts_wrong" }
    public let user: String

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") && getuid() == 0
    }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "serin-sshd")
        let dir = directory.path
        user = ProcessInfo.processInfo.environment["USER"] ?? "root"
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for (name, type) in [("host_key", "ed25519"), ("other_host_key", "ed25519")] {
            _ = try CommandRun.run("/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-f", "\(dir)/\(name)"])
        }
        _ = try CommandRun.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "\(dir)/client_key"])
        try FileManager.default.copyItem(atPath: "\(dir)/client_key.pub", toPath: "\(dir)/authorized_keys")
        let port = try Loopback.freePort()
        let hostKey = try String(contentsOfFile: "\(dir)/host_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let otherKey = try String(contentsOfFile: "\(dir)/other_host_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(hostKey)\n".write(toFile: "\(dir)/known_hosts", atomically: true, encoding: .utf8)
        try "[127.0.0.1]:\(port) \(otherKey)\n".write(toFile: "\(dir)/known_hosts_wrong", atomically: true, encoding: .utf8)
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(dir)/host_key
        PidFile \(dir)/sshd.pid
        AuthorizedKeysFile \(dir)/authorized_keys
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PubkeyAuthentication yes
        PermitRootLogin prohibit-password
        StrictModes no
        UsePAM no
        LogLevel ERROR

        """.write(toFile: "\(dir)/sshd_config", atomically: true, encoding: .utf8)
        server = try ServerProcess("/usr/sbin/sshd", ["-D", "-e", "-f", "\(dir)/sshd_config"], port: port, log: "\(dir)/sshd.log")
    }

    public func url(_ absolutePath: String) -> String { "ssh://\(user)@127.0.0.1:\(server.port)\(absolutePath)" }

    public func stop() {
        server.stop()
        directory.remove()
    }
}
