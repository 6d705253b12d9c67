import Foundation
import SerinServerTesting
import SerinTesting
import Testing

/// The render stage on the local platform, with `serin run` as users run
/// it: a `Workload` in a Kustomize overlay and a `Workload` from a Helm
/// chart (through a HelmRelease) are released like one written out in
/// Git: first deployed, then a change in the overlay or the values is a
/// canary, promoted; then a broken overlay or chart is refused on the
/// source's status at its file and line while what runs keeps running.
extension EndToEndTests {
    /// The greeting the service answers (the quickstart's app says its MESSAGE).
    func greeting(_ sandbox: QuickstartSandbox) throws -> String {
        try Loopback.request(port: sandbox.servicePort, path: "/").body
    }

    /// Starts the operator on the sandbox's committed layout, waits for the
    /// first deploy, then commits `change` and waits for its release.
    func releaseThrough(_ sandbox: QuickstartSandbox, first expected: String,
                        change: () throws -> Void, then released: String) async throws {
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(90))
        let served = try greeting(sandbox)
        #expect(served.contains(expected), "\(served)")
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try change()
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(120))
        #expect(end.decision == "Succeeded", "\(end.reason)")
        #expect(sandbox.events().contains { $0.sequence > first.sequence && $0.decision == "detected" }, "a release, not a replacement")
        let after = try greeting(sandbox)
        #expect(after.contains(released), "\(after)")
        #expect(traffic.failures == 0, "\(traffic.snapshot())")
    }

    /// What `GET /api/v1/sources/quickstart` answers, as far as these tests read.
    struct RenderSourceReport: Decodable {
        struct Condition: Decodable {
            var type: String
            var status: String
            var reason: String
            var message: String
        }

        var revision: String?
        var lastAttemptedRevision: String?
        var conditions: [Condition]
        var errors: [String]

        var ready: Condition? { conditions.first { $0.type == "Ready" } }
    }

    func renderSource(_ sandbox: QuickstartSandbox) throws -> RenderSourceReport {
        let answer = try Loopback.request(port: sandbox.apiPort, path: "/api/v1/sources/quickstart")
        return try JSONDecoder().decode(RenderSourceReport.self, from: Data(answer.body.utf8))
    }

    /// Commits what `breaking` writes (a change that would be a release if it
    /// rendered), waits until the source's status shows that commit refused
    /// (the positive signal), then checks it named `reason` and `position`
    /// and that nothing that runs changed: no rollout event, the same
    /// primary, the same processes, the same answer.
    func expectRefusal(_ sandbox: QuickstartSandbox, reason: String, position: String, _ breaking: () throws -> Void) async throws {
        let primary = sandbox.rollout()?.primaryRevision
        let pids = sandbox.workloadPIDs()
        let answer = try greeting(sandbox)
        let before = sandbox.events().last?.sequence ?? 0
        let good = try renderSource(sandbox).revision
        try breaking()
        let commit = try sandbox.commitAll("A broken render", author: "Ada Lovelace")
        var report = try renderSource(sandbox)
        let deadline = ContinuousClock.now + .seconds(60)
        while !(report.lastAttemptedRevision?.contains(commit) ?? false) {
            guard ContinuousClock.now < deadline else {
                Issue.record("commit \(commit) not refused: \(report)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
            report = try renderSource(sandbox)
        }
        let ready = try #require(report.ready)
        #expect(ready.status == "False" && ready.reason == reason, "\(ready)")
        #expect(ready.message.contains(position), "\(position) not in \(ready.message)")
        #expect(report.errors.first?.contains(position) == true, "\(report.errors)")
        #expect(report.revision == good, "the last good revision stays in force")
        print("refused: \(ready.message)")
        let status = try await offPool { [serin] in
            try CommandRun.run(serin, ["status", "--api", "http://127.0.0.1:\(sandbox.apiPort)"], timeout: .seconds(30))
        }
        let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("quickstart ") }.map(String.init) ?? ""
        #expect(line.contains("False") && line.contains(position), "serin status printed:\n\(status.stdout)")
        #expect(sandbox.rollout()?.primaryRevision == primary)
        #expect(sandbox.workloadPIDs() == pids)
        #expect(!sandbox.events().contains { $0.sequence > before && $0.rollout != "-" }, "\(sandbox.events().suffix(6))")
        #expect(try greeting(sandbox) == answer)
    }

    @Test(.timeLimit(.minutes(4)))
    func aWorkloadInAKustomizeOverlayIsReleased() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        // The quickstart's manifests become a base; the source's path, deploy/, an overlay on it.
        try sandbox.git(["mv", "deploy", "base"])
        let manifests = try FileManager.default.contentsOfDirectory(atPath: sandbox.repository + "/base").filter { $0.hasSuffix(".yaml") }.sorted()
        try ("resources:\n" + manifests.map { "  - \($0)\n" }.joined())
            .write(toFile: sandbox.repository + "/base/kustomization.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: sandbox.repository + "/deploy", withIntermediateDirectories: true)
        func overlay(_ message: String) throws {
            try """
            resources:
              - ../base
            patches:
              - target: { group: serin.dev, version: v1alpha1, kind: Workload, name: web }
                patch: |-
                  - op: replace
                    path: /spec/template/env/2/value
                    value: \(message)

            """.write(toFile: sandbox.repository + "/deploy/kustomization.yaml", atomically: true, encoding: .utf8)
        }
        try overlay("from the overlay")
        try sandbox.git(["add", "-A"])
        try sandbox.commitAll("The quickstart as a base with an overlay", author: "Ada Lovelace")
        try await releaseThrough(sandbox, first: "from the overlay", change: {
            try overlay("overlay v2")
            try sandbox.commitAll("The overlay says v2", author: "Ada Lovelace")
        }, then: "overlay v2")
        // A new message with a resource that is not there: refused at the kustomization's line.
        try await expectRefusal(sandbox, reason: "BuildFailed", position: "deploy/kustomization.yaml:3:5:") {
            try overlay("overlay v3")
            try sandbox.edit("deploy/kustomization.yaml", "  - ../base\n", "  - ../base\n  - missing.yaml\n")
        }
        await sandbox.shutDown()
    }

    @Test(.timeLimit(.minutes(4)))
    func aWorkloadFromAHelmChartIsReleased() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        // The quickstart's Workload and Canary become a chart's templates; deploy/ declares its release.
        let workload = try String(contentsOfFile: sandbox.repository + "/deploy/workload.yaml", encoding: .utf8)
        let templated = workload.replacingOccurrences(of: "value: \"hello\"", with: "value: {{ .Values.message | quote }}")
        #expect(templated != workload)
        let files = [
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "charts/web/values.yaml": "message: hello\n",
            "charts/web/templates/workload.yaml": templated,
            "charts/web/templates/canary.yaml": try String(contentsOfFile: sandbox.repository + "/deploy/canary.yaml", encoding: .utf8),
        ]
        for (path, text) in files {
            try FileManager.default.createDirectory(atPath: sandbox.repository + "/" + (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: sandbox.repository + "/" + path, atomically: true, encoding: .utf8)
        }
        try sandbox.git(["rm", "-q", "deploy/workload.yaml", "deploy/canary.yaml"])
        func release(_ message: String) throws {
            try """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: web
            spec:
              chart:
                spec:
                  chart: ./charts/web
                  sourceRef: { kind: GitRepository, name: quickstart }
              values:
                message: \(message)

            """.write(toFile: sandbox.repository + "/deploy/web.yaml", atomically: true, encoding: .utf8)
        }
        try release("from the chart")
        try sandbox.git(["add", "-A"])
        try sandbox.commitAll("The quickstart as a chart", author: "Ada Lovelace")
        try await releaseThrough(sandbox, first: "from the chart", change: {
            try release("chart v2")
            try sandbox.commitAll("The values say v2", author: "Ada Lovelace")
        }, then: "chart v2")
        // A new message and a template that fails: refused at the template's line.
        let line = templated.components(separatedBy: "\n").firstIndex { $0.contains(".Values.message") }.map { $0 + 1 } ?? 0
        try await expectRefusal(sandbox, reason: "TemplateFailed", position: "charts/web/templates/workload.yaml:\(line):") {
            try release("chart v3")
            try templated.replacingOccurrences(of: "{{ .Values.message | quote }}", with: "{{ required \"set a message\" .Values.owner }}")
                .write(toFile: sandbox.repository + "/charts/web/templates/workload.yaml", atomically: true, encoding: .utf8)
        }
        await sandbox.shutDown()
    }
}
