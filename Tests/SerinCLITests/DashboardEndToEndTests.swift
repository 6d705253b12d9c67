import Foundation
import SerinServerTesting
import SerinTesting
import Testing

/// The dashboard against `serin run` on the local platform: a real release
/// of the quickstart followed live in headless Chromium, aborted from the
/// page, then the operator killed and started again under the open page.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func theDashboardFollowsARealReleaseAbortsItAndReconnects() async throws {
        try BrowserScript.checkInstalled()
        let token = "dashboard-e2e-token"
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "8s", requestDurationMax: 2000, apiToken: token)
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        _ = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(60))
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        let screenshots = ProcessInfo.processInfo.environment["SERIN_DASHBOARD_SCREENSHOTS"] ?? ""
        let output = try await BrowserScript.run([BrowserScript.directory + "/dashboard_release.py", "--url", "http://127.0.0.1:\(sandbox.apiPort)",
                                                  "--token", token, "--screenshots", screenshots]) { request in
            do {
                switch request {
                case "release":
                    try sandbox.commit("MESSAGE", to: "bonjour", message: "Release <script>window.__pwned = 1</script>", author: "Ada Lovelace")
                case "restart":
                    sandbox.killOperator()
                    try sandbox.startOperator()
                default:
                    Issue.record("unknown request from the browser script: \(request)")
                }
            } catch {
                Issue.record("\(request): \(error)")
            }
        }
        #expect(output.status == 0, "the browser script failed:\n\(output.lines.joined(separator: "\n"))")
        print("dashboard against serin run: \(output.lines.last { $0.hasPrefix("@serin report ") } ?? "no report")")
        let decisions = sandbox.events().map(\.decision)
        #expect(decisions.contains("Failed"), "\(decisions)")
        await sandbox.shutDown()
    }
}
