import SerinSpec

/// Turns one tick's metric evaluations into the machine's `CheckOutcome`,
/// without the failure modes Flagger users meet: no data is not a failure
/// (unless a metric says so), and a query error is never a pass, yet counts
/// as a failed check only after `errorLimit` in a row, so a short
/// Prometheus outage holds the release instead of failing or promoting it.
public struct AnalysisRound: Sendable, Equatable, Codable {
    /// Consecutive query errors per metric; persisted with the rollout.
    public var consecutiveErrors: [String: Int] = [:]
    public var errorLimit: Int

    public init(errorLimit: Int = 3) {
        self.errorLimit = errorLimit
    }

    public mutating func outcome(of evaluations: [MetricEvaluation], policies: [String: NoDataPolicy]) -> CheckOutcome {
        var failures: [String] = []
        var waiting: [String] = []
        for evaluation in evaluations {
            if evaluation.verdict == .error {
                let count = (consecutiveErrors[evaluation.metric] ?? 0) + 1
                consecutiveErrors[evaluation.metric] = count
                if count >= errorLimit {
                    failures.append("\(evaluation.metric): \(count) query errors in a row: \(evaluation.message)")
                } else {
                    waiting.append("\(evaluation.metric): query error \(count)/\(errorLimit): \(evaluation.message)")
                }
                continue
            }
            consecutiveErrors[evaluation.metric] = nil
            switch evaluation.verdict {
            case .fail:
                failures.append("\(evaluation.metric): \(evaluation.message)")
            case .noData:
                let why = evaluation.message.isEmpty || evaluation.message == "no data" ? "no data" : "no data (\(evaluation.message))"
                switch policies[evaluation.metric] ?? .hold {
                case .hold: waiting.append("\(evaluation.metric): \(why)")
                case .fail: failures.append("\(evaluation.metric): \(why)")
                case .pass: break
                }
            case .undecided:
                // Not "no data": onNoData does not apply; the release holds.
                waiting.append("\(evaluation.metric): \(evaluation.message)")
            default:
                break
            }
        }
        if !failures.isEmpty { return .failed(reason: failures.joined(separator: "; ")) }
        if !waiting.isEmpty { return .noData(reason: waiting.joined(separator: "; ")) }
        return .passed
    }
}
