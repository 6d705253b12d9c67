/// How a source's revisions travel through its targets: wave by wave, a
/// revision reaching wave k+1 only once every target of wave k released it
/// (its Canaries promoted, its objects applied and healthy). One wave of
/// every target (the default) is no staging at all.
public struct WavePlan: Sendable, Equatable, Codable {
    public var waves: [[String]]
    /// A later wave waits for `serin promote SOURCE` once the wave before released the revision.
    public var pause: Bool
    /// How long a wave's release must hold before the next wave gets it.
    public var bake: Duration

    public init(waves: [[String]], pause: Bool = false, bake: Duration = .zero) {
        self.waves = waves.filter { !$0.isEmpty }
        self.pause = pause
        self.bake = bake
    }

    public static func allAtOnce(_ targets: [String]) -> WavePlan { WavePlan(waves: [targets]) }

    public var targets: [String] { waves.flatMap { $0 } }
    /// More than one wave: revisions are released in stages.
    public var isStaged: Bool { waves.count > 1 }

    public func wave(of target: String) -> Int? { waves.firstIndex { $0.contains(target) } }
}

/// How the release of a revision stands on one target.
public enum ReleaseState: Sendable, Equatable {
    /// Still going (a Canary analysing, objects not healthy yet): why.
    case releasing(String)
    /// Every Canary of the revision promoted, every object applied and healthy.
    case released
    /// A Canary of the revision failed (and was rolled back), or it could not be applied: why.
    case failed(String)
    /// The target cannot be reached: why.
    case unreachable(String)
}

/// Where a source's newest revision stands in its waves. Saved at every
/// change (in the home cluster on Kubernetes), so a restarted operator,
/// even on an empty state directory, resumes at the same wave.
public struct WaveRecord: Sendable, Equatable, Codable {
    public enum Hold: Sendable, Equatable, Codable {
        /// A target of the wave failed the release: later waves keep what they had.
        case failed(target: String, reason: String)
        /// A target of the wave cannot be reached: the wave waits for it
        /// (it is never skipped) and goes on once it answers again.
        case unreachable(target: String, reason: String)
        /// Waiting for `serin promote SOURCE` before the next wave.
        case pause
        /// The wave released it; the next wave gets it at this time (seconds since 1970).
        case bake(until: Double)
    }

    /// The revision travelling through the waves.
    public var revision: String
    /// The index of the wave it is in.
    public var wave: Int
    /// Targets of that wave that released it.
    public var released: [String]
    public var hold: Hold?
    /// The revision each target was given last: the travelling one up to
    /// its wave, the last one that passed every earlier wave beyond it.
    public var assigned: [String: String]
    /// Seconds since 1970 of the last change.
    public var time: Double

    public init(revision: String, wave: Int = 0, released: [String] = [], hold: Hold? = nil, assigned: [String: String] = [:], time: Double) {
        self.revision = revision
        self.wave = wave
        self.released = released
        self.hold = hold
        self.assigned = assigned
        self.time = time
    }

    /// The target that holds the revision where it is, and why: a failure, or a target out of reach.
    public var halt: (target: String, reason: String)? {
        switch hold {
        case .failed(let target, let reason)?, .unreachable(let target, let reason)?: (target, reason)
        default: nil
        }
    }

    /// Every wave released it.
    public func isDone(in plan: WavePlan) -> Bool { wave >= plan.waves.count }
}

/// Where wave records are kept.
public protocol WaveStore: Sendable {
    func load(source: String) async throws -> WaveRecord?
    func save(_ record: WaveRecord, source: String) async throws
}

/// A store that keeps nothing: a source with one wave needs no record.
public struct NoWaveStore: WaveStore {
    public init() {}
    public func load(source: String) async throws -> WaveRecord? { nil }
    public func save(_ record: WaveRecord, source: String) async throws {}
}
