import ArgumentParser
import Foundation
import SerinEngine
import SerinGit
import SerinSpec
import SerinTesting

/// Resource usage of this process.
enum Usage {
    static func cpuMicroseconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    }

    /// Current resident set size, from /proc/self/statm.
    static func rssBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func peakRSSBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    static func printJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return (sorted[max(0, index)] * 10).rounded() / 10
    }
}

let benchWorkload = """
apiVersion: serin.dev/v1alpha1
kind: Workload
metadata: { name: __NAME__ }
spec:
  replicas: 2
  service: { port: __PORT__ }
  template:
    command: ["python3", "app.py"]
    args: ["--port", "$(PORT)"]
    env: [{ name: RELEASE, value: "__RELEASE__" }]
    readinessProbe: { httpGet: { path: /healthz }, periodSeconds: 1 }

"""

func workloadFile(_ index: Int, release: Int) -> String {
    benchWorkload.replacingOccurrences(of: "__NAME__", with: "web-\(index)").replacingOccurrences(of: "__PORT__", with: "\(20000 + index)")
        .replacingOccurrences(of: "__RELEASE__", with: "\(release)")
}

/// From `git push` to the new revision being read, when a webhook asks for
/// the sync at once (the watcher's own interval is an hour).
struct GitWebhookBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "git-webhook", abstract: "Latency from git push to the new revision read, with a webhook.")

    @Option(help: "Pushes to time.") var pushes = 100
    @Option(help: "Manifest files in the repository.") var files = 20

    func run() async throws {
        let git = try GitFixture()
        var tree: [String: String] = [:]
        for index in 0..<files { tree["deploy/web-\(index).yaml"] = workloadFile(index, release: 0) }
        try git.commit(tree)
        let daemon = try GitDaemon(root: git.root.path)
        defer { daemon.stop() }
        let cache = try TemporaryDirectory(prefix: "serin-bench-cache")
        defer { cache.remove() }
        let spec = GitSourceSpec(name: "bench", url: try GitURL(daemon.url("remote.git")), path: "deploy", interval: .seconds(3600))
        let fetcher = try GitFetcher(spec: spec, cacheDirectory: cache.path + "/repo.git", snapshots: RevisionSnapshots(stateDirectory: cache.path))
        let (stream, delivered) = AsyncStream<DesiredState>.makeStream()
        let watcher = SourcePipeline(configuration: .init(name: "bench", path: "deploy", interval: .seconds(3600), targets: ["bench"]),
                                     stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator()), clock: ContinuousClock(),
                                     deliver: { delivered.yield($0) })
        let running = Task { await watcher.run() }
        var revisions = stream.makeAsyncIterator()
        _ = await revisions.next() // the first sync
        var latencies: [Double] = []
        let clock = ContinuousClock()
        for push in 1...pushes {
            let commit = try git.commit(["deploy/web-0.yaml": workloadFile(0, release: push)], message: "release \(push)")
            let pushed = clock.now
            watcher.requestSync() // what a verified webhook call does
            guard let result = await revisions.next() else { break }
            guard result.commit == commit else { throw ValidationError("read \(result.revision), expected \(commit)") }
            latencies.append(Double((clock.now - pushed).components.attoseconds) / 1e15 + Double((clock.now - pushed).components.seconds) * 1000)
        }
        running.cancel()
        try Usage.printJSON([
            "benchmark": "git-webhook", "transport": "git://", "pushes": latencies.count, "files": files,
            "p50_ms": Usage.percentile(latencies, 0.5), "p99_ms": Usage.percentile(latencies, 0.99),
            "max_ms": Usage.percentile(latencies, 1.0),
        ])
    }
}

/// CPU time of a poll that finds nothing new, and memory over many polls.
struct GitPollBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "git-poll", abstract: "CPU per unchanged poll and RSS growth over many polls.")

    @Option(help: "Polls to run.") var polls = 10_000
    @Option(help: "git (git daemon) or file.") var transport = "git"

    func run() throws {
        let git = try GitFixture()
        try git.commit(["deploy/web.yaml": workloadFile(0, release: 0)])
        var daemon: GitDaemon?
        let url: String
        if transport == "file" {
            url = "file://" + git.bare
        } else {
            daemon = try GitDaemon(root: git.root.path)
            url = daemon!.url("remote.git")
        }
        defer { daemon?.stop() }
        let cache = try TemporaryDirectory(prefix: "serin-bench-cache")
        defer { cache.remove() }
        let mirror = try SourceMirror(spec: GitSourceSpec(name: "bench", url: try GitURL(url), path: "deploy"), directory: cache.path + "/repo.git")
        _ = try mirror.poll()
        for _ in 0..<200 { _ = try mirror.poll() } // warm up allocator and caches
        let rssBefore = Usage.rssBytes()
        let cpuBefore = Usage.cpuMicroseconds()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<polls {
            let outcome = try mirror.poll()
            guard case .unchanged = outcome else { throw ValidationError("a poll found a change: \(outcome.diagnostics)") }
        }
        let wall = clock.now - start
        let cpu = Usage.cpuMicroseconds() - cpuBefore
        let rssAfter = Usage.rssBytes()
        let wallMilliseconds = Double(wall.components.seconds) * 1e3 + Double(wall.components.attoseconds) / 1e15
        let cpuPerPoll: Double = (cpu / Double(polls)).rounded() / 1000
        let wallPerPoll: Double = (wallMilliseconds / Double(polls) * 1000).rounded() / 1000
        let growth: Double = (Double(rssAfter - rssBefore) / 1_048_576 * 100).rounded() / 100
        try Usage.printJSON([
            "benchmark": "git-poll", "transport": transport, "polls": polls,
            "cpu_ms_per_poll": cpuPerPoll, "wall_ms_per_poll": wallPerPoll,
            "rss_before_mb": Double(rssBefore) / 1_048_576, "rss_after_mb": Double(rssAfter) / 1_048_576,
            "rss_growth_mb": growth,
        ])
    }
}

