import Foundation
import SerinEngine

/// A stand-in for the operator behind the API, for tests of the API and the
/// CLI while the real operator is written elsewhere: canned rollouts, an
/// in-memory event log, and a record of what it was asked.
public final class FakeOperator: OperatorControl, @unchecked Sendable {
    // Safe: every stored var is read and written only while holding `lock`;
    // `feed` is Sendable and takes no lock of ours.
    private let lock = NSLock()
    private var statuses: [RolloutStatus]
    private var sourceReports: [SourceStatusReport]
    private var workloadReports: [WorkloadStatusReport]
    private var histories: [String: [RevisionHistoryEntry]]
    private var log: [EventLog.Entry]
    private let feed: EventFeed
    private var ready = false
    private var receivedCommands: [(command: RolloutCommand, rollout: String, caller: String?)] = []
    private var receivedDeliveries: [Delivery] = []
    private var commandReaction: (@Sendable (RolloutCommand, String) -> Void)?
    private var waveReaction: (@Sendable (String, String?) -> WaveCommandOutcome)?
    private var receivedWavePromotions: [(source: String, caller: String?)] = []
    private var sourceReadCount = 0
    /// Source name → the shared secret a delivery must carry in `x-serin-secret`.
    private let sources: [String: String]
    private let metrics: String

    public struct Delivery: Sendable, Equatable {
        public var source: String
        public var headers: [String: String]
        public var body: [UInt8]
    }

    public init(rollouts: [RolloutStatus] = SampleRollouts.all, histories: [String: [RevisionHistoryEntry]] = SampleRollouts.histories,
                events: [EventLog.Entry] = [], sources: [String: String] = ["deploy": "hook-secret"],
                sourceReports: [SourceStatusReport] = SampleResources.sources, workloads: [WorkloadStatusReport] = SampleResources.workloads,
                metrics: String = "# TYPE serin_info gauge\nserin_info{version=\"test\"} 1\n", eventBuffer: Int = 1000) {
        feed = EventFeed(limit: eventBuffer)
        statuses = rollouts
        self.sourceReports = sourceReports
        workloadReports = workloads
        self.histories = histories
        log = events
        self.sources = sources
        self.metrics = metrics
    }

    // MARK: What tests do to it

    public func setReady(_ value: Bool) { lock.withLock { ready = value } }

    /// Changes what the API shows of rollout `name`.
    public func update(_ name: String, _ change: (inout RolloutStatus) -> Void) {
        lock.withLock {
            if let index = index(of: name) { change(&statuses[index]) }
        }
    }

    /// Called with each accepted command and the rollout's name as asked,
    /// outside the lock (so it may `update` and `publish`): what the real
    /// operator would then do, played by the test.
    /// What `serin promote SOURCE` (the API's `POST .../promote`) does:
    /// without a reaction every source is unknown, as for an operator
    /// without waves.
    public func onPromoteWave(_ reaction: @escaping @Sendable (_ source: String, _ caller: String?) -> WaveCommandOutcome) {
        lock.withLock { waveReaction = reaction }
    }

    /// The wave promotions asked for, in order.
    public var wavePromotions: [(source: String, caller: String?)] { lock.withLock { receivedWavePromotions } }

    public func promoteWave(source name: String, by caller: String?) async -> WaveCommandOutcome {
        let reaction = lock.withLock {
            receivedWavePromotions.append((name, caller))
            return waveReaction
        }
        return reaction?(name, caller) ?? .unknownSource
    }

    public func onCommand(_ reaction: @escaping @Sendable (RolloutCommand, String) -> Void) {
        lock.withLock { commandReaction = reaction }
    }

    /// `name` or `namespace/name`, as the real operator finds rollouts.
    private func index(of name: String) -> Int? {
        statuses.firstIndex { $0.name == name || "\($0.namespace)/\($0.name)" == name }
    }

    /// Changes what the API shows of source `name`.
    public func updateSource(_ name: String, _ change: (inout SourceStatusReport) -> Void) {
        lock.withLock {
            if let index = sourceReports.firstIndex(where: { $0.name == name }) { change(&sourceReports[index]) }
        }
    }

