import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SerinEngine
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// The controls Flux users reach for, through `serin` and the API of a
    /// `serin run` process on the test cluster: suspend, resume,
    /// reconcile, diff, history, rollback (a pin) and unpin; and the
    /// source's status in `kubectl get sources.serin.dev`.
    @Suite struct SourceControlEndToEndTests {
        typealias GitOps = GitOpsTests

        /// `serin run` as a process, its API on a free port with a token.
        final class SerinRun: Sendable {
            let server: ServerProcess
            let directory: TemporaryDirectory
            let api: String
            let tokenFile: String
            let config: String

            init(namespace: String, platform: String = "kubernetes", sources: String) throws {
                directory = try TemporaryDirectory(prefix: "serin-controls")
                let port = try Loopback.freePort()
                api = "http://127.0.0.1:\(port)"
                tokenFile = try directory.write("token", "controls-\(UUID().uuidString)")
                chmod(tokenFile, 0o600)  // serin refuses a token others can read
                let cluster = platform == "kubernetes"
                    ? "kubernetes: { kubeconfig: \(KubeTestCluster.environment["KUBECONFIG"] ?? ""), namespace: \(namespace), leaderElection: false }"
                    : "router: { admin: 127.0.0.1:\(try Loopback.freePort()) }"
                config = try directory.write("serin.yaml", """
                    stateDir: \(directory.path)/state
                    platform: \(platform)
                    \(cluster)
                    prometheus: { address: "http://127.0.0.1:1" }
                    api: { listen: "127.0.0.1:\(port)", tokenFile: \(tokenFile) }
                    sources:
                    \(sources)
                    """)
                server = try ServerProcess(Products.executable("serin"), ["run", "--config", config], port: port,
                                           log: directory.path + "/serin.log")
            }

            /// `serin ARGUMENTS` against this operator, as `alice`.
            func serin(_ arguments: [String]) throws -> CommandRun {
                try CommandRun.run("/usr/bin/env", ["USER=alice", Products.executable("serin")] + arguments + ["--api", api, "--token-file", tokenFile],
                                   timeout: .seconds(120))
            }

            func source(_ name: String = "apps") throws -> SourceStatusReport? {
                let run = try serin(["get", "source", name, "-o", "json"])
                guard run.status == 0 else { return nil }
                return try? JSONDecoder().decode(SourceStatusReport.self, from: Data(run.stdout.utf8))
            }

            func log() -> String { (try? String(contentsOfFile: directory.path + "/serin.log", encoding: .utf8)) ?? "" }

            func stop() {
                server.stop()
                // What serin run started and leaves running by design (the local
                // platform's router, adopted by the next run) goes with the test.
                _ = try? CommandRun.run(Products.executable("serin"), ["down", "--force", "--config", config], timeout: .seconds(60))
                directory.remove()
            }
        }

        /// One call to the API, with the token; the status and the body.
        static func call(_ run: SerinRun, _ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: run.api + path)
            request.method = method
            let token = try String(contentsOfFile: run.tokenFile, encoding: .utf8)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }

        @Test(.timeLimit(.minutes(6)))
        func suspendResumeReconcileDiffAndRollbackThroughTheCLIAndTheAPI() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let repository = try GitFixture()
                try repository.commit(["deploy/settings.yaml": GitOps.configMap(namespace, "settings", "v1")], message: "v1")
                let v1 = try repository.head()
                // A second source, never suspended: its hand edit put back is the
                // sign that the operator has seen the edits made before it.
                let control = try GitFixture()
                try control.commit(["deploy/control.yaml": GitOps.configMap(namespace, "control", "c1")], message: "c1")
                let run = try SerinRun(namespace: namespace, sources: GitOps.source("apps", repository) + "\n" + GitOps.source("control", control))
                do {
                    try await eventually("v1 is applied", timeout: .seconds(60)) {
                        try run.source()?.conditions.isReady == true
                    }
                    // kubectl shows what serin get sources shows.
                    let sources = try run.serin(["get", "sources"])
                    #expect(sources.stdout.contains("apps") && sources.stdout.contains("main@\(v1.prefix(12))"), "\(sources.stdout)")
                    try await eventually("kubectl get sources.serin.dev shows the source", timeout: .seconds(30)) {
                        let kubectl = try GitOps.kubectl(["-n", namespace, "get", "sources.serin.dev"])
                        return kubectl.stdout.contains("apps") && kubectl.stdout.contains("main@\(v1.prefix(12))")
                            && kubectl.stdout.contains("True") && kubectl.stdout.contains("applied main@sha1:\(v1)")
                    }
                    let wide = try GitOps.kubectl(["-n", namespace, "get", "sources.serin.dev", "-o", "wide"])
                    #expect(wide.stdout.contains("INVENTORY"), "\(wide.stdout)")

                    // Suspended: Git and hand edits wait.
                    let suspend = try run.serin(["suspend", "apps"])
                    #expect(suspend.status == 0 && suspend.stdout.contains("suspended"), "\(suspend.stdout)\(suspend.stderr)")
                    #expect(try run.source()?.suspension?.by == "alice")
                    try await eventually("kubectl shows it suspended", timeout: .seconds(30)) {
                        try GitOps.kubectl(["-n", namespace, "get", "sources.serin.dev", "apps", "-o", "jsonpath={.status.suspended}"]).stdout == "true"
                    }
                    try repository.commit(["deploy/settings.yaml": GitOps.configMap(namespace, "settings", "v2")], message: "v2")
                    let v2 = try repository.head()
                    try await eventually("the control source is applied", timeout: .seconds(60)) {
                        try await GitOps.greeting(client, namespace, "control") == "c1"
                    }
                    _ = try GitOps.kubectl(["-n", namespace, "patch", "configmap/settings", "--type=merge", "-p", #"{"data":{"greeting":"edited"}}"#])
                    _ = try GitOps.kubectl(["-n", namespace, "patch", "configmap/control", "--type=merge", "-p", #"{"data":{"greeting":"edited"}}"#])
                    try await eventually("the edit of the source not suspended, made after, is put back", timeout: .seconds(60)) {
                        try await GitOps.greeting(client, namespace, "control") == "c1"
                    }
                    #expect(try await GitOps.greeting(client, namespace, "settings") == "edited", "a suspended source corrects nothing")
                    #expect(try run.source()?.revision == "main@sha1:\(v1)", "a suspended source fetches nothing")
                    let refused = try run.serin(["reconcile", "apps"])
                    #expect(refused.status != 0 && refused.stderr.contains("serin resume apps first"), "\(refused.stderr)")

                    // What applying v1 again would change: the hand edit.
                    let diff = try run.serin(["diff", "apps"])
                    #expect(diff.status == 1, "\(diff.stdout)\(diff.stderr)")
                    #expect(diff.stdout.contains("~ ConfigMap \(namespace)/settings (change)"), "\(diff.stdout)")
                    #expect(diff.stdout.contains("-  greeting: edited") && diff.stdout.contains("+  greeting: v1"), "\(diff.stdout)")

                    let resume = try run.serin(["resume", "apps"])
                    #expect(resume.status == 0, "\(resume.stderr)")
                    try await eventually("v2 is applied on resume", timeout: .seconds(60)) {
                        try await GitOps.greeting(client, namespace, "settings") == "v2"
                    }
                    let reconcile = try run.serin(["reconcile", "apps"])
                    #expect(reconcile.status == 0 && reconcile.stdout.contains("ready: applied main@sha1:\(v2)"), "\(reconcile.stdout)\(reconcile.stderr)")
                    let unchanged = try run.serin(["diff", "apps"])
                    #expect(unchanged.status == 0 && unchanged.stdout.contains("nothing would change"), "\(unchanged.stdout)\(unchanged.stderr)")

                    // Back to v1, pinned while Git moves on; then unpinned.
                    let rollback = try run.serin(["rollback", "apps", String(v1.prefix(8))])
                    #expect(rollback.status == 0 && rollback.stdout.contains("pinned to main@sha1:\(v1)"), "\(rollback.stdout)\(rollback.stderr)")
                    try await eventually("v1 is back", timeout: .seconds(60)) {
                        try await GitOps.greeting(client, namespace, "settings") == "v1"
                    }
                    #expect(try run.source()?.pin?.by == "alice")
                    #expect(try run.serin(["get", "sources"]).stdout.contains("(pinned)"))
                    try repository.commit(["deploy/settings.yaml": GitOps.configMap(namespace, "settings", "v3")], message: "v3")
                    let v3 = try repository.head()
                    let pinnedSync = try run.source()?.lastSyncTime ?? 0
                    try await eventually("the pinned source polls again", timeout: .seconds(30)) {
                        (try run.source()?.lastSyncTime ?? 0) > pinnedSync + 1
                    }
                    #expect(try await GitOps.greeting(client, namespace, "settings") == "v1", "a pinned source stays where it is pinned")
                    let unpin = try run.serin(["rollback", "apps", "--unpin"])
                    #expect(unpin.status == 0, "\(unpin.stderr)")
                    try await eventually("v3 is applied once unpinned", timeout: .seconds(60)) {
                        try await GitOps.greeting(client, namespace, "settings") == "v3"
                    }

                    // The history entry is written once the delivery is judged (after its health), a moment after the ConfigMap changed.
                    var entries: [SourceHistoryEntry] = []
                    try await eventually("the unpin's delivery is in the history", timeout: .seconds(60), every: .milliseconds(500)) {
                        let history = try run.serin(["history", "source", "apps", "-o", "json"])
                        entries = try JSONDecoder().decode([SourceHistoryEntry].self, from: Data(history.stdout.utf8))
                        return entries.contains { $0.commit == v3 }
                    }
                    let rows = entries.map { "\($0.revision.suffix(40).prefix(7)) \($0.trigger) \($0.result)" }
                    #expect(entries.first?.trigger == "git" && entries.first?.commit == v1, "\(rows)")
                    #expect(entries.contains { $0.commit == v2 && $0.trigger == "resume by alice" }, "\(rows)")
                    #expect(entries.contains { $0.commit == v2 && $0.trigger == "reconcile by alice" }, "\(rows)")
                    #expect(entries.contains { $0.commit == v1 && $0.trigger == "rollback by alice" }, "\(rows)")
                    #expect(entries.last?.commit == v3 && entries.last?.trigger == "unpin by alice" && entries.last?.result == "applied", "\(rows)")
                    let table = try run.serin(["history", "source", "apps"])
                    #expect(table.stdout.contains("rollback by alice"), "\(table.stdout)")

                    // The same through the API.
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/suspend", body: #"{"by":"bob"}"#).0 == 202)
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/suspend").0 == 409)
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/resume", body: #"{"by":"bob"}"#).0 == 202)
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/reconcile", body: #"{"by":"bob"}"#).0 == 202)
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/rollback").0 == 400)
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/rollback", body: #"{"revision":"ffffffff"}"#).0 == 409)
                    let (pinned, _) = try await Self.call(run, .POST, "/api/v1/sources/apps/rollback", body: "{\"revision\":\"main@sha1:\(v2)\",\"by\":\"bob\"}")
                    #expect(pinned == 202)
                    try await eventually("v2 through the API", timeout: .seconds(60)) {
                        try await GitOps.greeting(client, namespace, "settings") == "v2"
                    }
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/apps/unpin", body: #"{"by":"bob"}"#).0 == 202)
                    // As above: the entry is written once the pinned delivery is judged, after the ConfigMap changed.
                    var answer = (status: 0, body: "")
                    try? await eventually("the API's rollback is in the history", timeout: .seconds(60), every: .milliseconds(500)) {
                        answer = try await Self.call(run, .GET, "/api/v1/sources/apps/history")
                        return answer.body.contains("rollback by bob")
                    }
                    #expect(answer.status == 200 && answer.body.contains("rollback by bob"), "\(answer.body)")
                    #expect(try await Self.call(run, .GET, "/api/v1/sources/apps/diff").0 == 200)
                    #expect(try await Self.call(run, .POST, "/api/v1/sources/nowhere/suspend").0 == 404)
                    var unauthorized = HTTPClientRequest(url: run.api + "/api/v1/sources/apps/suspend")
                    unauthorized.method = .POST
                    #expect(try await HTTPClient.shared.execute(unauthorized, timeout: .seconds(30)).status.code == 401)
                    _ = v3
                } catch {
                    print(run.log().suffix(4000))
                    run.stop()
                    throw error
                }
                run.stop()
            }
        }

        /// On the local platform too: suspend, resume, reconcile, rollback
        /// and history act on the source; diff says there is nothing to compare.
        @Test(.timeLimit(.minutes(3)))
        func theControlsActOnLocalSourcesToo() async throws {
            let repository = try GitFixture()
            let template = { (query: String) in
                """
                apiVersion: serin.dev/v1alpha1
                kind: MetricTemplate
                metadata: { name: errors }
                spec: { provider: { type: prometheus, address: "http://127.0.0.1:1" }, query: "\(query)" }
                """
            }
            try repository.commit(["deploy/template.yaml": template("up")], message: "one")
            let one = try repository.head()
            try repository.commit(["deploy/template.yaml": template("up == 1")], message: "two")
            let two = try repository.head()
            let run = try SerinRun(namespace: "-", platform: "local", sources: GitOps.source("apps", repository))
            do {
                try await eventually("two is applied", timeout: .seconds(60)) {
                    try run.source()?.lastAppliedRevision == "main@sha1:\(two)"
                }
                #expect(try run.serin(["suspend", "apps"]).status == 0)
                #expect(try run.source()?.suspension?.by == "alice")
                #expect(try run.serin(["resume", "apps"]).status == 0)
                let reconcile = try run.serin(["reconcile", "apps"])
                #expect(reconcile.status == 0 && reconcile.stdout.contains("ready"), "\(reconcile.stdout)\(reconcile.stderr)")
                // Revision one was never applied here: a rollback names one the source applied.
                let unknown = try run.serin(["rollback", "apps", String(one.prefix(8))])
                #expect(unknown.status != 0 && unknown.stderr.contains("is not a revision source apps applied"), "\(unknown.stderr)")
                let history = try run.serin(["history", "source", "apps"])
                #expect(history.stdout.contains("reconcile by alice") && history.stdout.contains("resume by alice"), "\(history.stdout)")
                let rollback = try run.serin(["rollback", "apps", String(two.prefix(8))])
                #expect(rollback.status == 0, "\(rollback.stderr)")
                #expect(try run.source()?.pin?.commit == two)
                let diff = try run.serin(["diff", "apps"])
                #expect(diff.status == 2 && diff.stderr.contains("local platform has nothing to compare"), "\(diff.stderr)")
            } catch {
                print(run.log().suffix(4000))
                run.stop()
                throw error
            }
            run.stop()
        }
    }
}
