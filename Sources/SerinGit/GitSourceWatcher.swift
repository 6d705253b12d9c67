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
        self.status = SourceStatus(name: spec.name, ready: false, reason: "Progressing", message: "not synced yet",
                                   lastGoodRevision: nil, consecutiveFailures: 0)
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
                succeed(revision)
            case .updated(let result):
                succeed(result.revision)
                continuation.yield(result)
            case .invalid(let result):
                let errors = result.diagnostics.errors
                return fail("ValidationFailed", "\(result.revision) has \(errors.count) invalid manifest problem(s): "
                    + errors.prefix(3).map(\.description).joined(separator: "; "))
            }
            return spec.interval
        } catch {
            return fail("FetchFailed", "\(error)")
        }
    }

    private func succeed(_ revision: String) {
        status.ready = true
        status.reason = "Succeeded"
        status.message = "stored \(revision)"
        status.lastGoodRevision = revision
        status.consecutiveFailures = 0
    }

    private func fail(_ reason: String, _ message: String) -> Duration {
        status.ready = false
        status.reason = reason
        status.message = message
        status.consecutiveFailures += 1
        return min(backoff.delay(afterFailures: status.consecutiveFailures, jitter: Double.random(in: 0...1)), max(spec.interval, backoff.cap))
    }
}

/// Hands the non-Sendable mirror to its GitThread.
final class MirrorBox: @unchecked Sendable {
    // Safe: `value` is only touched inside `GitThread.run`, whose serial
    // queue runs one closure at a time.
    let value: SourceMirror
    init(_ value: SourceMirror) { self.value = value }
}
