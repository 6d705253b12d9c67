/// A rollout's last metric evaluations, newest last, for the API and the
/// CLI: a ring of fixed-size records (48 bytes each) instead of a list of
/// `MetricEvaluation`s with a query and a message each. Metric names,
/// threshold ranges and texts are kept once in small tables the records
/// point into; a message the numbers say (`EvaluationText`: "99.5 >= 99",
/// a success rate's counts) is not kept at all but made again when read.
/// With 100,000 rollouts, the difference is gigabytes.
public struct EvaluationHistory: Sendable, Equatable {
    struct Record: Sendable, Equatable {
        var time: Double
        var value: Double
        var requests: Double
        var lower: Double
        var upper: Double
        var metric: UInt8
        var verdict: UInt8
        var range: UInt8
        /// Which of value, requests, lower and upper are there.
        var present: UInt8
        var query: UInt16
        /// An index in `texts`, or `remade`.
        var message: UInt16

        static let remade = UInt16.max
        static let value: UInt8 = 1, requests: UInt8 = 2, lower: UInt8 = 4, upper: UInt8 = 8
    }

    struct Range: Sendable, Hashable {
        var min: Double?
        var max: Double?
    }

    /// At most this many evaluations are kept; the oldest go first.
    public let capacity: Int
    private(set) var records: ContiguousArray<Record> = []
    /// Index of the oldest record once the ring is full.
    private var start = 0
    private var names: [String] = []
    private var ranges: [Range] = []
    private var texts: [String] = []

    /// At most 200 (a state file may say more): the tables' indices are
    /// one or two bytes.
    public init(capacity: Int = 50) {
        self.capacity = min(max(1, capacity), 200)
    }

