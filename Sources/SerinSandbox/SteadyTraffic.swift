import Foundation

/// About 50 requests/s, counted by status and by the revision that
/// answered (the app says it). Requests go out from a thread of its own over
/// plain sockets: URLSession's async calls, cancelled mid-flight, can crash
/// FoundationNetworking on Linux ("a task that is not in the registry").
public final class SteadyTraffic: @unchecked Sendable {
    // Safe: `counts` and `stopped` are only touched under `lock`.
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var stopped = false
    private let port: Int
    private let pause: Duration

    public init(port: Int, pause: Duration = .milliseconds(20)) {
        self.port = port
        self.pause = pause
    }

    /// Until cancelled.
    public func run() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread { [self] in
                    loop()
                    continuation.resume()
                }.start()
            }
        } onCancel: {
            lock.withLock { stopped = true }
        }
    }

    private func loop() {
        let pauseMicroseconds = UInt32(pause.components.seconds * 1_000_000 + pause.components.attoseconds / 1_000_000_000_000)
        while !lock.withLock({ stopped }) {
            let key: String
            do {
                let answer = try Loopback.request(port: port, path: "/", timeout: .seconds(5))
                // "hello from primary 346145084c67": the revision is the last word.
                let revision = answer.body.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
                if answer.status == 200 {
                    key = "200 revision \(revision)"
                } else if answer.status == 500 && answer.body.hasPrefix("injected error") {
                    key = "500 injected"
                } else {
                    key = "\(answer.status) \(answer.body.prefix(60).trimmingCharacters(in: .whitespacesAndNewlines))"
                }
            } catch {
                key = "connection error"
            }
            lock.withLock { counts[key, default: 0] += 1 }
            usleep(pauseMicroseconds)
        }
    }

    public func snapshot() -> [String: Int] { lock.withLock { counts } }

    /// Requests that got no HTTP answer or a 5xx the app did not make
    /// (the app's own errors say "injected error").
    public var failures: Int {
        snapshot().filter { !$0.key.hasPrefix("200") && $0.key != "500 injected" }.values.reduce(0, +)
    }
}
