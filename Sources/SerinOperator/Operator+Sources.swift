import Foundation
import SerinEngine

/// The controls Flux users reach for, on every platform: suspend and
/// resume a source, reconcile it now, roll it back to an earlier revision
/// (a pin, until removed), its history; and on a cluster, what applying
/// it would change (`diff`). Each is recorded with who asked.
extension Operator {
    public func sourceCommand(_ command: SourceCommand, source name: String, revision: String?, by caller: String?) async -> SourceCommandOutcome {
        guard let pipeline = pipelines[name] else { return .unknownSource }
        let now = Date().timeIntervalSince1970
        var record = records[name] ?? SourceRecord()
        let status = await pipeline.status
        let outcome: SourceCommandOutcome
        switch command {
        case .suspend:
            if let suspension = status.suspension { return .conflict("source \(name) is \(suspension.description) already") }
            let suspension = SourceSuspension(by: caller, time: now)
            await pipeline.suspend(suspension)
            driver.setSuspended(name, true)
            record.suspension = suspension
            outcome = .accepted("source \(name) suspended: nothing is fetched, applied, corrected or pruned until serin resume \(name)")
        case .resume:
            guard let suspension = status.suspension else { return .conflict("source \(name) is not suspended") }
            await pipeline.resume(by: caller)
            driver.setSuspended(name, false)
            record.suspension = nil
            outcome = .accepted("source \(name) resumed" + (suspension.fromConfiguration ? " until the operator restarts (serin.yaml says suspend: true)" : ""))
        case .reconcile:
            if let suspension = status.suspension { return .conflict("source \(name) is \(suspension.description): serin resume \(name) first") }
            await pipeline.reconcile(by: caller)
            outcome = .accepted("source \(name): fetching and applying now")
        case .rollback:
            guard let revision, !revision.isEmpty else { return .conflict("give the revision to roll back to (serin history source \(name) lists them)") }
            guard let entry = Self.entry(revision, in: record.history), let commit = entry.commit else {
                return .conflict("\(revision) is not a revision source \(name) applied: serin history source \(name) lists them")
            }
            let pin = SourcePin(revision: entry.revision, commit: commit, by: caller, time: now)
            await pipeline.pin(pin)
            record.pin = pin
            outcome = .accepted("source \(name) pinned to \(entry.revision) until serin rollback \(name) --unpin")
        case .unpin:
            guard let pin = status.pin else { return .conflict("source \(name) is not pinned") }
            await pipeline.unpin(by: caller)
            record.pin = nil
            outcome = .accepted("source \(name) unpinned from \(pin.revision): it follows its ref again")
        }
        records[name] = record
        save(record, of: name)
        if case .accepted(let message) = outcome {
            append(.init(time: now, rollout: "-", revision: revision, author: caller, decision: command.rawValue, reason: message + (caller.map { " (by \($0))" } ?? ""),
                         source: name))
        }
        return outcome
    }

    /// The newest entry of the history that `text` names: its revision
    /// (`main@sha1:<id>`), or its commit (`main@8e1f2a3b`, `8e1f2a3b`: 4 hex digits or more).
    static func entry(_ text: String, in history: [SourceHistoryEntry]) -> SourceHistoryEntry? {
        if let exact = history.last(where: { $0.revision == text }) { return exact }
        var hex = text.lowercased()
        if let at = hex.lastIndex(of: "@") { hex = String(hex[hex.index(after: at)...]) }
        if hex.hasPrefix("sha1:") { hex.removeFirst(5) }
        guard hex.count >= 4, hex.allSatisfy(\.isHexDigit) else { return nil }
        return history.last { $0.commit?.hasPrefix(hex) ?? false }
    }

    public func sourceHistory(of name: String) async -> [SourceHistoryEntry]? {
        guard pipelines[name] != nil else { return nil }
        return records[name]?.history ?? []
    }

    public func diff(source name: String) async -> SourceDiffOutcome {
        guard let pipeline = pipelines[name] else { return .unknownSource }
        guard let desired = await pipeline.inForce else { return .unavailable("source \(name) has no valid revision yet") }
        // With several clusters, each against what it was given (its own path, its revision in its wave).
        if let fleet = driver as? ClusterFleet { return await fleet.diff(given: await pipeline.given, inForce: desired) }
        return await driver.diff(desired)
    }

    /// A target's word on a revision, in the source's history; with several
    /// clusters, a failure names the cluster it happened in.
    func delivered(_ desired: DesiredState, to target: String, _ result: DeliveryResult) async {
        guard let pipeline = pipelines[desired.source] else { return }
        let place = driver.targets.count > 1 ? "cluster \(target): " : ""
        let entry = SourceHistoryEntry(revision: desired.revision, commit: desired.commit, subject: desired.commitSummary?.subject,
                                       author: desired.author, time: Date().timeIntervalSince1970,
                                       result: result.failure.map { "\($0.reason): \(place)\($0.message)" } ?? "applied",
                                       trigger: await pipeline.trigger(of: desired.revision))
        var record = records[desired.source] ?? SourceRecord()
        guard record.append(entry) else { return }
        records[desired.source] = record
        save(record, of: desired.source)
    }

    private func save(_ record: SourceRecord, of source: String) {
        do {
            try record.save(stateDirectory: config.stateDirectory, source: source)
        } catch {
            options.logger.error("the record of source \(source) is not saved: \(error)")
        }
    }
}
