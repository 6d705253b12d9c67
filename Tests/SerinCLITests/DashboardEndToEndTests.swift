import Foundation
import SerinServerTesting
import SerinTesting
import Testing

/// The dashboard against `serin run` on the local platform: a real release
/// of the quickstart followed live in headless Chromium, aborted from the
/// page, then the operator killed and started again under the open page.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func theDashboardFollowsARealReleaseAbortsItAndReconnects() async throws {
        try BrowserScript.checkInstalled()
        let token = "dashboard-e2e-token"
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "8s", requestDurationMax: 2000, apiToken: token)
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        _ = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
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

/// `api.dashboardAuth` in serin.yaml: a wrong value is refused at start with its place.
@Suite struct DashboardConfigTests {
    @Test(arguments: [
        ("api: { listen: 127.0.0.1:0, dashboardAuth: tokens }", #"serin.yaml:3:44: api.dashboardAuth: "tokens" is not a choice; use none or token"#),
        ("api: { dashboardAuth: token }", "serin.yaml:3:23: api.dashboardAuth: token needs api.tokenFile (the token to ask for)"),
    ])
    func aWrongDashboardAuthIsRefusedWithItsPlace(api: String, message: String) throws {
        let directory = try TemporaryDirectory(prefix: "serin-dashboard-config")
        defer { directory.remove() }
        let config = try directory.write("serin.yaml", """
            stateDir: \(directory.path)/state
            prometheus: { managed: true }
            \(api)
            sources:
              - name: a
                url: file://\(directory.path)/repo

            """)
        let run = try CommandRun.run(Products.executable("serin"), ["run", "--config", config])
        #expect(run.status == 1)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
