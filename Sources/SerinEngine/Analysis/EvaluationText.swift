import SerinSpec

/// The verdict and the words of a metric judged on its value, made from
/// numbers only: the evaluator writes them, and `EvaluationHistory` makes
/// them again from the numbers it keeps instead of keeping a string per
/// evaluation.
public enum EvaluationText {
    /// A value against its range: "99.5 >= 99", "620 > 500 (max)".
    public static func judged(_ value: Double, min: Double?, max: Double?) -> (verdict: MetricEvaluation.Verdict, message: String) {
        let shown = format(value)
        if let min, value < min { return (.fail, "\(shown) < \(format(min)) (min)") }
        if let max, value > max { return (.fail, "\(shown) > \(format(max)) (max)") }
        var bounds: [String] = []
        if let min { bounds.append(">= \(format(min))") }
        if let max { bounds.append("<= \(format(max))") }
        return (.pass, bounds.isEmpty ? shown : "\(shown) \(bounds.joined(separator: " and "))")
    }

    /// A success rate judged on counts: `rate` percent of `requests`, with
    /// its 95% interval [`lower`, `upper`]. It passes when the interval's
    /// lower bound meets `min`, fails when its upper bound misses it (or
    /// when every answer was an error: a rate of 0), and is undecided in between.
    public static func successRate(_ rate: Double, requests: Double, lower: Double, upper: Double, min: Double?,
                                   max: Double?) -> (verdict: MetricEvaluation.Verdict, message: String) {
        let counts = "\(format(rate))% of \(Int(requests.rounded())) requests, 95% interval [\(format(lower)), \(format(upper))]"
        if rate <= 0 { return (.fail, "every answer was an error: \(counts)") }
        if let min, upper < min { return (.fail, "\(counts) < \(format(min)) (min)") }
        if let max, lower > max { return (.fail, "\(counts) > \(format(max)) (max)") }
        if (min.map { lower >= $0 } ?? true) && (max.map { upper <= $0 } ?? true) { return (.pass, counts) }
        let needed = min.map { Wilson.requestsNeeded(toShow: $0 / 100) }
        return (.undecided, "undecided: \(counts) spans the threshold" + (needed.map { " (a clean pass needs \($0) requests)" } ?? ""))
    }

    /// Whole numbers without a decimal point, others to three decimals.
    public static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String((value * 1000).rounded() / 1000)
    }

    /// The message `judged` or `successRate` gives for these numbers, if
    /// the evaluation was judged that way.
    static func remade(_ evaluation: MetricEvaluation) -> String? {
        guard let value = evaluation.value, evaluation.verdict != .error, evaluation.verdict != .noData else { return nil }
        let made: (verdict: MetricEvaluation.Verdict, message: String)
        if let requests = evaluation.requests, let lower = evaluation.lower, let upper = evaluation.upper {
            made = successRate(value, requests: requests, lower: lower, upper: upper, min: evaluation.min, max: evaluation.max)
        } else {
            made = judged(value, min: evaluation.min, max: evaluation.max)
        }
        return made.verdict == evaluation.verdict ? made.message : nil
    }
}
