/// One item of an explicit `analysis.steps` program. Each item holds exactly
/// one action:
///
/// ```yaml
/// steps:
///   - setWeight: 5
///   - analyze: 2            # or { ticks: 2 }: N passing checks
///   - pause: { duration: 5m }
///   - pause: {}             # as in Argo Rollouts: wait for `serin promote`
///   - gate: { name: qa }    # a named manual gate
///   - mirror: 50            # or { weight: 50 }: copy 50% of requests to the canary
///   - match: [{ headers: { x-canary: { exact: "1" } } }]
/// ```
public enum StepSpec: Sendable, Hashable, Decodable {
    case setWeight(Int)
    case analyze(ticks: Int)
    case pause(duration: String)
    case gate(name: String?)
    case mirror(weight: Int)
    case match([HTTPMatchRequest])
    /// An item that held no action or more than one; already reported.
    case invalid

    static let actionNames = ["setWeight", "analyze", "pause", "gate", "mirror", "match"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        var found: [StepSpec] = []
        if let weight = try container.decodeIfPresent(Int.self, forKey: AnyCodingKey("setWeight")) {
            found.append(.setWeight(weight))
        }
        if let ticks = try container.decodeIfPresent(CountOrObject<TicksKey>.self, forKey: AnyCodingKey("analyze")) {
            found.append(.analyze(ticks: ticks.value))
        }
        if let pause = try container.decodeIfPresent(PauseSpec.self, forKey: AnyCodingKey("pause")) {
            found.append(pause.duration.map { .pause(duration: $0) } ?? .gate(name: nil))
        }
        if let gate = try container.decodeIfPresent(GateSpec.self, forKey: AnyCodingKey("gate")) {
            found.append(.gate(name: gate.name))
        }
        if let mirror = try container.decodeIfPresent(CountOrObject<WeightKey>.self, forKey: AnyCodingKey("mirror")) {
            found.append(.mirror(weight: mirror.value))
        }
        if let match = try container.decodeIfPresent([HTTPMatchRequest].self, forKey: AnyCodingKey("match")) {
            found.append(.match(match))
        }
        guard found.count == 1 else {
            if let nodeDecoder = decoder as? NodeDecoder {
                let known = Set(Self.actionNames)
                let actions = container.allKeys.map(\.stringValue).filter(known.contains)
                // An item whose only key is misspelt was reported as an unknown field.
                if found.count > 1 || (actions.isEmpty && container.allKeys.isEmpty) {
                    let names = actions.isEmpty ? "none" : actions.joined(separator: ", ")
                    nodeDecoder.report.error(at: nodeDecoder.node.mark,
                        "\(nodeDecoder.displayName) must hold exactly one of \(Self.actionNames.joined(separator: ", ")); it holds \(names)")
                }
            }
            self = .invalid
            return
        }
        self = found[0]
    }
}

private struct PauseSpec: Decodable {
    var duration: String?
}

private struct GateSpec: Decodable {
    var name: String?

    init(from decoder: any Decoder) throws {
        if let nodeDecoder = decoder as? NodeDecoder, case .string(let name)? = nodeDecoder.scalar {
            self.name = name
            return
        }
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        name = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("name"))
    }
}

protocol SingleFieldKey { static var name: String { get } }
enum TicksKey: SingleFieldKey { static let name = "ticks" }
enum WeightKey: SingleFieldKey { static let name = "weight" }

/// `analyze: 3` or `analyze: { ticks: 3 }`.
private struct CountOrObject<Key: SingleFieldKey>: Decodable {
    var value: Int

    init(from decoder: any Decoder) throws {
        if let nodeDecoder = decoder as? NodeDecoder, case .scalar = nodeDecoder.node {
            value = try decoder.singleValueContainer().decode(Int.self)
            return
        }
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        value = try container.decode(Int.self, forKey: AnyCodingKey(Key.name))
    }
}
