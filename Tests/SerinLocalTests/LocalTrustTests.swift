import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
import Testing
@testable import SerinLocal

/// The local platform's trust model: a committer chooses what a workload
/// runs, not who it runs as or what of the operator's it can reach. A
/// workload runs as its `runAs` user (never as root unless the operator's
/// configuration allows it), its working directory and the files its
/// revision is hashed from stay inside its checkout, and the operator's
/// state is readable by the operator only.
@Suite struct LocalTrustTests {
    static let isRoot = geteuid() == 0

    /// A checkout in a fresh folder, with `app/` and whatever `extra` adds.
    static func checkout(_ directory: TemporaryDirectory, _ extra: (String) throws -> Void = { _ in }) throws -> String {
        let root = directory.path + "/checkout"
        try FileManager.default.createDirectory(atPath: root + "/app", withIntermediateDirectories: true)
        try "print('hi')\n".write(toFile: root + "/app/app.py", atomically: true, encoding: .utf8)
        try extra(root)
        return root
    }

    static func request(_ template: ProcessTemplate, snapshot: String, log: String, allowRoot: Bool = false) throws -> ProcessSpawner.Request {
        ProcessSpawner.Request(launch: try ProcessLaunch(template), workload: "web", revision: "r1", role: .primary, replica: 0, port: 18_999,
                               snapshot: snapshot, logPath: log, inherited: ["PATH"], allowRoot: allowRoot)
    }

    /// Waits for `pid` to exit (it is the test's child) and returns its log.
    static func finished(_ pid: Int32, log: String) throws -> String {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return try String(contentsOfFile: log, encoding: .utf8)
    }

