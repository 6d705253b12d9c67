import ArgumentParser
import Foundation
import SerinSpec

/// `serin validate` on a generated tree of realistic manifests: the time of
/// the in-process load + validate (median of rounds) and of the real CLI, and
/// the CLI's peak memory.
struct ValidateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Time `serin validate` on generated manifests.")

    @Option(help: "Resources to generate.") var resources = 5000
    @Option(help: "Files to spread them over.") var files = 500
    @Option(help: "In-process rounds; the median is reported.") var rounds = 5
    @Option(help: "Runs of the serin CLI; the median and the worst are reported.") var cliRuns = 7
    @Option(help: "The serin executable to time (default: beside this one).") var serin: String?
    @Option(help: "Write the tree here and keep it, to profile `serin validate` on it.") var keep: String?

    func run() throws {
        let directory = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("serin-bench-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let bytes = try ManifestTree.write(resources: resources, files: files, to: directory)

        let clock = ContinuousClock()
        var samples: [Duration] = []
        var diagnostics: [Diagnostic] = []
        var loaded = 0
        for _ in 0..<rounds {
            let start = clock.now
            let manifests = ManifestLoader().load(paths: [directory])
            diagnostics = Validator().validate(manifests)
            samples.append(clock.now - start)
            loaded = manifests.resourceCount
        }
        guard !diagnostics.hasErrors, loaded == resources else {
            throw ValidationError("the generated tree did not validate: \(diagnostics.errors.prefix(3)) (\(loaded) resources)")
        }
        samples.sort()

        let executable = serin ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("serin").path
        var runs: [CLIMeasurement] = []
        for _ in 0..<cliRuns {
            runs.append(try CLIMeasurement.run(executable, ["validate", directory]))
        }
        runs.sort { $0.wallMilliseconds < $1.wallMilliseconds }
        let cli = runs[runs.count / 2]

        let result: [String: Any] = [
            "benchmark": "validate",
            "resources": resources,
            "files": files,
            "bytes": bytes,
            "in_process_ms_median": Self.milliseconds(samples[samples.count / 2]),
            "in_process_ms_min": Self.milliseconds(samples[0]),
            "cli_exit": runs.map(\.status).max() ?? -1,
            "cli_runs": runs.count,
            "cli_wall_ms_median": cli.wallMilliseconds,
            "cli_wall_ms_worst": runs.last?.wallMilliseconds ?? 0,
            "cli_cpu_ms_median": cli.cpuMilliseconds,
            "cli_peak_rss_mb_worst": runs.map(\.peakRSSMegabytes).max() ?? 0,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
    }
}

/// Runs a child process and reads its resource usage when it exits.
struct CLIMeasurement {
    var status: Int32
    var wallMilliseconds: Double
    var cpuMilliseconds: Double
    var peakRSSMegabytes: Double

    static func run(_ executable: String, _ arguments: [String]) throws -> CLIMeasurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        var status: Int32 = 0
        var usage = rusage()
        let pid = process.processIdentifier
        // wait4 reports this child's own usage, unlike RUSAGE_CHILDREN's maximum over all.
        while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
        let wall = clock.now - start
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
        let exitStatus = (status >> 8) & 0xff
        return CLIMeasurement(status: exitStatus, wallMilliseconds: ValidateBenchmark.milliseconds(wall),
                              cpuMilliseconds: (cpu * 10).rounded() / 10,
                              peakRSSMegabytes: (Double(usage.ru_maxrss) / 1024 * 10).rounded() / 10)
    }
}
