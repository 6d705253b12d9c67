import Foundation
import SerinSpec
import SerinTesting
import Testing
@testable import SerinLocal

@Suite("SerinLocal parts")
struct PartsTests {
    @Test("$(VAR) expands, $$ escapes, unknown references stay", arguments: [
        ("--port=$(PORT)", "--port=8080"),
        ("$(A)$(B)", "xy"),
        ("$$(PORT)", "$(PORT)"),
        ("$$$(PORT)", "$8080"),
        ("$(UNKNOWN)", "$(UNKNOWN)"),
        ("$(PORT", "$(PORT"),
        ("cost: 5$", "cost: 5$"),
        ("$x$(A)", "$xx"),
        ("plain", "plain"),
    ])
    func expansion(input: String, expected: String) {
        #expect(ArgumentExpansion.expand(input, ["PORT": "8080", "A": "x", "B": "y"]) == expected)
    }

    @Test func templateDefaultsFollowKubernetes() throws {
        let launch = try ProcessLaunch(TestApp.template(extra: #""livenessProbe": {"tcpSocket": {"port": "http"}}"#))
        #expect(launch.readiness == ProbeSettings(check: .tcp(port: nil)))
        #expect(launch.liveness == ProbeSettings(check: .tcp(port: nil), initialDelaySeconds: 0, periodSeconds: 10,
                                                 timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3))
        #expect(throws: SupervisorError.self) { try ProcessLaunch(JSONDecoder().decode(ProcessTemplate.self, from: Data(#"{"args": ["x"]}"#.utf8))) }
        #expect(throws: SupervisorError.self) { try ProcessLaunch(TestApp.template(extra: #""readinessProbe": {"httpGet": {"scheme": "HTTPS"}}"#)) }
        #expect(throws: SupervisorError.self) {
            try ProcessLaunch(JSONDecoder().decode(ProcessTemplate.self, from: Data(#"{"command": ["x"], "workingDir": "../other"}"#.utf8)))
        }
    }

    @Test func rotationCopiesTruncatesAndKeepsThree() throws {
        let directory = try TemporaryDirectory(prefix: "serin-rotation")
        defer { directory.remove() }
        let path = directory.path + "/app.log"
        let rotation = LogRotation(limit: 10, kept: 3)
        for round in 1...5 {
            try String(repeating: "\(round)", count: 20).write(toFile: path, atomically: false, encoding: .utf8)
            #expect(try rotation.rotateIfNeeded(path))
        }
        #expect(try rotation.rotateIfNeeded(path) == false)
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)
        #expect(try String(contentsOfFile: path + ".1", encoding: .utf8) == String(repeating: "5", count: 20))
        #expect(try String(contentsOfFile: path + ".3", encoding: .utf8) == String(repeating: "3", count: 20))
        #expect(!FileManager.default.fileExists(atPath: path + ".4"))
    }

    @Test func startTimeIdentifiesThisProcess() throws {
        let mine = try #require(ProcessIdentity.current(pid: getpid()))
        #expect(mine.isRunning())
        #expect(!ProcessIdentity(pid: getpid(), startTime: mine.startTime + 1).isRunning())
    }

    @Test func probesAnswerFalseFastOnAClosedPort() async throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let started = ContinuousClock.now
        #expect(await HealthCheck.run(.tcp(port: port), defaultPort: port, timeout: .seconds(30)) == false)
        #expect(await HealthCheck.run(.http(path: "/", port: nil, headers: []), defaultPort: port, timeout: .seconds(30)) == false)
        // Refused at once, not after the timeout: 30 s each, so the bound says
        // that whatever a busy machine adds to the scheduling.
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func workloadPortsStayOutOfTheEphemeralRange() throws {
        #expect(LoopbackPort.usableRange(ephemeral: 32768...60999) == 20000...32000)
        #expect(LoopbackPort.usableRange(ephemeral: nil) == 20000...32000)
        #expect(LoopbackPort.usableRange(ephemeral: 25000...60999) == 20000...24999)
        #expect(LoopbackPort.usableRange(ephemeral: 10000...21000) == 21001...32000)
        #expect(LoopbackPort.usableRange(ephemeral: 1024...65535) == nil)
        let ephemeral = LoopbackPort.ephemeralRange()
        for _ in 0..<20 {
            let port = try LoopbackPort.pick()
            #expect(ephemeral.map { !$0.contains(port) } ?? true, "port \(port) in the ephemeral range")
        }
    }
}
