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
        #expect(await HealthCheck.run(.tcp(port: port), defaultPort: port, timeout: .seconds(120)) == false)
        #expect(await HealthCheck.run(.http(path: "/", port: nil, headers: []), defaultPort: port, timeout: .seconds(120)) == false)
        // Refused at once, not after the timeout: 120 s each, so the bound says
        // that whatever a busy machine adds to the scheduling (40 s seen
        // under a full parallel run on two cores).
        #expect(ContinuousClock.now - started < .seconds(90))
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

@Suite("Code page trimming")
struct CodePagesTests {
    @Test func onlyUnmodifiedReadOnlyFileMappingsAreEligible() {
        let smaps = """
        55d0a0000000-55d0a0200000 r--p 00000000 fe:01 1234 /usr/bin/serin
        Rss:                 800 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me sd
        55d0a0200000-55d0a1a00000 r-xp 00200000 fe:01 1234 /usr/bin/serin
        Rss:               19000 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        55d0a1a00000-55d0a1b00000 r--p 01a00000 fe:01 1234 /usr/bin/serin
        Rss:                 900 kB
        Anonymous:           900 kB
        VmFlags: rd mr mw me ac sd
        55d0a1b00000-55d0a1c00000 rw-p 01b00000 fe:01 1234 /usr/bin/serin
        Rss:                  64 kB
        Anonymous:            64 kB
        7f0000000000-7f0000100000 r-xp 00000000 fe:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                1200 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me lo sd
        7f0000100000-7f0000200000 r-xp 00000000 fe:01 98 /usr/lib/x86_64-linux-gnu/libm.so.6
        Rss:                   0 kB
        Anonymous:             0 kB
        7f0000200000-7f0000300000 r--p 00000000 00:00 0
        Rss:                   8 kB
        Anonymous:             0 kB
        7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        7f0000300000-7f0000400000 r-xp 00000000 fe:01 97 /opt/lib/with space.so
        Rss:                  40 kB
        Anonymous:             0 kB
        """
        #expect(CodePages.eligibleMappings(smaps: smaps) == [
            .init(start: 0x55d0_a000_0000, end: 0x55d0_a020_0000, residentBytes: 800 * 1024),
            .init(start: 0x55d0_a020_0000, end: 0x55d0_a1a0_0000, residentBytes: 19000 * 1024),
            .init(start: 0x7f00_0030_0000, end: 0x7f00_0040_0000, residentBytes: 40 * 1024),
        ])
    }

    @Test func trimmingGivesPagesBackAndTheCodeStillRuns() throws {
        func fileBackedKilobytes() -> Int {
            CodePages.eligibleMappings().reduce(0) { $0 + $1.residentBytes } / 1024
        }
        func work() throws -> String {
            let plan: [String: [String]] = ["steps": ["10", "20", "30"], "name": ["web"]]
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(plan), as: UTF8.self) + String(describing: Date(timeIntervalSince1970: 0))
        }
        let before = try work()
        let resident = fileBackedKilobytes()
        let trimmed = CodePages.trim()
        #expect(trimmed.mappings > 0)
        #expect(trimmed.bytes > 1 << 20, "only \(trimmed.bytes) bytes given back")
        // The code and constants come back from the page cache, unchanged.
        #expect(try work() == before)
        #expect(fileBackedKilobytes() < resident, "\(fileBackedKilobytes()) kB resident after, \(resident) kB before")
    }
}
