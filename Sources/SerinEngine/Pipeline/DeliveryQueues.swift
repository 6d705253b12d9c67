import Foundation
import Logging

/// The apply and release stages of every source: one work queue per
/// target, keyed by source, so a source's revisions reach a target one at
/// a time, in order, the newest winning (a resync never interleaves with a
/// sync, nor overtakes it); a failed delivery is tried again with backoff
/// until a newer revision replaces it.
public final class DeliveryQueues<C: Clock>: Sendable where C.Duration == Duration {
    public struct Delivery: Sendable {
        public var desired: DesiredState
        /// The same revision again, to put back what changed by hand.
        public var resync: Bool

        public init(desired: DesiredState, resync: Bool) {
            self.desired = desired
            self.resync = resync
        }

        /// A resync waiting behind a delivery is part of it; a delivery
        /// waiting behind anything is the newest word.
        public static func merge(_ waiting: Delivery, _ new: Delivery) -> Delivery {
            Delivery(desired: new.desired, resync: waiting.resync && new.resync)
        }
    }

    private let queues: [(target: any DeliveryTarget, queue: WorkQueue<String, Delivery, C>)]
    private let log: EventLog
    private let logger: Logger
    private let wallClock: @Sendable () -> Double

    /// `concurrency`: sources delivered at once to each target.
    public init(targets: [any DeliveryTarget], concurrency: Int = 4, clock: C, wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: EventLog, logger: Logger) {
        self.wallClock = wallClock
        queues = targets.map { ($0, WorkQueue(clock: clock, concurrency: concurrency, coalesce: Delivery.merge)) }
        self.log = log
        self.logger = logger
    }

    public func deliver(_ desired: DesiredState) {
        for (_, queue) in queues { queue.add(desired.source, Delivery(desired: desired, resync: false)) }
    }

    public func resync(_ desired: DesiredState) {
        for (_, queue) in queues { queue.add(desired.source, Delivery(desired: desired, resync: true)) }
    }

    /// To one target only (a source's waves hand revisions target by target).
    public func deliver(_ desired: DesiredState, to target: String, resync: Bool = false) {
        for (candidate, queue) in queues where candidate.name == target {
            queue.add(desired.source, Delivery(desired: desired, resync: resync))
        }
    }

    /// How the release of `desired` stands on `target`.
    public func release(of desired: DesiredState, on target: String) async -> ReleaseState {
        guard let found = queues.first(where: { $0.target.name == target })?.target else { return .unreachable("no target \(target)") }
        return await found.release(of: desired)
    }

    /// Until cancelled; each target's word on each delivery goes to `report`.
    public func run(report: @escaping @Sendable (_ target: String, DesiredState, DeliveryResult) async -> Void) async {
        let log = self.log, logger = self.logger, now = wallClock
        // With several targets, what each did names it.
        let several = queues.count > 1
        await withDiscardingTaskGroup { group in
            for (target, queue) in queues {
                group.addTask {
                    await queue.run { _, delivery in
                        let result = await target.deliver(delivery.desired, resync: delivery.resync)
                        for note in result.notes {
                            await Self.append(log, logger, .init(time: now(), rollout: "-", revision: delivery.desired.revision,
                                                           author: nil, decision: note.decision, reason: note.reason,
                                                           source: delivery.desired.source, cluster: several ? target.name : nil))
                        }
                        await report(target.name, delivery.desired, result)
                        return result.failure == nil ? .done : .retry
                    }
                }
            }
        }
    }

    private static func append(_ log: EventLog, _ logger: Logger, _ entry: EventLog.Entry) async {
        do {
            try await log.append(entry)
        } catch {
            logger.error("audit trail not written: \(error)", metadata: ["decision": "\(entry.decision)", "reason": "\(entry.reason)"])
        }
    }
}
