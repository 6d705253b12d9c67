import Foundation
import Testing

/// Holds a lock file in the test cluster's run directory while the cluster
/// tests run, so two test runs on one machine (two worktrees, `make test`
/// beside `make test-stress`) take turns: both restart the one apiserver
/// and install into `serin-system`, and when they overlapped one restarted
/// the apiserver the other had just started, and each failed the other's
/// tests. The lock is the kernel's (`flock`): a run that dies lets go.
struct OneClusterRunAtATime: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let path = ClusterTests.TestApiserver.run + "/cluster-tests.lock"
        try FileManager.default.createDirectory(atPath: ClusterTests.TestApiserver.run, withIntermediateDirectories: true)
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw KubeTestCluster.TestFailure(description: "cannot open \(path): errno \(errno)")
        }
        defer { close(descriptor) }
        var told = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if !told {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                print("the cluster tests wait for another test run on this machine to finish them (\(path): pid \(holder))")
                told = true
            }
            try await Task.sleep(for: .seconds(1))
        }
        defer { flock(descriptor, LOCK_UN) }
        _ = ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        try await function()
    }
}

extension Trait where Self == OneClusterRunAtATime {
    static var oneClusterRunAtATime: Self { Self() }
}
