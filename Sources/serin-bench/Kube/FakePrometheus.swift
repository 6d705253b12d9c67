import Foundation
import SerinTesting

/// A metric source that answers at once: Prometheus' `/api/v1/query`
/// answering a query for 5xx answers with 0 and every other query with
/// 100 (100 requests, a success rate of 100%, a p99 of 100 ms: a healthy
/// canary), so the benchmark measures Serin and the apiserver, not a
/// Prometheus. `GET /count` says how many queries it answered.
final class FakePrometheus {
    private let server: ServerProcess

    init(directory: String) throws {
        let script = directory + "/fake-prometheus.py"
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        let port = try Loopback.freePort()
        server = try ServerProcess("/usr/bin/env", ["python3", script, String(port)], port: port, log: directory + "/fake-prometheus.log")
    }

    var address: String { "http://127.0.0.1:\(server.port)" }

    var queries: Int {
        guard let answer = try? Loopback.request(port: server.port, path: "/count") else { return -1 }
        return Int(answer.body.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func stop() { server.stop() }

    static let source = #"""
    import http.server, json, sys, threading, time, urllib.parse
    count = 0
    lock = threading.Lock()
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            global count
            if self.path == "/count":
                body = str(count).encode()
            else:
                with lock:
                    count += 1
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("query", [""])[0]
                value = "0" if 'status=~"5' in query else "100"
                body = json.dumps({"status": "success", "data": {"resultType": "vector",
                                   "result": [{"metric": {}, "value": [time.time(), value]}]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """#
}
