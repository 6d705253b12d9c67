import Foundation
import Synchronization
import SerinSpec
import SerinTesting
@testable import SerinLocal

/// The workload the tests run: an HTTP server on $PORT, switched by env.
enum TestApp {
    static let source = #"""
    import json, os, signal, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    started = time.monotonic()
    env = os.environ
    role, revision = env.get("SERIN_ROLE", "?"), env.get("SERIN_REVISION", "?")
    not_ready_ms = int(env.get("NOT_READY_FOR_MS", "0"))
    die_after_ms = int(env.get("DIE_AFTER_MS", "0"))
    if env.get("IGNORE_SIGTERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("started argv=" + json.dumps(sys.argv[1:]) + " cwd=" + os.path.basename(os.getcwd()), flush=True)
    print("env " + " ".join(f"{k}={env.get(k, '-')}" for k in ["SERIN_WORKLOAD", "SERIN_ROLE", "SERIN_REPLICA", "SERIN_REVISION", "GREETING", "URL", "HOME"]), flush=True)
    print("stderr line from " + role, file=sys.stderr, flush=True)

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/healthz":
                if env.get("HANG_LIVENESS") == "1":
                    time.sleep(3600)
                if env.get("LOG_LIVENESS") == "1":
                    print("liveness probed", flush=True)
                self.answer(200, "ok")
            elif self.path == "/ready":
                ready = (time.monotonic() - started) * 1000 >= not_ready_ms
                self.answer(200 if ready else 503, "ready" if ready else "not ready")
            elif self.path.startswith("/spam"):
                count = int(self.path.split("=")[1])
                sys.stdout.write("x" * (count - 1) + "\n")
                sys.stdout.flush()
                self.answer(200, "spammed")
            else:
                self.answer(200, f"{role} {revision}")

        def log_message(self, *args):
            pass

    if die_after_ms:
        threading.Timer(die_after_ms / 1000, lambda: os._exit(3)).start()
    server = ThreadingHTTPServer(("127.0.0.1", int(env["PORT"])), Handler)
    server.daemon_threads = True
    server.serve_forever()
    """#

    /// A revision snapshot holding the app under `app/`.
    static func snapshot(in directory: TemporaryDirectory, revision: String) throws -> URL {
        try directory.write("snapshots/\(revision)/app/app.py", source)
        return URL(fileURLWithPath: "\(directory.path)/snapshots/\(revision)")
    }

    /// A template running the app, with extra env and probes given as JSON fragments.
    static func template(env: [String: String] = [:], extra: String = "", grace: Int = 5) throws -> ProcessTemplate {
        let variables = env.sorted { $0.key < $1.key }.map { #"{"name": "\#($0.key)", "value": "\#($0.value)"}"# }.joined(separator: ", ")
        let json = #"""
        {"command": ["python3", "-u", "app.py"], "workingDir": "app", "env": [\#(variables)],
         "terminationGracePeriodSeconds": \#(grace)\#(extra.isEmpty ? "" : ", " + extra)}
        """#
        return try JSONDecoder().decode(ProcessTemplate.self, from: Data(json.utf8))
    }

    static let readyProbe = #""readinessProbe": {"httpGet": {"path": "/ready"}, "periodSeconds": 1}"#
}

/// A state directory, a supervisor with test-sized delays, and the duty to
/// kill whatever processes were recorded in it when the test ends.
final class Harness: Sendable {
    let directory: TemporaryDirectory
    let changes = Changes()
    let messages = Messages()

    init() throws {
        directory = try TemporaryDirectory(prefix: "serin-local")
    }

    var stateDirectory: String { directory.path + "/state" }

    func options(_ adjust: (inout LocalSupervisor.Options) -> Void = { _ in }) -> LocalSupervisor.Options {
        var options = LocalSupervisor.Options()
        options.drainDelay = .milliseconds(50)
        options.probeInterval = .milliseconds(100)
        options.restartBackoff = .milliseconds(100)
        options.restartBackoffLimit = .milliseconds(400)
        options.readinessTimeout = .seconds(20)
        // The tests run as root on the build machine; LocalTrustTests check the refusal.
        options.allowRootWorkloads = true
        let changes = changes, messages = messages
        options.onBackendsChanged = { workload in await changes.record(workload) }
        options.log = { line in messages.append(line) }
        adjust(&options)
        return options
    }

    func supervisor(_ adjust: (inout LocalSupervisor.Options) -> Void = { _ in }) throws -> LocalSupervisor {
        try LocalSupervisor(stateDirectory: stateDirectory, options: options(adjust))
    }

    /// Kills the process group of every recorded process (and any pid the
    /// test names), reaps them, and removes the directory.
    func cleanUp(pids: [Int32] = []) {
        let folder = stateDirectory + "/local/processes"
        var all = pids
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".json") {
            if let data = FileManager.default.contents(atPath: "\(folder)/\(name)"),
               let record = try? JSONDecoder().decode(ProcessRecord.self, from: data) { all.append(record.pid) }
        }
        for pid in all where pid > 0 {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        for pid in all where pid > 0 { waitpid(pid, nil, 0) }
        directory.remove()
    }
}

/// Workloads named by onBackendsChanged, in order.
actor Changes {
    private(set) var workloads: [String] = []
    func record(_ workload: String) { workloads.append(workload) }
}

/// The supervisor's log lines.
final class Messages: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// GET http://127.0.0.1:port/path with HTTP/1.0, off the cooperative pool.
func httpGet(_ backend: String, _ path: String = "/") async -> (status: Int, body: String)? {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: httpGetBlocking(backend, path)) }.start()
    }
}

private func httpGetBlocking(_ backend: String, _ path: String) -> (status: Int, body: String)? {
    guard let port = backend.split(separator: ":").last.flatMap({ UInt16($0) }) else { return nil }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { return nil }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: \(backend)\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        response += buffer[..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    guard let statusLine = parts.first?.split(separator: "\r\n").first,
          let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
    return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
}
