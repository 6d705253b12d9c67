import Foundation
import SerinTesting
import Testing

/// `serin validate` and `serin plan` as a user runs them: exit codes, where
/// each kind of output goes, and the stable JSON form.
@Suite struct CLITests {
    let serin = Products.executable("serin")
    let quickstart = Products.repositoryRoot + "/examples/quickstart/deploy"

    @Test func validateAcceptsTheQuickstart() throws {
        let run = try CommandRun.run(serin, ["validate", quickstart])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "valid: 4 resources in 4 files (AlertProvider: 1, Canary: 1, MetricTemplate: 1, Workload: 1), 0 warnings\n")
        #expect(run.stderr.isEmpty)
    }

    @Test func validateExitsOneWithOneLinePerProblemOnStandardError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("deploy/web.yaml", """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata:
          name: web
        spec:
          targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
          service: { port: 80 }
          analysis:
            interval: 1m
            threshold: 5
            maxWeight: 50
            stepWeight: 150
            metrics:
              - name: request-success-rate
                thresholdRange: { min: 99 }
        """)
        let run = try CommandRun.run(serin, ["validate", "deploy/web.yaml"], in: directory.path)
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("deploy/web.yaml:12:17: analysis.stepWeight must be between 1 and 100, got 150"))
        #expect(lines.contains("deploy/web.yaml:6:43: warning: targetRef.kind is Deployment: the local platform releases Workloads only; this Canary runs on the kubernetes platform"))
        #expect(lines.last == "invalid: 1 error, 1 warning in 1 file")
    }

    @Test func validateExitsTwoForAMissingPathOrABadOption() throws {
        let missing = try CommandRun.run(serin, ["validate", "/nonexistent/deploy"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "/nonexistent/deploy: no such file or directory\n")
        let badOption = try CommandRun.run(serin, ["validate", "--platform", "mars", quickstart])
        #expect(badOption.status == 2)
        #expect(badOption.stderr.contains("mars"))
        let noPath = try CommandRun.run(serin, ["validate"])
        #expect(noPath.status == 2)
    }

    @Test func planPrintsStableJSON() throws {
        let run = try CommandRun.run(serin, ["plan", "-o", "json", quickstart])
        #expect(run.status == 0, "\(run.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let canaries = try #require(document?["canaries"] as? [[String: Any]])
        #expect(canaries.count == 1)
        let canary = canaries[0]
        #expect(canary["name"] as? String == "web")
        #expect(canary["namespace"] as? String == "default")
        #expect(canary["strategy"] as? String == "canary")
        #expect(canary["interval"] as? String == "10s")
        #expect(canary["threshold"] as? Int == 3)
        let steps = try #require(canary["steps"] as? [[String: Any]])
        let actions = steps.map { step -> String in
            let action = step["action"] as? String ?? "?"
            if let weight = step["weight"] as? Int { return "\(action):\(weight)" }
            if let ticks = step["ticks"] as? Int { return "\(action):\(ticks)" }
            return action
        }
        #expect(actions == ["setWeight:20", "analyze:1", "setWeight:40", "analyze:1", "setWeight:60", "analyze:1", "promote"])
    }

    @Test func planTextIsForPeople() throws {
        let run = try CommandRun.run(serin, ["plan", quickstart])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("Canary default/web: canary, checks every 10s, rolls back after 3 failed checks\n  1. set canary weight to 20%\n"))
        #expect(run.stdout.contains("time to promotion: 30s if every check passes, 50s at worst (2 failed checks retried)"))
    }

    @Test func planRefusesInvalidManifests() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("bad.yaml", "apiVersion: serin.dev/v1alpha1\nkind: Canary\nmetadata: { name: web }\nspec: { targetRef: { kind: Workload, name: nope } }\n")
        let run = try CommandRun.run(serin, ["plan", "-o", "json", directory.path])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
    }

    @Test func versionNamesLibgit2() throws {
        let run = try CommandRun.run(serin, ["version"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("serin 0.1.0-dev (libgit2 1."))
    }
}

/// `serin source check` against a real repository.
@Suite struct SourceCheckCLITests {
    let serin = Products.executable("serin")

    @Test func readsARepositoryAndReportsWhatItHolds() throws {
        let git = try GitFixture()
        let root = Products.repositoryRoot + "/examples/quickstart"
        var files: [String: String] = [:]
        for name in ["deploy/workload.yaml", "deploy/canary.yaml", "deploy/metric-template.yaml", "deploy/alert-provider.yaml", "app/app.py"] {
            files[name] = try String(contentsOfFile: "\(root)/\(name)", encoding: .utf8)
        }
        let commit = try git.commit(files, message: "quickstart", author: "Grace Hopper", email: "grace@example.com")
        let run = try CommandRun.run(serin, ["source", "check", "file://\(git.bare)", "--path", "deploy", "-o", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(document["revision"] as? String == "main@sha1:\(commit)")
        #expect(document["commit"] as? String == commit)
        #expect((document["author"] as? [String: Any])?["name"] as? String == "Grace Hopper")
        #expect(document["message"] as? String == "quickstart\n")
        #expect(document["resources"] as? [String: Int] == ["Workload": 1, "Canary": 1, "MetricTemplate": 1, "AlertProvider": 1])

        try git.commit(["deploy/workload.yaml": "apiVersion: serin.dev/v1alpha1\nkind: Workload\nmetadata: { name: web }\nspec: {}\n"])
        let invalid = try CommandRun.run(serin, ["source", "check", git.bare, "--ref", "branch:main", "--path", "deploy"])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("deploy/workload.yaml:4:1: service.port is required"))

        let missing = try CommandRun.run(serin, ["source", "check", git.bare, "--ref", "tag:v9"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("tag v9 does not exist"))
    }
}
