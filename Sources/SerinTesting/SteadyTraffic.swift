import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// About 50 requests/s, counted by status and by the revision that
/// answered (the app says it).
public actor SteadyTraffic {
    private var counts: [String: Int] = [:]
    private let port: Int
    private let pause: Duration

    public init(port: Int, pause: Duration = .milliseconds(20)) {
        self.pause = pause
        self.port = port
    }

    /// Until cancelled.
    public func run() async {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 5
        let session = URLSession(configuration: configuration)
        let url = URL(string: "http://127.0.0.1:\(port)/")!
        while !Task.isCancelled {
            let key: String
            do {
                let (data, response) = try await session.data(from: url)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                let body = String(decoding: data, as: UTF8.self)
                // "hello from primary 346145084c67": the revision is the last word.
                let revision = body.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
                if status == 200 {
                    key = "200 revision \(revision)"
                } else if status == 500 && body.hasPrefix("injected error") {
                    key = "500 injected"
                } else {
                    key = "\(status) \(body.prefix(60).trimmingCharacters(in: .whitespacesAndNewlines))"
                }
            } catch {
                key = "connection error"
            }
            counts[key, default: 0] += 1
            try? await Task.sleep(for: pause)
        }
    }

    public func snapshot() -> [String: Int] { counts }

    /// Requests that got no HTTP answer or a 5xx the app did not make
    /// (the app's own errors say "injected error").
    public var failures: Int { counts.filter { !$0.key.hasPrefix("200") && $0.key != "500 injected" }.values.reduce(0, +) }
}