    /// Appends an entry with the next sequence number and sends it to every open stream.
    @discardableResult
    public func publish(_ entry: EventLog.Entry) -> EventLog.Entry {
        lock.withLock {
            var entry = entry
            entry.sequence = (log.last?.sequence ?? 0) + 1
            log.append(entry)
            feed.publish(entry)
            return entry
        }
    }

    public var commands: [(command: RolloutCommand, rollout: String, caller: String?)] { lock.withLock { receivedCommands } }
    public var deliveries: [Delivery] { lock.withLock { receivedDeliveries } }
    /// How many times the sources were asked for (`GET /api/v1/sources`):
    /// a test sees a client look again.
    public var sourceReads: Int { lock.withLock { sourceReadCount } }
    /// Streams handed out and not yet ended by their reader.
    public var openStreams: Int { feed.count }

    // MARK: OperatorControl

    public func rollouts() async -> [RolloutStatus] { lock.withLock { statuses } }

    public func rollout(named name: String) async -> RolloutStatus? { lock.withLock { index(of: name).map { statuses[$0] } } }

    public func history(of name: String) async -> [RevisionHistoryEntry]? {
        lock.withLock { index(of: name).map { histories[statuses[$0].name] ?? [] } }
    }

    public func sources() async -> [SourceStatusReport] {
        lock.withLock {
            sourceReadCount += 1
            return sourceReports
        }
    }

    public func workloads() async -> [WorkloadStatusReport] { lock.withLock { workloadReports } }

    /// Flagger's rules, simplified: what each command needs of the phase.
    public func command(_ command: RolloutCommand, rollout name: String, by caller: String?) async -> CommandOutcome {
        let (outcome, reaction) = lock.withLock { () -> (CommandOutcome, (@Sendable (RolloutCommand, String) -> Void)?) in
            let outcome = decide(command, rollout: name, by: caller)
            return (outcome, commandReaction)
        }
        if case .accepted = outcome { reaction?(command, name) }
        return outcome
    }

    /// Called holding `lock`.
    private func decide(_ command: RolloutCommand, rollout name: String, by caller: String?) -> CommandOutcome {
        guard let index = index(of: name) else { return .unknownRollout }
        let phase = statuses[index].phase
        let allowed: Set<RolloutPhase>
        switch command {
        case .promote: allowed = [.progressing, .waitingPromotion, .paused]
        case .abort: allowed = [.waiting, .progressing, .waitingPromotion, .paused]
        case .pause: allowed = [.waiting, .progressing, .waitingPromotion]
        case .resume: allowed = [.paused]
        case .retry: allowed = [.failed]
        }
        guard allowed.contains(phase) else {
            return .conflict("cannot \(command.rawValue) \(name): it is \(phase.rawValue)")
        }
        receivedCommands.append((command, name, caller))
        return .accepted("\(command.rawValue) \(name): requested")
    }

    public func events(after sequence: Int) async -> EventLog.Subscription {
        // Backlog and registration under one lock: no entry is missed or sent twice.
        lock.withLock { feed.subscribe(backlog: log.filter { $0.sequence > sequence }) }
    }

    public func events(from first: Int, through last: Int) async -> [EventLog.Entry] {
        lock.withLock { log.filter { (first...max(first, last)).contains($0.sequence) } }
    }

    public func gitWebhook(source: String, headers: [String: String], body: [UInt8]) async -> WebhookOutcome {
        lock.withLock {
            guard let secret = sources[source] else { return .unknownSource }
            receivedDeliveries.append(Delivery(source: source, headers: headers, body: body))
            guard let presented = headers["x-serin-secret"] else { return .unauthorized("no x-serin-secret header") }
            return presented == secret ? .accepted : .unauthorized("x-serin-secret does not match source \"\(source)\"")
        }
    }

    public func isReady() async -> Bool { lock.withLock { ready } }

    public func metricsText() async -> String { metrics }
}
