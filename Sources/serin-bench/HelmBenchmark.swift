import ArgumentParser
import Foundation
import SerinHelm
import SerinSpec

/// Render time of a chart per revision: a HelmRelease over podinfo's chart
/// (a directory in a tree read through the render contract), the image tag
/// changed at every revision, rendered by Serin's Helm renderer. Prints p50,
/// p99 and the worst in milliseconds.
struct HelmBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "helm", abstract: "Time rendering a chart through a HelmRelease, per revision.")

    @Option(help: "The chart directory (default: podinfo's chart in the test fixtures).")
    var chart = "Tests/SerinHelmTests/Fixtures/podinfo"
    @Option(help: "Revisions to render.") var revisions = 200

    func run() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-bench-helm-\(getpid())").path
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/apps", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: chart, toPath: root + "/chart")
        let files = SnapshotFiles(root: root)
        let clock = ContinuousClock()
        var samples: [Duration] = []
        var documents = 0
        for revision in 0..<revisions {
            let release = """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: podinfo, namespace: bench}
            spec:
              chart:
                spec:
                  chart: chart
                  sourceRef: {kind: GitRepository, name: bench}
              values:
                image:
                  tag: "6.0.\(revision)"
                replicaCount: \(1 + revision % 3)
            """
            try release.write(toFile: root + "/apps/release.yaml", atomically: true, encoding: .utf8)
            let start = clock.now
            let plain = try PlainRenderer().renderNow(RenderRequest(source: "bench", files: files, path: "apps"))
            let rendered = try await HelmReleaseExpander(source: "bench", files: files).expand(plain)
            samples.append(clock.now - start)
            documents = rendered.texts.count
        }
        samples.sort()
        func percentile(_ p: Double) -> Double { ValidateBenchmark.milliseconds(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) }
        let result: [String: Any] = [
            "benchmark": "helm",
            "chart": chart,
            "revisions": revisions,
            "documents": documents,
            "render_ms_p50": percentile(0.5),
            "render_ms_p99": percentile(0.99),
            "render_ms_worst": ValidateBenchmark.milliseconds(samples.last ?? .zero),
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
