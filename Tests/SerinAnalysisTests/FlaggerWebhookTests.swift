import Foundation
import SerinEngine
import SerinHTTP
import SerinSpec
import SerinTesting
import Testing
@testable import SerinAnalysis

/// Webhooks and alerts as Flagger 1.44 sends them (`pkg/controller/webhook.go`,
/// `events.go`, `pkg/notifier`), against a real HTTP server.
@Suite(.serialized) final class FlaggerWebhookTests {
    let server: RecordingHTTPServer

    init() throws { server = try RecordingHTTPServer() }
    deinit { server.stop() }

    /// The checksum Flagger's `canaryChecksum` gives for the same status:
    /// these values come from Flagger's code itself (the struct, go-spew
    /// 1.1.1's `%#v` with its ConfigState, FNV-1a 32, rand.SafeEncodeString),
    /// run with Go 1.19 from Debian's golang-github-davecgh-go-spew-dev.
    @Test(arguments: [
        (nil, "", "758df7c9fc"),
        (nil, "abc123", "68946b45df"),
        (["configmap/settings": "0123456789abcdef", "secret/token": "fedcba9876543210"], "5d8f7c6b4a39", "58b9f88b9b"),
    ] as [([String: String]?, String, String)])
    func theChecksumIsFlaggers(_ tracked: [String: String]?, _ lastApplied: String, _ expected: String) {
        #expect(FlaggerChecksum.canary(trackedConfigs: tracked, lastAppliedSpec: lastApplied) == expected)
    }

    static func plan(_ hooks: [PlanWebhook]) -> Plan {
        Plan(name: "web", namespace: "shop", steps: [.promote(primaryWeights: [])], webhooks: hooks)
    }

