import Foundation
import SerinTesting

/// Steady traffic from a process of its own (python3), so the bench's own
/// work never delays a request: a fixed rate of GETs to the workload's
/// router port, open loop (a slow answer does not hold back the next
/// request), each on a fresh connection, every answer written down with the
/// revision that made it.
final class LoadGenerator {
    /// One request: when it went out and came back (seconds since 1970), the
    /// status (0: no HTTP answer), the revision and role the app named (empty
    /// for an answer the router made itself), and the error for status 0.
    struct Answer {
        var sent: Double
        var done: Double
        var status: Int
        var revision: String
        var role: String
        var error: String
    }

    let output: String
    /// While this file exists the generator sends nothing.
    let pauseFile: String
    private let process: Process

    init(port: Int, rps: Double, directory: String) throws {
        let script = directory + "/load.py"
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        output = directory + "/answers.tsv"
        pauseFile = directory + "/pause-traffic"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(port), String(rps), output, pauseFile]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let log = directory + "/load.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func pause() { _ = FileManager.default.createFile(atPath: pauseFile, contents: nil) }
    func resume() { try? FileManager.default.removeItem(atPath: pauseFile) }

    /// SIGTERM: it waits for the requests in flight (each times out after
    /// 5 s), writes the rest down and exits.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func answers() -> [Answer] {
        guard let text = try? String(contentsOfFile: output, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 6, let sent = Double(fields[0]), let done = Double(fields[1]), let status = Int(fields[2]) else { return nil }
            return Answer(sent: sent, done: done, status: status, revision: fields[3], role: fields[4], error: fields[5])
        }
    }

    static let source = #"""
    import http.client, os, signal, sys, threading, time
    from concurrent.futures import ThreadPoolExecutor

    port, rps, output, pause_file = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
    lock = threading.Lock()
    pending = []
    stopping = threading.Event()
    # The bench may run with SIGTERM blocked, and a child inherits the mask.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    def one():
        sent = time.time()
        status, revision, role, error = 0, "", "", ""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/", headers={"Connection": "close"})
                answer = connection.getresponse()
                body = answer.read().decode(errors="replace").strip()
                status = answer.status
                revision = answer.getheader("X-Serin-Revision") or ""
                role = answer.getheader("X-Serin-Role") or ""
                if not revision and status == 200 and " from " in body:
                    # An app without the headers: "hello from primary 346145084c67".
                    words = body.split()
                    role, revision = words[-2], words[-1]
            finally:
                connection.close()
        except Exception as e:
            error = type(e).__name__
        line = "%.3f\t%.3f\t%d\t%s\t%s\t%s\n" % (sent, time.time(), status, revision, role, error)
        with lock:
            pending.append(line)

    def flush():
        with lock:
            lines = pending[:]
            del pending[:]
        if lines:
            with open(output, "a") as f:
                f.writelines(lines)

    def writer():
        while not stopping.wait(0.5):
            flush()

    threading.Thread(target=writer, daemon=True).start()
    period = 1.0 / rps
    due = time.time()
    with ThreadPoolExecutor(max_workers=64) as pool:
        while not stopping.is_set():
            now = time.time()
            if due > now:
                time.sleep(due - now)
            due += period
            # After a stall (a busy machine), go on at the rate, not in a burst.
            if due < time.time() - 0.5:
                due = time.time()
            if os.path.exists(pause_file):
                continue
            pool.submit(one)
    flush()
    """#
}
