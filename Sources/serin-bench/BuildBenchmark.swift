import ArgumentParser
import Foundation
import SerinKustomize
import SerinSpec

/// The render stage's Kustomize on podinfo's production overlay: each
/// revision changes the frontend's image tag in a fresh snapshot (a new
/// commit), is rendered by Serin (walk, private copy, sandboxed kustomize,
/// origins) and built by the kustomize binary run directly on the same
/// folder in the same run, then rendered again unchanged (the cached path).
struct BuildBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Time Kustomize builds per revision: Serin's render, kustomize alone, and the cache.")

    @Option(help: "Revisions to build.") var revisions = 50
    @Option(help: "The repository holding the overlay (default: the podinfo fixture of the tests).")
    var repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/SerinKustomizeTests/Fixtures").path
    @Option(help: "The overlay inside it.") var overlay = "podinfo/deploy/overlays/production"
    @Option(help: "The file whose image tag each revision changes.") var changing = "podinfo/deploy/bases/frontend/deployment.yaml"
    @Option(help: "bubblewrap, unshare-net or none (default: the strongest that runs here).") var sandbox: String?

    func run() async throws {
        let binary = try KustomizeBinary.locate().get()
        let chosen = try sandbox.map { name in
            guard let value = KustomizeSandbox(rawValue: name) else { throw ValidationError("--sandbox: bubblewrap, unshare-net or none") }
            return value
        }
        let builder = KustomizeBuilder(binary: .success(binary), sandbox: chosen)
        let renderer = KustomizeRenderer(builder: builder)
        let clock = ContinuousClock()
        var serin: [Duration] = [], direct: [Duration] = [], cached: [Duration] = []
        // CPU time (this process and its children), which the machine's load does not inflate.
        var serinCPU: [Duration] = [], directCPU: [Duration] = [], cachedCPU: [Duration] = []
        let base = FileManager.default.temporaryDirectory.path + "/serin-bench-build-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let original = try String(contentsOfFile: repository + "/" + changing, encoding: .utf8)
        var objects = 0
        for revision in 0..<revisions {
            let snapshot = "\(base)/\(revision)"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: repository, toPath: snapshot)
            let changed = original.replacingOccurrences(of: #"podinfo:[0-9][0-9.]*"#, with: "podinfo:6.0.\(revision)", options: .regularExpression)
            guard changed != original || revision == 0 else { throw ValidationError("no image tag to change in \(changing)") }
            try changed.write(toFile: snapshot + "/" + changing, atomically: true, encoding: .utf8)
            let request = RenderRequest(source: "bench", files: SnapshotFiles(root: snapshot), path: overlay)

            var start = clock.now
            var cpu = Self.cpuTime()
            let rendered = try await renderer.render(request)
            serin.append(clock.now - start)
            serinCPU.append(Self.cpuTime() - cpu)

            objects = rendered.texts.count

            start = clock.now
            cpu = Self.cpuTime()
            let run = try Process.run(binary.path, ["build", snapshot + "/" + overlay])
            direct.append(clock.now - start)
            directCPU.append(Self.cpuTime() - cpu)
            guard run == 0 else { throw ValidationError("kustomize build failed on revision \(revision)") }

            start = clock.now
            cpu = Self.cpuTime()
            _ = try await renderer.render(request)
            cached.append(clock.now - start)
            cachedCPU.append(Self.cpuTime() - cpu)
            try FileManager.default.removeItem(atPath: snapshot)
        }
        let statistics = await builder.statistics
        func ms(_ values: [Duration], _ quantile: Double) -> Double {
            let sorted = values.sorted()
            let value = sorted[min(sorted.count - 1, Int((Double(sorted.count) * quantile).rounded(.up)) - 1)]
            let milliseconds = Double(value.components.seconds) * 1e3 + Double(value.components.attoseconds) / 1e15
            return (milliseconds * 1_000).rounded() / 1_000
        }
        let result: [String: Any] = [
            "benchmark": "build",
            "overlay": overlay,
            "objects": objects,
            "revisions": revisions,
            "kustomize": binary.description,
            "sandbox": builder.sandbox.rawValue,
            "serin_render_ms_p50": ms(serin, 0.5), "serin_render_ms_p99": ms(serin, 0.99),
            "kustomize_direct_ms_p50": ms(direct, 0.5), "kustomize_direct_ms_p99": ms(direct, 0.99),
            "overhead_ratio_p50": (ms(serin, 0.5) / ms(direct, 0.5) * 100).rounded() / 100,
            "cached_render_ms_p50": ms(cached, 0.5), "cached_render_ms_p99": ms(cached, 0.99),
            "serin_render_cpu_ms_p50": ms(serinCPU, 0.5), "kustomize_direct_cpu_ms_p50": ms(directCPU, 0.5),
            "cpu_overhead_ratio_p50": (ms(serinCPU, 0.5) / ms(directCPU, 0.5) * 100).rounded() / 100,
            "cached_render_cpu_ms_p50": ms(cachedCPU, 0.5),
            "load_average_1m": Self.loadAverage(),
            "kustomize_runs": statistics.builds, "cache_hits": statistics.cacheHits,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

extension BuildBenchmark {
    /// User and system time of this process and of its waited-for children.
    static func cpuTime() -> Duration {
        var total = Duration.zero
        for who in [RUSAGE_SELF, RUSAGE_CHILDREN] {
            var usage = rusage()
            getrusage(__rusage_who_t(who.rawValue), &usage)
            total += .seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + .microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
        }
        return total
    }

    static func loadAverage() -> Double {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) > 0 ? loads[0] : -1
    }
}

extension Process {
    /// Runs to completion with output discarded; the exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
