import Foundation
import SerinTesting

/// Runs the Selenium script, answering its `@serin` requests on its stdin.
public enum BrowserScript {
    /// Where `make test` installs Selenium (a virtual environment of Debian's Python).
    public static let python = ProcessInfo.processInfo.environment["SERIN_PYTHON"] ?? "/var/cache/serin-py/bin/python3"
    /// The scripts, beside the dashboard's Swift tests.
    public static let directory = Products.repositoryRoot + "/Tests/SerinServerTests/Browser"

    public struct Output: Sendable {
        public var status: Int32
        public var lines: [String]
    }

    /// Fails, saying what to install, when the browser or Selenium is missing.
    public static func checkInstalled() throws {
        for (path, package) in [(python, "Selenium (make py-deps)"), ("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver")]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw TestHTTPError(description: "no \(path): `make test` installs \(package)")
        }
    }

    public static func run(_ arguments: [String], answer: @escaping @Sendable (String) -> Void) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", "-B"] + arguments  // -B: no __pycache__ in the source tree
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let (chunks, continuation) = AsyncStream<Data>.makeStream()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
            } else {
                continuation.yield(data)
            }
        }
        try process.run()
        // A hung browser must not hang the suite: the script's own waits are
        // 60 s each (a loaded machine), so eight minutes means something is stuck.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(480))
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        var lines: [String] = []
        var pending = Data()
        for await chunk in chunks {
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                lines.append(line)
                if line.hasPrefix("@serin "), !line.hasPrefix("@serin report ") {
                    answer(String(line.dropFirst("@serin ".count)))
                    try input.fileHandleForWriting.write(contentsOf: Data("ok\n".utf8))
                }
            }
        }
        if !pending.isEmpty { lines.append(String(decoding: pending, as: UTF8.self)) }
        try await offPool { process.waitUntilExit() }
        return Output(status: process.terminationStatus, lines: lines)
    }
}
