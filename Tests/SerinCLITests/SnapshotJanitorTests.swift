import Foundation
import SerinGit
import SerinTesting
import Testing

@testable import SerinOperator

/// Snapshots of commits go once nothing holds them: not in force, named by
/// no saved state, and older than the grace period.
@Suite struct SnapshotJanitorTests {
    @Test func onlySnapshotsNothingHoldsArePruned() throws {
        let directory = try TemporaryDirectory(prefix: "serin-janitor")
        defer { directory.remove() }
        let root = directory.path
        let snapshots = RevisionSnapshots(stateDirectory: root)
        let hex = { (digit: Character) in String(repeating: digit, count: 40) }
        let old = Date(timeIntervalSinceNow: -3600)
        for digit in ["a", "b", "c", "d", "e"] as [Character] {
            let path = root + "/revisions/" + hex(digit)
            try FileManager.default.createDirectory(atPath: path + "/deploy", withIntermediateDirectories: true)
            // The young one keeps today's time.
            if digit != "e" { try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path) }
        }
        try FileManager.default.createDirectory(atPath: root + "/rollouts", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/local/processes", withIntermediateDirectories: true)
        try #"{"revisions":{"web-1":{"snapshot":"\#(root)/revisions/\#(hex("b"))"}}}"#.write(toFile: root + "/rollouts/default.web.json", atomically: true, encoding: .utf8)
        try #"{"snapshot":"\#(root)/revisions/\#(hex("c"))"}"#.write(toFile: root + "/local/processes/web-1.json", atomically: true, encoding: .utf8)

        let janitor = SnapshotJanitor(snapshots: snapshots, stateDirectory: root)
        let removed = try janitor.prune(inForce: [root + "/revisions/" + hex("a")])
        #expect(removed == [hex("d")])
        #expect(Set(snapshots.existing().map(\.hex)) == Set(["a", "b", "c", "e"].map { hex(Character($0)) }))
    }
}
