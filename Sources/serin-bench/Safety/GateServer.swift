import Foundation
import SerinTesting

/// A confirm-promotion webhook that refuses (403) until `open()`, then
/// answers 200; every call it got is written down (time and answer).
/// Same idea as SerinTesting's RecordingHTTPServer, with a gate the bench
/// opens while it runs.
final class GateServer {
    let directory: String
    private let server: ServerProcess

    init(directory: String) throws {
        self.directory = directory
        let script = directory + "/gate.py"
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        let port = try Loopback.freePort()
        server = try ServerProcess("/usr/bin/env", ["python3", script, String(port), directory], port: port,
                                   log: directory + "/gate.log")
    }

    var url: String { "http://127.0.0.1:\(server.port)/gate" }

    func open() { _ = FileManager.default.createFile(atPath: directory + "/gate-open", contents: nil) }

    /// (seconds since 1970, status) of every call.
    func calls() -> [(time: Double, status: Int)] {
        guard let text = try? String(contentsOfFile: directory + "/gate-calls.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let time = Double(fields[0]), let status = Int(fields[1]) else { return nil }
            return (time, status)
        }
    }

    func stop() { server.stop() }

    static let source = #"""
    import os, sys, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port, folder = int(sys.argv[1]), sys.argv[2]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = 200 if os.path.exists(os.path.join(folder, "gate-open")) else 403
            with open(os.path.join(folder, "gate-calls.tsv"), "a") as f:
                f.write("%.3f\t%d\n" % (time.time(), status))
            reply = b"open\n" if status == 200 else b"closed\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """#
}
