import Foundation
import Synchronization
import SerinSpec
import SerinTesting
import Testing
@testable import SerinLocal

@Suite("LocalSupervisor with real processes")
struct SupervisorTests {
    @Test func readinessGatesTheBackends() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")

        let started = ContinuousClock.now
        try await supervisor.apply(workload: "web", role: .primary, revision: "r1",
                                   template: TestApp.template(env: ["NOT_READY_FOR_MS": "800"], extra: TestApp.readyProbe),
                                   replicas: 1, snapshot: snapshot)
        let instance = try #require(await supervisor.status().first)
        // The port accepts connections long before /ready answers 200.
        try Loopback.waitForPort(instance.port)
        #expect(await supervisor.readyBackends(workload: "web", role: .primary).isEmpty)
        #expect(await !supervisor.isReady(workload: "web", role: .primary, revision: "r1"))

        try await eventually("ready") { await supervisor.isReady(workload: "web", role: .primary, revision: "r1") }
        #expect(ContinuousClock.now - started >= .milliseconds(800))
        // Not waiting out anything: 42 s seen under a full parallel run on two cores.
        #expect(ContinuousClock.now - started < .seconds(90))
        // The process is restarted on another port when one of the parallel
        // tests took its port in between: compare with the process now.
        let current = try #require(await supervisor.status().first)
        #expect(current.port == instance.port || current.restarts > 0)
        let backends = await supervisor.readyBackends(workload: "web", role: .primary)
        #expect(backends == ["127.0.0.1:\(current.port)"])
        #expect(await httpGet(backends[0])?.body == "primary r1")
        try await eventually("the router told") { await harness.changes.workloads.contains("web") }
        await supervisor.stopAll()
        #expect(await supervisor.status().isEmpty)
    }

    @Test func environmentArgumentsAndLogs() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        let template = try JSONDecoder().decode(ProcessTemplate.self, from: Data(#"""
        {"command": ["python3", "-u", "app.py"], "workingDir": "app",
         "args": ["--greet=$(GREETING)", "$$(PORT)", "$(NOPE)", "--port=$(PORT)"],
         "env": [{"name": "GREETING", "value": "hello"}, {"name": "URL", "value": "http://127.0.0.1:$(PORT)/"}]}
        """#.utf8))
        try await supervisor.apply(workload: "env", role: .canary, revision: "r7", template: template, replicas: 1, snapshot: snapshot)
        try await eventually("ready") { await supervisor.isReady(workload: "env", role: .canary, revision: "r7") }
        let instance = try #require(await supervisor.status().first)
        let log = try String(contentsOfFile: instance.logPath, encoding: .utf8)
        #expect(instance.logPath.hasSuffix("/local/logs/env-canary-\(instance.replica).log"))
        #expect(log.contains(#"started argv=["--greet=hello", "$(PORT)", "$(NOPE)", "--port=\#(instance.port)"] cwd=app"#))
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "-"
        #expect(log.contains("env SERIN_WORKLOAD=env SERIN_ROLE=canary SERIN_REPLICA=\(instance.replica) SERIN_REVISION=r7 GREETING=hello URL=http://127.0.0.1:\(instance.port)/ HOME=\(home)"))
        #expect(log.contains("stderr line from canary"))
        await supervisor.stopAll()
    }

    @Test func logsRotateWhileTheProcessKeepsWriting() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor {
            $0.logSizeLimit = 4096
            $0.logCheckInterval = .milliseconds(50)
        }
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        try await supervisor.apply(workload: "logs", role: .primary, revision: "r1", template: TestApp.template(), replicas: 1, snapshot: snapshot)
        try await eventually("ready") { await supervisor.isReady(workload: "logs", role: .primary, revision: "r1") }
        let instance = try #require(await supervisor.status().first)
        for round in 1...4 {
            #expect(await httpGet(instance.backend, "/spam=6000")?.status == 200)
            try await eventually("rotation \(round)") { FileManager.default.fileExists(atPath: instance.logPath + ".\(min(round, 3))") }
            try await eventually("truncation \(round)") {
                ((try? FileManager.default.attributesOfItem(atPath: instance.logPath)[.size] as? Int) ?? 0) < 4096
            }
        }
        #expect(!FileManager.default.fileExists(atPath: instance.logPath + ".4"))
        // After truncation the process writes at the start of the file, not
        // at its old offset (which would leave a hole of zero bytes).
        #expect(await httpGet(instance.backend, "/spam=100")?.status == 200)
        let data = try Data(contentsOf: URL(fileURLWithPath: instance.logPath))
        #expect(data.count >= 100 && data.count < 4096)
        #expect(!data.contains(0))
        await supervisor.stopAll()
    }

    @Test func processesAreIsolatedAndStopOnSIGTERM() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        // A long grace: only a delivered SIGTERM stops this one quickly.
        try await supervisor.apply(workload: "polite", role: .primary, revision: "r1", template: TestApp.template(grace: 20), replicas: 1, snapshot: snapshot)
        try await eventually("ready") { await supervisor.isReady(workload: "polite", role: .primary, revision: "r1") }
        let instance = try #require(await supervisor.status().first)
        let pid = instance.pid

        // Its own session, no blocked signals, and only stdio plus its own sockets open.
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("SigBlk:\t0000000000000000"))
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        #expect(fields[3] == "\(pid)")  // session id (field 6)
        var descriptors: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") {
            descriptors[name] = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(name)")
        }
        #expect(descriptors["0"] == "/dev/null")
        #expect(descriptors["1"] == instance.logPath && descriptors["2"] == instance.logPath)
        #expect(descriptors.filter { Int($0.key)! > 2 }.values.allSatisfy { $0.hasPrefix("socket:") }, "\(descriptors)")

        let started = ContinuousClock.now
        await supervisor.stop(workload: "polite", role: .primary)
        // Well under the 20 s grace: SIGTERM arrived (a slow machine may take seconds).
        #expect(ContinuousClock.now - started < .seconds(18))
        #expect(kill(pid, 0) != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory + "/local/processes").isEmpty)
    }

    @Test func stopDrainsFirstAndKillsAfterTheGrace() async throws {
        let harness = try Harness()
        let seenAtNotification = Mutex<[(alive: Bool, backends: [String])]>([])
        let box = SupervisorBox()
        let supervisor = try harness.supervisor { options in
            options.drainDelay = .milliseconds(200)
            options.onBackendsChanged = { workload in
                guard let supervisor = await box.supervisor, let pid = await supervisor.status().first?.pid else { return }
                let backends = await supervisor.readyBackends(workload: workload, role: .primary)
                seenAtNotification.withLock { $0.append((kill(pid, 0) == 0, backends)) }
            }
        }
        await box.set(supervisor)
        defer { harness.cleanUp() }
        let monitor = Task { await supervisor.run() }
        defer { monitor.cancel() }
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        try await supervisor.apply(workload: "stubborn", role: .primary, revision: "r1",
                                   template: TestApp.template(env: ["IGNORE_SIGTERM": "1"], grace: 1), replicas: 1, snapshot: snapshot)
        try await eventually("ready") { await supervisor.isReady(workload: "stubborn", role: .primary, revision: "r1") }
        let pid = try #require(await supervisor.status().first?.pid)
        seenAtNotification.withLock { $0.removeAll() }

        let started = ContinuousClock.now
        await supervisor.stop(workload: "stubborn", role: .primary)
        let took = ContinuousClock.now - started
        // At least the drain delay and the grace period; the upper bound only
        // catches a stop that never ends (kill(pid, 0) below catches a missed
        // SIGKILL): 15 s was passed once at load 8, the test process's
        // cooperative threads shared with a parallel run.
        #expect(took >= .milliseconds(1200) && took < .seconds(60), "\(took); \(harness.messages.all)")
        #expect(kill(pid, 0) != 0)
        // The router heard of the removal while the process still ran.
        let seen = seenAtNotification.withLock { $0 }
        #expect(seen.first?.alive == true)
        #expect(seen.first?.backends == [])
    }

    @Test func unknownCommandIsAnError() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let supervisor = try harness.supervisor()
        let snapshot = try TestApp.snapshot(in: harness.directory, revision: "r1")
        let template = try JSONDecoder().decode(ProcessTemplate.self, from: Data(#"{"command": ["serin-no-such-program"]}"#.utf8))
        await #expect(throws: SupervisorError.self) {
            try await supervisor.apply(workload: "broken", role: .primary, revision: "r1", template: template, replicas: 1, snapshot: snapshot)
        }
        #expect(await supervisor.status().isEmpty)
    }
}

/// Lets a callback given in the options reach the supervisor built with them.
actor SupervisorBox {
    var supervisor: LocalSupervisor?
    func set(_ supervisor: LocalSupervisor) { self.supervisor = supervisor }
}
