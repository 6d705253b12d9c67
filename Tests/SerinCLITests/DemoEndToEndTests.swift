import Foundation
import SerinTesting
import Testing

/// The operator end to end, as users run it. One test at a time: each
/// starts a Prometheus, the operator, the router and the app's processes,
/// and two of them at once would make a 2-core machine the subject.
@Suite(.serialized) struct EndToEndTests {}

/// What `make demo` does, asserted: a temporary Git repository, a real
/// Prometheus, the operator, steady traffic, a good release promoted and a
/// release answering 20% errors rolled back by itself.
extension EndToEndTests {
    struct Summary: Decodable {
        var goodRelease: String
        var badRelease: String
        var badPeakWeight: Int
        var traffic: [String: Int]
        var decisions: [String]
        var eventLogComplete: Bool
    }

    @Test(.timeLimit(.minutes(10)))
    func aGoodReleaseIsPromotedAndABadOneRolledBack() async throws {
        let directory = try TemporaryDirectory()
        let summaryPath = directory.path + "/summary.json"
        let serin = Products.executable("serin")
        let example = Products.repositoryRoot + "/examples/quickstart"
        // The demo takes most of a minute: wait for it on a thread of its
        // own, neither on one of the two cooperative threads nor on Dispatch's
        // global pool, where the supervisor tests' probes run meanwhile.
        let run = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try CommandRun.run(serin, ["demo", "--example", example, "--interval", "3s", "--summary-json", summaryPath,
                                               // A loaded CI machine answers slowly; the 20% errors are what must fail.
                                               "--request-duration-max", "2000"],
                                       timeout: .seconds(240))
                })
            }.start()
        }
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        // The plan shown is the one that runs (`make demo` once printed the quickstart's 10 s beside 5 s checks).
        #expect(run.stdout.contains("checks every 3s"), "\(run.stdout)")
        #expect(!run.stdout.contains("checks every 10s"))
        let summary = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: URL(fileURLWithPath: summaryPath)))
        #expect(summary.goodRelease == "Succeeded")
        #expect(summary.badRelease == "Failed")
        #expect(summary.badPeakWeight < 50, "the bad release reached \(summary.badPeakWeight)%:\n\(run.stdout)")
        // No request failed for want of a backend while releases came and went.
        #expect(summary.traffic["connection error"] == nil)
        #expect(summary.traffic.keys.allSatisfy { $0.hasPrefix("200 revision ") || $0 == "500 injected" }, "\(summary.traffic)")
        // Three revisions answered: the first, the promoted good one, the bad one (briefly).
        let revisions = summary.traffic.keys.filter { $0.hasPrefix("200 revision ") }
        #expect(revisions.count == 3, "\(summary.traffic)")
        let errors = summary.traffic["500 injected"] ?? 0
        let total = summary.traffic.values.reduce(0, +)
        #expect(errors > 0 && Double(errors) < Double(total) * 0.1, "the bad canary never had much traffic: \(summary.traffic)")
        // The audit trail, in order and without gaps.
        #expect(summary.eventLogComplete)
        let expected = ["detected", "Initialized", "detected", "Progressing", "Promoting", "Finalising", "Succeeded",
                        "detected", "Progressing", "Failed"]
        var remaining = expected[...]
        for decision in summary.decisions where decision == remaining.first { remaining.removeFirst() }
        #expect(remaining.isEmpty, "decisions: \(summary.decisions)")
    }
}