/// A large repository: first clone, then an incremental sync of one commit.
struct GitLargeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "git-large", abstract: "First clone and incremental sync of a repository with many commits and manifests.")

    @Option(help: "Commits in the history.") var commits = 10_000
    @Option(help: "Manifest files at the head.") var files = 5_000

    func run() throws {
        let git = try GitFixture()
        try buildHistory(in: git)
        let daemon = try GitDaemon(root: git.root.path)
        defer { daemon.stop() }
        let cache = try TemporaryDirectory(prefix: "serin-bench-cache")
        defer { cache.remove() }
        let mirror = try SourceMirror(spec: GitSourceSpec(name: "bench", url: try GitURL(daemon.url("remote.git")), path: "deploy",
                                                          timeout: .seconds(600)), directory: cache.path + "/repo.git")
        let clock = ContinuousClock()
        let rssStart = Usage.rssBytes()
        var start = clock.now
        guard case .updated(let first) = try mirror.poll() else { throw ValidationError("the first sync was not valid") }
        let firstClone = clock.now - start
        let peakAfterClone = Usage.peakRSSBytes()
        try git.commit(["deploy/web-0.yaml": workloadFile(0, release: 999_999)], message: "one more")
        start = clock.now
        guard case .updated(let next) = try mirror.poll() else { throw ValidationError("the incremental sync was not valid") }
        let incremental = clock.now - start
        func ms(_ d: Duration) -> Double { (Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15).rounded() }
        try Usage.printJSON([
            "benchmark": "git-large", "transport": "git://", "commits": commits + 1, "files": files,
            "resources": first.manifests.resourceCount, "first_clone_ms": ms(firstClone),
            "incremental_sync_ms": ms(incremental), "incremental_fetched": next.fetched,
            "rss_start_mb": Double(rssStart) / 1_048_576, "peak_rss_mb": Double(peakAfterClone) / 1_048_576,
            "mirror_size_mb": Double(directorySize(cache.path)) / 1_048_576,
        ])
    }

    /// `git fast-import`: thousands of commits in seconds. Commits on one
    /// branch chain by themselves within a stream.
    private func buildHistory(in git: GitFixture) throws {
        var stream = ""
        let perCommit = max(1, files / max(1, commits))
        var written = 0
        for index in 0..<commits {
            stream += "commit refs/heads/main\ncommitter Bench <bench@example.com> \(1_700_000_000 + index) +0000\n"
            let message = "change \(index)"
            stream += "data \(message.utf8.count)\n\(message)\n"
            // Spread the files over the history; later commits edit earlier files.
            for _ in 0..<perCommit {
                let fileIndex = written < files ? written : index % files
                let body = workloadFile(fileIndex, release: index)
                stream += "M 100644 inline deploy/web-\(fileIndex).yaml\ndata \(body.utf8.count)\n\(body)\n"
                written += 1
            }
        }
        while written < files {
            let body = workloadFile(written, release: 0)
            stream += "commit refs/heads/main\ncommitter Bench <bench@example.com> 1800000000 +0000\ndata 4\nrest\n"
            stream += "M 100644 inline deploy/web-\(written).yaml\ndata \(body.utf8.count)\n\(body)\n"
            written += 1
        }
        let input = git.root.path + "/fast-import.txt"
        try stream.write(toFile: input, atomically: true, encoding: .utf8)
        let run = try CommandRun.run("/bin/sh", ["-c", "git --git-dir=\(git.bare) fast-import --quiet < \(input) && git -C \(git.work) fetch -q origin main && git -C \(git.work) reset -q --hard origin/main"], timeout: .seconds(600))
        guard run.status == 0 else { throw ValidationError("fast-import failed: \(run.stderr)") }
    }

    private func directorySize(_ path: String) -> Int {
        var total = 0
        let walker = FileManager.default.enumerator(atPath: path)
        while let relative = walker?.nextObject() as? String {
            total += ((try? FileManager.default.attributesOfItem(atPath: path + "/" + relative))?[.size] as? Int) ?? 0
        }
        return total
    }
}

extension PollOutcome {
    var diagnostics: [Diagnostic] {
        switch self {
        case .updated(let result), .invalid(let result): return result.diagnostics
        case .unchanged: return []
        }
    }
}