    /// An event webhook gets every event with Flagger's metadata (message,
    /// type, time in ms), its own metadata beside (never over) it, and the
    /// checksum of the rollout's status.
    @Test func eventWebhooksCarryFlaggersEventMetadata() async throws {
        let hook = PlanWebhook(name: "events", type: .event, url: server.address + "/events",
                               metadata: ["team": "shop", "eventType": "mine"])
        let hooks = WebhookHooks(trackedConfigs: { _ in ["configmap/settings": "0123456789abcdef"] })
        await hooks.event("Advance web.shop canary weight 20", warning: false, Self.plan([hook]), phase: .progressing,
                          subject: HookSubject(workload: WorkloadID(namespace: "shop", name: "web"), lastAppliedSpec: "5d8f7c6b4a39"))
        let sent = try #require(server.requests().last { $0.path == "/events" })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
        #expect(body["name"] as? String == "web" && body["namespace"] as? String == "shop" && body["phase"] as? String == "Progressing")
        #expect(body["checksum"] as? String == FlaggerChecksum.canary(trackedConfigs: ["configmap/settings": "0123456789abcdef"],
                                                                      lastAppliedSpec: "5d8f7c6b4a39"))
        let metadata = try #require(body["metadata"] as? [String: String])
        #expect(metadata["eventMessage"] == "Advance web.shop canary weight 20")
        #expect(metadata["eventType"] == "Normal", "the hook's own eventType does not replace Flagger's")
        #expect(metadata["team"] == "shop")
        let stamp = try #require(metadata["timestamp"].flatMap(Double.init))
        #expect(abs(stamp / 1000 - Date().timeIntervalSince1970) < 60)
    }

    /// Flagger fails a webhook that answers above 202.
    @Test(arguments: [(200, true), (202, true), (203, false), (204, false), (404, false)])
    func aWebhookPassesOn200To202(_ status: Int, _ passes: Bool) async {
        let hook = PlanWebhook(name: "gate", type: .confirmRollout, url: server.address + "/status/\(status)")
        let result = await WebhookCaller().call(hook, name: "web", namespace: "shop", phase: .waiting, checksum: "x", metadata: [:])
        #expect(result.passed == passes)
    }

    /// `disableTLS`: a hook behind a self-signed certificate is called only
    /// when its certificate is not checked.
    @Test func disableTLSSkipsTheCertificateCheck() async throws {
        let directory = try TemporaryDirectory(prefix: "serin-tls-hook")
        defer { directory.remove() }
        let generated = try CommandRun.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                                                "-keyout", directory.path + "/key.pem", "-out", directory.path + "/cert.pem"],
                                           timeout: .seconds(60))
        #expect(generated.status == 0)
        let script = try directory.write("tls.py", """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
                def log_message(self, *a): pass
            server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2] + "/cert.pem", sys.argv[2] + "/key.pem")
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.serve_forever()
            """)
        let port = try Loopback.freePort()
        let tls = try ServerProcess("/usr/bin/env", ["python3", script, String(port), directory.path], port: port)
        defer { tls.stop() }
        var hook = PlanWebhook(name: "gate", type: .confirmRollout, url: "https://127.0.0.1:\(port)/")
        let checked = await WebhookCaller().call(hook, name: "web", namespace: "shop", phase: .waiting, checksum: "", metadata: [:])
        #expect(!checked.passed, "\(checked.message)")
        hook.disableTLS = true
        let unchecked = await WebhookCaller().call(hook, name: "web", namespace: "shop", phase: .waiting, checksum: "", metadata: [:])
        #expect(unchecked.passed, "\(unchecked.message)")
    }

    /// Alerts: Slack's payload as Flagger's (the workload as author, the
    /// message as text), Discord's at `<hook>/slack`, the address and token
    /// of a Secret, a proxy.
    @Test func alertsGoWhereTheSecretSaysAsFlaggerSendsThem() async throws {
        var slack = AlertProviderSpec()
        slack.type = "slack"
        slack.channel = "deploys"
        slack.secretRef = NameReference(name: "slack")
        var discord = AlertProviderSpec()
        discord.type = "discord"
        discord.address = server.address + "/discord/hook"
        // An HTTP proxy (CONNECT, as AsyncHTTPClient asks) that records where it was asked to go.
        let scratch = try TemporaryDirectory(prefix: "serin-proxy")
        defer { scratch.remove() }
        let proxyScript = try scratch.write("proxy.py", Self.proxy)
        let proxyPort = try Loopback.freePort()
        let proxy = try ServerProcess("/usr/bin/env", ["python3", proxyScript, String(proxyPort), scratch.path + "/connects"], port: proxyPort)
        defer { proxy.stop() }
        var proxied = AlertProviderSpec()
        proxied.type = "msteams"
        proxied.address = server.address + "/via-proxy"
        proxied.proxy = "http://127.0.0.1:\(proxyPort)"
        var plan = Self.plan([])
        plan.alerts = [PlanAlert(name: "slack", severity: .info, providerNamespace: "shop", providerName: "slack"),
                       PlanAlert(name: "discord", severity: .info, providerNamespace: "shop", providerName: "discord"),
                       PlanAlert(name: "teams", severity: .info, providerNamespace: "shop", providerName: "teams")]
        let secrets = FakeSecrets(secrets: ["shop/slack": ["address": server.address + "/from-secret", "token": "xoxb-1"]])
        let deliveries = await AlertSender(secrets: secrets).send(
            RolloutNotification(severity: .error, phase: .failed, message: "rolled back r2"), of: plan, revision: "r2",
            providers: ["shop/slack": slack, "shop/discord": discord, "shop/teams": proxied])
        #expect(deliveries.allSatisfy { $0.status == 200 }, "\(deliveries)")
        let sent = server.requests()
        let toSlack = try #require(sent.first { $0.path == "/from-secret" })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(toSlack.body.utf8)) as? [String: Any])
        #expect(body["channel"] as? String == "deploys")
        #expect(body["username"] as? String == "flagger")
        let attachment = try #require((body["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["author_name"] as? String == "web.shop")
        #expect(attachment["color"] as? String == "danger")
        #expect(sent.contains { $0.path == "/discord/hook/slack" })
        #expect(sent.contains { $0.path == "/via-proxy" })
        let connects = (try? String(contentsOfFile: scratch.path + "/connects", encoding: .utf8)) ?? ""
        #expect(connects.contains("CONNECT 127.0.0.1:\(server.server.port)"), "through the proxy: \(connects)")
    }

    static let proxy = #"""
        import select, socket, sys, threading
        port, log = int(sys.argv[1]), sys.argv[2]
        def handle(client):
            request = b""
            while b"\r\n\r\n" not in request:
                request += client.recv(4096)
            line = request.split(b"\r\n")[0].decode()
            open(log, "a").write(line + "\n")
            host, target_port = line.split()[1].split(":")
            upstream = socket.create_connection((host, int(target_port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            sockets = [client, upstream]
            while True:
                readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    break
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is client else client).sendall(data)
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(16)
        while True:
            connection, _ = server.accept()
            threading.Thread(target=handle, args=(connection,), daemon=True).start()
        """#
}