    public init(_ evaluations: [MetricEvaluation], capacity: Int = 50) {
        self.init(capacity: capacity)
        append(evaluations)
    }

    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }

    public mutating func removeAll() {
        self = EvaluationHistory(capacity: capacity)
    }

    public mutating func append(_ evaluations: [MetricEvaluation]) {
        for evaluation in evaluations {
            // Tables only grow as records come in; they are rebuilt from the
            // records left once they hold much more than those need. Looked
            // at before each record, so an index always fits its field (a
            // plan with hundreds of metrics included).
            if texts.count > 2 * capacity + 16 || names.count > capacity + 16 || ranges.count > capacity + 16 { compact() }
            append(evaluation)
        }
    }

    private mutating func append(_ evaluation: MetricEvaluation) {
        var present: UInt8 = 0
        if evaluation.value != nil { present |= Record.value }
        if evaluation.requests != nil { present |= Record.requests }
        if evaluation.lower != nil { present |= Record.lower }
        if evaluation.upper != nil { present |= Record.upper }
        let record = Record(time: evaluation.time, value: evaluation.value ?? 0, requests: evaluation.requests ?? 0,
                            lower: evaluation.lower ?? 0, upper: evaluation.upper ?? 0,
                            metric: UInt8(Self.index(of: evaluation.metric, in: &names)),
                            verdict: Self.code(evaluation.verdict),
                            range: UInt8(Self.index(of: Range(min: evaluation.min, max: evaluation.max), in: &ranges)),
                            present: present, query: UInt16(Self.index(of: evaluation.query, in: &texts)),
                            message: EvaluationText.remade(evaluation) == evaluation.message
                                ? Record.remade : UInt16(Self.index(of: evaluation.message, in: &texts)))
        if records.count < capacity {
            records.append(record)
        } else {
            records[start] = record
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    public var evaluations: [MetricEvaluation] {
        ordered.map(evaluation)
    }

    /// The newest evaluation of each metric, in the order metrics were first seen.
    public var latestPerMetric: [MetricEvaluation] {
        var latest: [UInt8: Record] = [:]
        for record in ordered { latest[record.metric] = record }
        return latest.keys.sorted().compactMap { latest[$0].map(evaluation) }
    }

    private var ordered: [Record] {
        Array(records[start...] + records[..<start])
    }

    private func evaluation(_ record: Record) -> MetricEvaluation {
        let range = ranges[Int(record.range)]
        var evaluation = MetricEvaluation(
            metric: names[Int(record.metric)], query: texts[Int(record.query)],
            value: record.present & Record.value != 0 ? record.value : nil, min: range.min, max: range.max,
            verdict: Self.verdict(record.verdict), message: "", time: record.time,
            requests: record.present & Record.requests != 0 ? record.requests : nil,
            lower: record.present & Record.lower != 0 ? record.lower : nil,
            upper: record.present & Record.upper != 0 ? record.upper : nil)
        evaluation.message = record.message == Record.remade ? EvaluationText.remade(evaluation) ?? "" : texts[Int(record.message)]
        return evaluation
    }

    private mutating func compact() {
        let kept = ordered.map(evaluation)
        self = EvaluationHistory(capacity: capacity)
        for evaluation in kept { append(evaluation) }
    }

    private static func index<Value: Equatable>(of value: Value, in table: inout [Value]) -> Int {
        // Tables are small (a few metrics, a query each): a scan from the newest is quickest.
        if let found = table.lastIndex(of: value) { return found }
        table.append(value)
        return table.count - 1
    }

    private static let verdicts: [MetricEvaluation.Verdict] = [.pass, .fail, .noData, .error, .undecided]

    private static func code(_ verdict: MetricEvaluation.Verdict) -> UInt8 {
        UInt8(verdicts.firstIndex(of: verdict) ?? 0)
    }

    private static func verdict(_ code: UInt8) -> MetricEvaluation.Verdict {
        verdicts.indices.contains(Int(code)) ? verdicts[Int(code)] : .error
    }

    public static func == (lhs: EvaluationHistory, rhs: EvaluationHistory) -> Bool {
        lhs.capacity == rhs.capacity && lhs.evaluations == rhs.evaluations
    }
}

/// In a state file: the tables and one row per record, oldest first, so a
/// file stays readable and small (a query is written once, not once per
/// evaluation). `{"metrics": [...], "ranges": [[min, max]], "texts": [...],
/// "rows": [[time, metric, verdict, range, query, message, value, requests, lower, upper]]}`:
/// `message` -1 is made again from the numbers; absent numbers are null.
extension EvaluationHistory: Codable {
    private enum CodingKeys: String, CodingKey { case capacity, metrics, ranges, texts, rows }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(names, forKey: .metrics)
        try container.encode(ranges.map { [$0.min, $0.max] }, forKey: .ranges)
        try container.encode(texts, forKey: .texts)
        var rows = container.nestedUnkeyedContainer(forKey: .rows)
        for record in ordered {
            var row = rows.nestedUnkeyedContainer()
            try row.encode(record.time)
            try row.encode(record.metric)
            try row.encode(Self.verdict(record.verdict).rawValue)
            try row.encode(record.range)
            try row.encode(record.query)
            try row.encode(record.message == Record.remade ? -1 : Int(record.message))
            try row.encode(record.present & Record.value != 0 ? record.value : nil)
            try row.encode(record.present & Record.requests != 0 ? record.requests : nil)
            try row.encode(record.present & Record.lower != 0 ? record.lower : nil)
            try row.encode(record.present & Record.upper != 0 ? record.upper : nil)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let capacity = try container.decodeIfPresent(Int.self, forKey: .capacity) ?? 50
        let names = try container.decode([String].self, forKey: .metrics)
        let ranges = try container.decode([[Double?]].self, forKey: .ranges).map { Range(min: $0.first ?? nil, max: $0.count > 1 ? $0[1] : nil) }
        let texts = try container.decode([String].self, forKey: .texts)
        var rows = try container.nestedUnkeyedContainer(forKey: .rows)
        var evaluations: [MetricEvaluation] = []
        while !rows.isAtEnd {
            var row = try rows.nestedUnkeyedContainer()
            let time = try row.decode(Double.self)
            let metric = try row.decode(Int.self), verdictName = try row.decode(String.self)
            let range = try row.decode(Int.self), query = try row.decode(Int.self), message = try row.decode(Int.self)
            let value = try row.decodeIfPresent(Double.self), requests = try row.decodeIfPresent(Double.self)
            let lower = try row.decodeIfPresent(Double.self), upper = try row.decodeIfPresent(Double.self)
            guard names.indices.contains(metric), ranges.indices.contains(range), texts.indices.contains(query),
                  message == -1 || texts.indices.contains(message), let verdict = MetricEvaluation.Verdict(rawValue: verdictName) else {
                throw DecodingError.dataCorruptedError(in: row, debugDescription: "an evaluation row points outside its tables")
            }
            var evaluation = MetricEvaluation(metric: names[metric], query: texts[query], value: value, min: ranges[range].min,
                                              max: ranges[range].max, verdict: verdict, message: "", time: time,
                                              requests: requests, lower: lower, upper: upper)
            evaluation.message = message == -1 ? EvaluationText.remade(evaluation) ?? "" : texts[message]
            evaluations.append(evaluation)
        }
        self.init(evaluations, capacity: capacity)
    }
}
