import Foundation
import SerinEngine
import SerinSpec

/// What the rest of the operator sees of a source.
public struct SourceStatus: Sendable {
    public var name: String
    /// True while the last attempt succeeded with valid manifests.
    public var ready: Bool
    /// Why not ready: `FetchFailed`, `ValidationFailed`, or `Succeeded`.
    public var reason: String
    public var message: String
    /// The revision the operator acts on; kept through failures.
    public var lastGoodRevision: String?
    public var consecutiveFailures: Int
    /// The commit of `lastGoodRevision`.
    public var lastGoodCommit: CommitInfo?
    /// Warnings of `lastGoodRevision`.
    public var warnings: [String] = []
    /// The newest revision read, when it was refused.
    public var lastAttemptedRevision: String?
    /// The refused revision's errors (`file:line:column: …`), or the fetch error.
    public var errors: [String] = []
    /// When a poll last answered, good or refused (seconds since 1970).
    public var lastSyncTime: Double?
    /// `Ready`, and `Stalled` or `Reconciling` as Flux sets them.
    public var conditions: [Condition] = []
}

/// Polls one source at its interval, at once when a webhook asks, and after a
/// failure with capped exponential backoff. A failure of any kind (network,
/// authentication, missing ref, invalid manifests) never replaces the last
/// good revision: only a new valid revision is published.
public actor GitSourceWatcher {
    public nonisolated let spec: GitSourceSpec
    private let thread: GitThread
    private let mirror: MirrorBox
    private let backoff: Backoff
    /// Validates for the platform the manifests will run on.
    private let validator: Validator
    /// Webhook deliveries end the wait for the next poll early; several
    /// during one poll make one more poll.
    private let wakeup = Mailbox<Void>()
    public private(set) var status: SourceStatus
    private let continuation: AsyncStream<SyncResult>.Continuation
    /// New valid revisions, in order.
    public nonisolated let revisions: AsyncStream<SyncResult>

    public init(spec: GitSourceSpec, cacheDirectory: String, platform: PlatformKind = .local, backoff: Backoff = Backoff()) throws {
        self.spec = spec
        self.validator = Validator(platform: platform)
        self.thread = GitThread(label: spec.name)
        self.mirror = MirrorBox(try SourceMirror(spec: spec, directory: cacheDirectory))
        self.backoff = backoff
        var status = SourceStatus(name: spec.name, ready: false, reason: "Progressing", message: "not synced yet",
                                  lastGoodRevision: nil, consecutiveFailures: 0)
        let now = Date().timeIntervalSince1970
        status.conditions = [Condition(type: "Ready", status: .unknown, reason: "Progressing", message: "not synced yet", lastTransitionTime: now),
                             Condition(type: "Reconciling", status: .true, reason: "Progressing", message: "first sync", lastTransitionTime: now)]
        self.status = status
        (revisions, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
    }

    /// Asks for a sync now (a verified webhook call).
    public nonisolated func requestSync() {
        wakeup.send(())
    }

    /// Exports `commit`'s whole tree as a read-only snapshot that workloads
    /// run from; an existing snapshot is reused.
    public func snapshot(_ commit: ObjectID, into snapshots: RevisionSnapshots) async throws -> String {
        let mirror = self.mirror
        return try await thread.run { try mirror.value.snapshot(commit, into: snapshots) }
    }

    /// Runs until cancelled.
    public func run() async {
        while !Task.isCancelled {
            let delay = await syncOnce()
            _ = await wakeup.take(waitingAtMost: delay, on: ContinuousClock())
        }
        continuation.finish()
    }

    /// One poll; returns how long to wait before the next.
    @discardableResult
    public func syncOnce() async -> Duration {
        let mirror = self.mirror, validator = self.validator
        do {
            let outcome = try await thread.run { try mirror.value.poll(validator: validator) }
            switch outcome {
            case .unchanged(let revision):
                succeed(revision, nil)
            case .updated(let result):
                succeed(result.revision, result)
                continuation.yield(result)
            case .invalid(let result):
                let errors = result.diagnostics.errors
                status.lastAttemptedRevision = result.revision
                status.errors = errors.map(\.description)
                return fail("ValidationFailed", "\(result.revision) refused: " + Self.summary(errors.map(\.description)), revision: result.revision)
            }
            return spec.interval
        } catch {
            status.errors = ["\(error)"]
            return fail("FetchFailed", "\(error)", revision: nil)
        }
    }

    /// The first problem in full, and how many more: the condition's
    /// message stays one line that names a file:line:column.
    static func summary(_ errors: [String]) -> String {
        guard let first = errors.first else { return "invalid manifests" }
        return errors.count == 1 ? first : "\(first) (and \(errors.count - 1) more)"
    }

    private func succeed(_ revision: String, _ result: SyncResult?) {
        let now = Date().timeIntervalSince1970
        status.ready = true
        status.reason = "Succeeded"
        status.message = "stored \(revision)"
        status.lastGoodRevision = revision
        status.consecutiveFailures = 0
        status.lastSyncTime = now
        status.lastAttemptedRevision = nil
        status.errors = []
        if let result {
            status.lastGoodCommit = result.commit
            status.warnings = result.diagnostics.warnings.map(\.description)
        }
        status.conditions.set(Condition(type: "Ready", status: .true, reason: "Succeeded", message: status.message,
                                        lastTransitionTime: now, observedRevision: revision))
        status.conditions.remove(type: "Stalled")
        status.conditions.remove(type: "Reconciling")
    }

    private func fail(_ reason: String, _ message: String, revision: String?) -> Duration {
        let now = Date().timeIntervalSince1970
        status.ready = false
        status.reason = reason
        status.message = message
        status.consecutiveFailures += 1
        status.conditions.set(Condition(type: "Ready", status: .false, reason: reason, message: message, lastTransitionTime: now,
                                        observedRevision: revision ?? status.lastGoodRevision))
        if reason == "ValidationFailed" {
            // Retrying cannot help: only a new commit can.
            status.lastSyncTime = now
            status.conditions.set(Condition(type: "Stalled", status: .true, reason: reason, message: "waiting for a commit that fixes it",
                                            lastTransitionTime: now, observedRevision: revision))
            status.conditions.remove(type: "Reconciling")
        } else {
            status.conditions.remove(type: "Stalled")
            status.conditions.set(Condition(type: "Reconciling", status: .true, reason: "RetryingAfterFailure",
                                            message: "attempt \(status.consecutiveFailures + 1) after a failure", lastTransitionTime: now))
        }
        return min(backoff.delay(afterFailures: status.consecutiveFailures, jitter: Double.random(in: 0...1)), max(spec.interval, backoff.cap))
    }

    /// What the API shows of this source.
    public var report: SourceStatusReport {
        let commit = status.lastGoodCommit.map {
            CommitSummary(id: $0.id.hex, subject: String($0.message.split(whereSeparator: \.isNewline).first ?? ""),
                          author: "\($0.author.name) <\($0.author.email)>", time: Double($0.author.time))
        }
        return SourceStatusReport(name: spec.name, url: spec.url.redacted, ref: spec.reference.description, path: spec.path,
                                  revision: status.lastGoodRevision, commit: commit, lastAttemptedRevision: status.lastAttemptedRevision,
                                  lastSyncTime: status.lastSyncTime, conditions: status.conditions, errors: status.errors,
                                  warnings: status.warnings)
    }
}

/// Hands the non-Sendable mirror to its GitThread.
final class MirrorBox: @unchecked Sendable {
    // Safe: `value` is only touched inside `GitThread.run`, whose serial
    // queue runs one closure at a time.
    let value: SourceMirror
    init(_ value: SourceMirror) { self.value = value }
}
