import Foundation
import SerinTesting
import Testing

/// One operator per state directory: a second `serin run` is refused and
/// changes nothing; `serin down` does not pull the data plane from under a
/// running operator unless told to stop it first, and says what it stopped.
extension EndToEndTests {
    /// Every file of the state directory but the logs, which the running processes write.
    func stateFiles(_ sandbox: QuickstartSandbox) -> [String: Data] {
        let root = URL(fileURLWithPath: sandbox.stateDirectory)
        var files: [String: Data] = [:]
        let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walk?.nextObject() as? URL {
            let path = String(url.path.dropFirst(root.path.count))
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  !path.hasPrefix("/local/logs/"), !path.hasPrefix("/prometheus/data/"), !path.hasPrefix("/sources/") else { continue }
            files[path] = FileManager.default.contents(atPath: url.path)
        }
        return files
    }

    @Test(.timeLimit(.minutes(10)))
    func aSecondOperatorOnOneStateDirectoryIsRefusedAndDownStopsTheFirstOnlyWhenForced() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1m", sourceInterval: "1h", pollInterval: "1h")
        defer { sandbox.tearDown() }
        try sandbox.startOperator()
        _ = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let pid = try #require(sandbox.operatorPID)
        let workloads = sandbox.workloadPIDs()
        #expect(workloads.count == 2)
        // The first operator done writing: the Initialized decision's
        // notifications out (the rollout's outbox emptied and saved), and
        // nothing changing from one look to the next.
        var last = stateFiles(sandbox)
        try await eventually("the first operator settles", every: .milliseconds(500)) {
            let rollout = FileManager.default.contents(atPath: sandbox.stateDirectory + "/rollouts/default.web.json")
            let stored = rollout.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            let now = stateFiles(sandbox)
            defer { last = now }
            return stored != nil && stored?["outbox"] == nil && now == last
        }
        let before = stateFiles(sandbox)

        let second = try CommandRun.run(serin, ["run", "--config", sandbox.configPath], timeout: .seconds(30))
        #expect(second.status == 2)
        #expect(second.stderr == "serin run: \(sandbox.stateDirectory) is in use by the operator pid \(pid); stop it first, or give this one another stateDir\n")
        #expect(second.stdout.isEmpty)
        #expect(stateFiles(sandbox) == before, "the refused operator changed the state directory")
        #expect(sandbox.workloadPIDs() == workloads)

        let refused = try CommandRun.run(serin, ["down", "--config", sandbox.configPath])
        #expect(refused.status == 2)
        #expect(refused.stderr == "serin down: \(sandbox.stateDirectory) is in use by the operator pid \(pid); stop it first, or run `serin down --force`\n")
        #expect(sandbox.operatorIsRunning)
        #expect(sandbox.workloadPIDs() == workloads)
        #expect(try Loopback.request(port: sandbox.servicePort, path: "/").status == 200)

        let forced = try CommandRun.run(serin, ["down", "--force", "--config", sandbox.configPath])
        #expect(forced.status == 0, "\(forced.stderr)")
        let lines = forced.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "stopped the operator (pid \(pid))")
        for (name, workload) in workloads {
            #expect(lines.contains("stopped \(name) (pid \(workload))"), "\(lines)")
        }
        #expect(lines.contains { $0.hasPrefix("stopped the router (pid ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("stopped prometheus (pid ") }, "\(lines)")
        #expect(lines.count == 3 + workloads.count, "\(lines)")
        #expect(!sandbox.operatorIsRunning)
        #expect(!Loopback.isListening(sandbox.servicePort))

        let again = try CommandRun.run(serin, ["down", "--config", sandbox.configPath])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == "nothing was running in \(sandbox.stateDirectory)\n")
        await sandbox.shutDown()
    }
}