    @Test(.enabled(if: isRoot, "dropping to another user needs the operator to be root"))
    func aWorkloadRunsAsItsUserAndCannotReadTheOperatorsFiles() throws {
        let directory = try TemporaryDirectory(prefix: "serin-trust")
        defer { directory.remove() }
        chmod(directory.path, 0o755)
        let snapshot = try Self.checkout(directory)
        // The operator's own: a state folder and a token, as `serin run` writes them.
        let state = directory.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        chmod(state, 0o700)
        let token = directory.path + "/token"
        try "s3cret".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        let template = ProcessTemplate(command: ["/bin/sh", "-c", "id -u; id -g; cat \(token) || echo no-token; ls \(state) || echo no-state; pwd"],
                                       workingDir: "app", runAs: RunAs(user: "nobody", group: "nogroup"))
        let log = state + "/web.log"
        let identity = try ProcessSpawner.spawn(Self.request(template, snapshot: snapshot, log: log))
        let output = try Self.finished(identity.pid, log: log)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "65534", "\(output)")
        #expect(lines.dropFirst().first == "65534", "\(output)")
        #expect(!output.contains("s3cret"), "\(output)")
        #expect(output.contains("no-token") && output.contains("no-state"), "\(output)")
        #expect(lines.last == snapshot + "/app", "\(output)")
    }

    @Test(.enabled(if: isRoot, "the refusal applies when the operator is root"))
    func rootWorkloadsAreRefusedUnlessAllowed() throws {
        let directory = try TemporaryDirectory(prefix: "serin-trust")
        defer { directory.remove() }
        let snapshot = try Self.checkout(directory)
        let template = ProcessTemplate(command: ["/bin/true"], workingDir: "app")
        let refused = #expect(throws: (any Error).self) {
            try ProcessSpawner.spawn(Self.request(template, snapshot: snapshot, log: directory.path + "/web.log"))
        }
        let text = refused.map { "\($0)" } ?? ""
        #expect(text.contains("root") && text.contains("runAs") && text.contains("local.allowRootWorkloads"), "\(text)")
        // runAs root is root too.
        let asRoot = ProcessTemplate(command: ["/bin/true"], workingDir: "app", runAs: RunAs(user: "root"))
        #expect(throws: SupervisorError.self) {
            try ProcessSpawner.spawn(Self.request(asRoot, snapshot: snapshot, log: directory.path + "/web.log"))
        }
        // Allowed: it runs.
        let identity = try ProcessSpawner.spawn(Self.request(template, snapshot: snapshot, log: directory.path + "/web.log", allowRoot: true))
        _ = try Self.finished(identity.pid, log: directory.path + "/web.log")
        // An unknown user is said so.
        let unknown = ProcessTemplate(command: ["/bin/true"], runAs: RunAs(user: "no-such-user-here"))
        let unknownError = #expect(throws: (any Error).self) {
            try ProcessSpawner.spawn(Self.request(unknown, snapshot: snapshot, log: directory.path + "/web.log"))
        }
        #expect(unknownError.map { "\($0)" }?.contains("no-such-user-here") == true, "\(String(describing: unknownError))")
    }

    /// `workingDir` is resolved inside the checkout, links included: a
    /// link that leads out is refused, never entered.
    @Test func aWorkingDirectoryThatLeavesTheCheckoutIsRefused() throws {
        let directory = try TemporaryDirectory(prefix: "serin-trust")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path + "/outside", withIntermediateDirectories: true)
        let snapshot = try Self.checkout(directory) { root in
            try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
            symlink("../..", root + "/a/b/up")
            symlink("a/b/up/../outside", root + "/out")
            symlink("/tmp", root + "/abs")
        }
        for workingDir in ["out", "abs", "a/b/up/..", "app/../../outside"] {
            let template = ProcessTemplate(command: ["/bin/true"], workingDir: workingDir)
            #expect(throws: (any Error).self, "\(workingDir)") {
                let identity = try ProcessSpawner.spawn(Self.request(template, snapshot: snapshot, log: directory.path + "/web.log", allowRoot: true))
                _ = try Self.finished(identity.pid, log: directory.path + "/web.log")
            }
        }
        // Inside, through a link: fine, and the process runs in the real folder.
        symlink("app", snapshot + "/current")
        let template = ProcessTemplate(command: ["/bin/pwd"], workingDir: "current")
        let identity = try ProcessSpawner.spawn(Self.request(template, snapshot: snapshot, log: directory.path + "/web.log", allowRoot: true))
        let output = try Self.finished(identity.pid, log: directory.path + "/web.log")
        #expect(output.hasSuffix(snapshot + "/app\n"), "\(output)")
    }

    /// A revision is hashed from what is in its checkout: a link to a file
    /// outside it (or to /dev/zero, a FIFO) is hashed as the link it is, never read.
    @Test(.timeLimit(.minutes(1)))
    func revisionIDsHashOnlyWhatIsInsideTheCheckout() throws {
        let directory = try TemporaryDirectory(prefix: "serin-trust")
        defer { directory.remove() }
        let outside = directory.path + "/outside.txt"
        try "one".write(toFile: outside, atomically: true, encoding: .utf8)
        let snapshot = try Self.checkout(directory) { root in
            symlink(outside, root + "/app/config.txt")
        }
        let template = ProcessTemplate(command: ["python3", "app.py"], workingDir: "app")
        let workload = WorkloadID(name: "web")
        let origin = RevisionOrigin(source: "app", commit: "c", author: nil)
        let first = LocalRevision(workload: workload, template: template, replicas: 1, port: 18_080, snapshot: snapshot, origin: origin).id
        try "two".write(toFile: outside, atomically: true, encoding: .utf8)
        let second = LocalRevision(workload: workload, template: template, replicas: 1, port: 18_080, snapshot: snapshot, origin: origin).id
        #expect(first == second, "a file outside the checkout changed the revision")
        // Devices and FIFOs are never opened.
        symlink("/dev/zero", snapshot + "/app/zero")
        mkfifo(snapshot + "/app/fifo", 0o600)
        let third = LocalRevision(workload: workload, template: template, replicas: 1, port: 18_080, snapshot: snapshot, origin: origin).id
        #expect(third != first)
    }

    /// The rollouts' state, the event log and the processes' logs are the
    /// operator's alone.
    @Test func stateAndLogsAreWrittenOwnerOnly() async throws {
        let directory = try TemporaryDirectory(prefix: "serin-trust")
        defer { directory.remove() }
        let store = try StateStore(stateDirectory: directory.path + "/state")
        try store.save(["phase": "Progressing"], as: "default.web")
        let log = try EventLog(stateDirectory: directory.path + "/state")
        try await log.append(.init(time: 1, rollout: "web", revision: nil, author: nil, decision: "detected", reason: "test"))
        let snapshot = try Self.checkout(directory)
        let processLog = directory.path + "/state/logs/web.log"
        try FileManager.default.createDirectory(atPath: directory.path + "/state/logs", withIntermediateDirectories: true)
        let identity = try ProcessSpawner.spawn(Self.request(ProcessTemplate(command: ["/bin/true"], workingDir: "app"), snapshot: snapshot,
                                                             log: processLog, allowRoot: true))
        _ = try Self.finished(identity.pid, log: processLog)
        for (path, mode) in [(store.path(for: "default.web"), 0o600), (store.directory, 0o700), (processLog, 0o600)] {
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(Int(info.st_mode & 0o777) == mode, "\(path): \(String(info.st_mode & 0o777, radix: 8))")
        }
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: directory.path + "/state")) ?? []
        for name in logs where name.hasPrefix("events") {
            var info = stat()
            #expect(stat(directory.path + "/state/" + name, &info) == 0)
            #expect(Int(info.st_mode & 0o077) == 0, "\(name): \(String(info.st_mode & 0o777, radix: 8))")
        }
    }
}
