import Foundation
import SerinSpec
import Testing
@testable import SerinEngine

/// The compact history keeps exactly what the evaluations said, in a ring
/// of fixed-size records; saved state files old and new load.
@Suite struct EvaluationHistoryTests {
    func evaluation(_ index: Int) -> MetricEvaluation {
        switch index % 4 {
        case 0:
            // A success rate judged on counts: its message is made from the numbers.
            let requests = Double(1000 + index), rate = 99.5 + Double(index % 5) / 10
            let (verdict, message) = EvaluationText.successRate(rate, requests: requests, lower: rate - 0.4, upper: min(100, rate + 0.3),
                                                                min: 99, max: nil)
            return MetricEvaluation(metric: "request-success-rate", query: "sum(total)\nsum(errors)", value: rate, min: 99, max: nil,
                                    verdict: verdict, message: message, time: Double(index), requests: requests, lower: rate - 0.4,
                                    upper: min(100, rate + 0.3))
        case 1:
            let value = 120.125 + Double(index)
            let (verdict, message) = EvaluationText.judged(value, min: nil, max: 500)
            return MetricEvaluation(metric: "request-duration", query: "histogram_quantile(0.99, x)", value: value, min: nil, max: 500,
                                    verdict: verdict, message: message, time: Double(index))
        case 2:
            return MetricEvaluation(metric: "error-ratio", query: "sum(rate(errors))", value: nil, min: nil, max: 0.01,
                                    verdict: .error, message: "connection refused (attempt \(index))", time: Double(index))
        default:
            return MetricEvaluation(metric: "error-ratio", query: "sum(rate(errors))", value: nil, min: nil, max: 0.01,
                                    verdict: .noData, message: "no data", time: Double(index))
        }
    }

    @Test func keepsTheNewestEvaluationsExactly() throws {
        var history = EvaluationHistory(capacity: 50)
        let all = (0..<173).map(evaluation)
        for start in stride(from: 0, to: all.count, by: 3) { history.append(Array(all[start..<min(all.count, start + 3)])) }
        #expect(history.count == 50)
        #expect(history.evaluations == Array(all.suffix(50)))
        #expect(history.latestPerMetric.map(\.metric).sorted() == ["error-ratio", "request-duration", "request-success-rate"])
        #expect(MemoryLayout<EvaluationHistory.Record>.stride == 48, "a record is fixed-size and small")
    }

    @Test func manyMetricsInOneCheckFitTheRecords() {
        // More distinct metrics and messages in one append than a record's
        // one-byte index could name: the tables are compacted as it goes.
        let evaluations = (0..<300).map { index in
            MetricEvaluation(metric: "metric-\(index)", query: "q\(index)", value: nil, min: Double(index), max: nil,
                             verdict: .error, message: "failed \(index)", time: Double(index))
        }
        var history = EvaluationHistory(capacity: 50)
        history.append(evaluations)
        #expect(history.evaluations == Array(evaluations.suffix(50)))
        #expect(EvaluationHistory(capacity: 1_000_000).capacity == 200)
    }

    @Test func savesRowsAndReadsThemBack() throws {
        let history = EvaluationHistory((0..<20).map(evaluation))
        let data = try JSONEncoder().encode(history)
        let text = String(decoding: data, as: UTF8.self)
        // A query is written once, not once per evaluation; a message the numbers say is not written.
        #expect(text.components(separatedBy: "histogram_quantile").count == 2)
        #expect(!text.contains("95% interval"))
        #expect(try JSONDecoder().decode(EvaluationHistory.self, from: data) == history)
    }

    @Test func aStateFileWithWholeEvaluationsStillLoads() throws {
        // As Serin wrote it before the history was compact.
        let evaluations = (0..<6).map(evaluation)
        var old = try JSONValue.parse(JSONEncoder().encode(StoredRollout<Revision>(state: RolloutState(), analysis: AnalysisRound(),
                                                                                   history: nil, revisions: [:])))
        guard case .object(var object) = old else { Issue.record("not an object"); return }
        object["evaluations"] = try JSONValue(encoding: evaluations)
        old = .object(object)
        let stored = try JSONDecoder().decode(StoredRollout<Revision>.self, from: old.canonicalData())
        #expect(stored.evaluations == evaluations)
        // Written again, it has the compact form only.
        let again = try JSONValue.parse(JSONEncoder().encode(stored))
        #expect(again["evaluations"] == nil && again["history"] != nil)
    }

    struct Revision: PlatformRevision {
        var id: String
        var workload: WorkloadID
        var origin: RevisionOrigin
    }
}
