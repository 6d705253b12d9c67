import Foundation

/// An HTTP server on 127.0.0.1 that answers POSTs by path and records every
/// request (path and body) for the test to read:
/// `/status/503` answers 503, `/flaky/2` answers 500 twice then 200,
/// `/slow/1.5` answers after 1.5 s, `/stall/3` sends its head and half its
/// body then waits 3 s before the rest, anything else 200.
public final class RecordingHTTPServer: @unchecked Sendable {
    // Safe: immutable after init.
    public let server: ServerProcess
    private let directory: TemporaryDirectory

    public struct Request: Sendable, Equatable {
        public var path: String
        public var body: String
    }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "serin-recorder")
        let script = try directory.write("recorder.py", Self.source)
        let port = try Loopback.freePort()
        server = try ServerProcess("/usr/bin/env", ["python3", script, String(port), directory.path + "/requests.jsonl"], port: port)
    }

    public var address: String { "http://127.0.0.1:\(server.port)" }

    public func requests() -> [Request] {
        guard let text = try? String(contentsOfFile: directory.path + "/requests.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] else { return nil }
            return Request(path: object["path"] ?? "", body: object["body"] ?? "")
        }
    }

    public func stop() {
        server.stop()
        directory.remove()
    }

    static let source = #"""
    import json, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port, log = int(sys.argv[1]), sys.argv[2]
    lock = threading.Lock()
    counts = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            with lock:
                with open(log, "a") as f:
                    f.write(json.dumps({"path": self.path, "body": body}) + "\n")
                counts[self.path] = counts.get(self.path, 0) + 1
                seen = counts[self.path]
            parts = self.path.split("?")[0].strip("/").split("/")
            status = 200
            if parts[0] == "status":
                status = int(parts[1])
            elif parts[0] == "flaky":
                status = 500 if seen <= int(parts[1]) else 200
            elif parts[0] == "slow":
                time.sleep(float(parts[1]))
            elif parts[0] == "redirect":
                # /redirect/<status>/<path...>: sends the client to that path here.
                self.send_response(int(parts[1]))
                self.send_header("Location", "/" + "/".join(parts[2:]))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            elif parts[0] == "secret":
                # /secret/<status>: an answer whose body holds what a reader must not see.
                reply = b"internal: db password is hunter2"
                self.send_response(int(parts[1]))
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                return
            elif parts[0] == "stall":
                self.send_response(200)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"ok")
                self.wfile.flush()
                time.sleep(float(parts[1]))
                self.wfile.write(b"ok")
                return
            reply = b"ok" if status < 300 else b"no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        # A redirect followed as a GET is recorded too.
        do_GET = do_POST

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """#
}
