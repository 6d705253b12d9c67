import Foundation
import Metrics
import SerinSpec

/// One source's way from Git to its targets, in stages: fetch (a commit and
/// its tree) → render (its documents) → validate + plan (one parse; the
/// object validated is the object applied) → deliver (apply and release,
/// per target, through the targets' work queues). Each stage takes one
/// value and returns one; the source's status is the sum of them: which
/// stage holds it back, and why. A failure at any stage never replaces the
/// revision in force: only a new valid revision is delivered.
public actor SourcePipeline<C: Clock> where C.Duration == Duration {
    public struct Configuration: Sendable {
        public var name: String
        /// The source's path inside its repository.
        public var path: String
        public var interval: Duration
        /// The targets its revisions go to, by name.
        public var targets: [String]
        public var backoff: Backoff

        public init(name: String, path: String, interval: Duration, targets: [String], backoff: Backoff = Backoff()) {
            self.name = name
            self.path = path
            self.interval = interval
            self.targets = targets
            self.backoff = backoff
        }
    }

    public struct Stages: Sendable {
        public var fetcher: any SourceFetcher
        public var renderer: any Renderer
        public var loader: ManifestLoader
        public var validator: Validator

        public init(fetcher: any SourceFetcher, renderer: any Renderer, loader: ManifestLoader = ManifestLoader(), validator: Validator) {
            self.fetcher = fetcher
            self.renderer = renderer
            self.loader = loader
            self.validator = validator
        }
    }

    public nonisolated let configuration: Configuration
    private let stages: Stages
    private let clock: C
    private let now: @Sendable () -> Double
    /// Hands a valid revision to the targets' queues.
    private let deliver: @Sendable (DesiredState) async -> Void
    /// Told each time the status changes (events, alerts, metrics).
    private let changed: @Sendable (SourceStatus) async -> Void
    private let wakeup = Mailbox<Void>()
    public private(set) var status: SourceStatus
    /// The revision in force: the last that passed every stage before delivery.
    public private(set) var inForce: DesiredState?
    /// The newest revision whose render and validation are final (passed,
    /// or refused for good): fetched again, it is not read again.
    private var settled: String?
    /// Why the last fetch failed, until one answers.
    private var fetchFailure: StageFailure?
    /// Why the newest revision fetched did not pass render or validation,
    /// until a newer one does.
    private var revisionFailure: StageFailure?
    /// Who asked for each revision to be delivered (`git`, `reconcile by
    /// alice`, `rollback by alice`), for the history.
    private var triggers: [String: String] = [:]
    /// Set by `reconcile`: the next sync delivers the revision in force
    /// again even when the ref has not moved.
    private var forced: String?

    public init(configuration: Configuration, stages: Stages, clock: C, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                deliver: @escaping @Sendable (DesiredState) async -> Void, changed: @escaping @Sendable (SourceStatus) async -> Void = { _ in }) {
        self.configuration = configuration
        self.stages = stages
        self.clock = clock
        self.now = now
        self.deliver = deliver
        self.changed = changed
        var status = SourceStatus(name: configuration.name)
        let time = now()
        status.conditions = [Condition(type: "Ready", status: .unknown, reason: "Progressing", message: "not synced yet", lastTransitionTime: time),
                             Condition(type: "Reconciling", status: .true, reason: "Progressing", message: "first sync", lastTransitionTime: time)]
        self.status = status
    }

    /// Asks for a sync now (a verified webhook call, `serin reconcile`).
    public nonisolated func requestSync() {
        wakeup.send(())
    }

    /// Until cancelled: a sync at the interval, at once when asked, and
    /// after a failure with capped exponential backoff; none while suspended.
    public func run() async {
        while !Task.isCancelled {
            let delay = status.suspension == nil ? await syncOnce() : configuration.interval
            guard await wakeup.take(waitingAtMost: delay, on: clock) != nil else { break }
        }
    }

    // MARK: controls

    /// Holds the source: nothing is fetched or delivered until `resume`.
    public func suspend(_ suspension: SourceSuspension) async {
        status.suspension = suspension
        await publish(announced: true)
    }

    /// Lets the source go on, with a sync now.
    public func resume(by caller: String?) async {
        status.suspension = nil
        forced = "resume" + (caller.map { " by \($0)" } ?? "")
        await publish(announced: true)
        requestSync()
    }

    /// Fetches now and delivers the revision in force again even when the
    /// ref has not moved (Flux's `reconcile --with-source`).
    public func reconcile(by caller: String?) {
        forced = "reconcile" + (caller.map { " by \($0)" } ?? "")
        requestSync()
    }

    /// Delivers `pin`'s commit instead of the ref's until `unpin`.
    public func pin(_ pin: SourcePin) async {
        status.pin = pin
        settled = nil
        revisionFailure = nil
        forced = "rollback" + (pin.by.map { " by \($0)" } ?? "")
        await publish(announced: true)
        requestSync()
    }

    /// Follows the ref again.
    public func unpin(by caller: String?) async {
        status.pin = nil
        settled = nil
        revisionFailure = nil
        forced = "unpin" + (caller.map { " by \($0)" } ?? "")
        await publish(announced: true)
        requestSync()
    }

    /// Who asked for `revision` to be delivered: `git` unless a person did.
    public func trigger(of revision: String) -> String {
        triggers[revision] ?? "git"
    }

    /// One pass through fetch, render and validate; a new valid revision is
    /// handed to the targets. Returns how long to wait before the next.
    @discardableResult
    public func syncOnce() async -> Duration {
        let started = DispatchTime.now()
        let fetched: FetchedRevision?
        do {
            if let pin = status.pin {
                fetched = try await stages.fetcher.fetch(commit: pin.commit, name: Self.refName(pin.revision), unless: settled)
            } else {
                fetched = try await stages.fetcher.fetch(unless: settled)
            }
        } catch {
            fetchFailure = StageFailure(.fetch, reason: "FetchFailed", "\(error)")
            return await fail(fetchFailure!, revision: status.lastAttemptedRevision)
        }
        fetchFailure = nil
        guard let fetched else {
            // The same commit: a refusal of it stands, and is reported again.
            if let revisionFailure { return await fail(revisionFailure, revision: status.lastAttemptedRevision) }
            status.consecutiveFailures = 0
            status.errors = []
            status.lastSyncTime = now()
            if let trigger = forced, let desired = inForce {
                // Asked for: the revision in force, delivered again.
                forced = nil
                triggers[desired.revision] = trigger
                let time = now()
                for target in configuration.targets { status.targets[target] = TargetStatus(revision: desired.revision, settled: false, time: time) }
                await publish()
                await deliver(desired)
                return configuration.interval
            }
            await publish()
            return configuration.interval
        }
        let rendered: RenderedSource
        do {
            rendered = try await stages.renderer.render(RenderRequest(source: configuration.name, files: fetched.files, path: configuration.path))
        } catch let failure as RenderFailure {
            revisionFailure = StageFailure(.render, reason: failure.reason, "\(fetched.revision) not rendered: \(failure.description)")
            return await fail(revisionFailure!, revision: fetched.revision)
        } catch {
            revisionFailure = StageFailure(.render, reason: "RenderFailed", "\(fetched.revision) not rendered: \(error)")
            return await fail(revisionFailure!, revision: fetched.revision)
        }
        let manifests = stages.loader.load(rendered)
        let (diagnostics, plans) = stages.validator.validateAndPlan(manifests)
        let errors = diagnostics.errors.map(\.description)
        guard errors.isEmpty else {
            settled = fetched.revision
            revisionFailure = StageFailure(.validate, reason: "ValidationFailed", "\(fetched.revision) refused: " + Self.summary(errors),
                                           details: errors)
            return await fail(revisionFailure!, revision: fetched.revision)
        }
        settled = fetched.revision
        revisionFailure = nil
        triggers[fetched.revision] = forced ?? "git"
        forced = nil
        let desired = DesiredState(source: configuration.name, revision: fetched.revision, commit: fetched.commit.id, author: fetched.commit.author,
                                   manifests: manifests, plans: plans, checkout: fetched.files.root, warnings: diagnostics.warnings.map(\.description),
                                   renderer: rendered.renderer, commitSummary: fetched.commit)
        inForce = desired
        let time = now()
        status.consecutiveFailures = 0
        status.lastSyncTime = time
        status.lastGoodRevision = desired.revision
        status.lastGoodCommit = fetched.commit
        status.warnings = desired.warnings
        status.lastAttemptedRevision = nil
        status.errors = []
        for target in configuration.targets { status.targets[target] = TargetStatus(revision: desired.revision, settled: false, time: time) }
        await publish()
        await deliver(desired)
        // Fetch, render and validate of a new revision, until it is handed to the targets.
        Timer(label: "serin_git_sync_duration_seconds", dimensions: [("source", configuration.name)]).recordInterval(since: started)
        return configuration.interval
    }

    /// A target's word on a revision it was given.
    public func delivered(to target: String, revision: String, _ result: DeliveryResult) async {
        // A result for an older revision than the one in force says nothing of it.
        guard revision == inForce?.revision else { return }
        let previous = status.targets[target]
        let next = TargetStatus(revision: revision, failure: result.failure, settled: true, time: now())
        let everywhere = configuration.targets.allSatisfy { name in
            let other = name == target ? next : status.targets[name]
            return other.map { $0.settled && $0.revision == revision && ($0.failure == nil || $0.failure?.stage == .health) } ?? false
        }
        if everywhere, status.lastAppliedRevision != revision {
            status.lastAppliedRevision = revision
            if previous.map({ $0.failure == next.failure && $0.settled }) ?? false { await publish() }
        }
        guard previous.map({ $0.failure != next.failure || !$0.settled }) ?? true else { return }
        status.targets[target] = next
        await publish()
    }

    /// `main` of `main@sha1:<id>`; nil for a bare `sha1:<id>`.
    static func refName(_ revision: String) -> String? {
        guard let at = revision.range(of: "@sha1:") else { return nil }
        return String(revision[..<at.lowerBound])
    }

    /// The first problem in full, and how many more: the condition's
    /// message stays one line that names a file:line:column.
    static func summary(_ errors: [String]) -> String {
        guard let first = errors.first else { return "invalid manifests" }
        return errors.count == 1 ? first : "\(first) (and \(errors.count - 1) more)"
    }

    /// A stage before delivery failed: the revision in force stays.
    private func fail(_ failure: StageFailure, revision: String?) async -> Duration {
        status.consecutiveFailures += 1
        status.lastAttemptedRevision = revision
        if failure.stage == .fetch { status.errors = [failure.message] }
        if failure.stage != .fetch { status.lastSyncTime = now() }
        await publish()
        // A refused commit is not read again, but the ref is asked again
        // soon: the commit that mends it is taken without a whole interval's wait.
        return min(configuration.backoff.delay(afterFailures: status.consecutiveFailures, jitter: Double.random(in: 0...1)),
                   max(configuration.interval, configuration.backoff.cap))
    }

    /// The conditions from the stages' state, then the listeners.
    /// Tells `changed` when the status differs from before the call, or
    /// always when `announced` (a control set a field before publishing).
    private func publish(announced: Bool = false) async {
        let failure = fetchFailure ?? revisionFailure
        let time = now()
        let before = status
        var conditions = status.conditions
        let revision = inForce?.revision
        if let failure {
            status.ready = false
            status.reason = failure.reason
            status.message = failure.message
            if failure.stage != .fetch {
                status.errors = failure.details.isEmpty ? [failure.message] : failure.details
            }
            conditions.set(Condition(type: "Ready", status: .false, reason: failure.reason, message: failure.message, lastTransitionTime: time,
                                     observedRevision: status.lastAttemptedRevision ?? revision))
            if failure.needsNewCommit {
                conditions.set(Condition(type: "Stalled", status: .true, reason: failure.reason, message: "waiting for a commit that fixes it",
                                         lastTransitionTime: time, observedRevision: status.lastAttemptedRevision))
                conditions.remove(type: "Reconciling")
            } else {
                conditions.remove(type: "Stalled")
                conditions.set(Condition(type: "Reconciling", status: .true, reason: "RetryingAfterFailure",
                                         message: "attempt \(status.consecutiveFailures + 1) after a failure", lastTransitionTime: time))
            }
        } else if let revision {
            let targets = configuration.targets.compactMap { name in status.targets[name].map { (name, $0) } }
            let failing = targets.filter { $0.1.failure != nil && $0.1.revision == revision }
            let pending = targets.filter { !$0.1.settled }.map(\.0)
            conditions.remove(type: "Stalled")
            if let (target, first) = failing.first, let problem = first.failure {
                status.ready = false
                status.reason = problem.reason
                let place = configuration.targets.count > 1 ? "\(target): " : ""
                status.message = "\(revision): \(place)\(problem.message)"
                conditions.set(Condition(type: "Ready", status: .false, reason: problem.reason, message: status.message, lastTransitionTime: time,
                                         observedRevision: revision))
                conditions.set(Condition(type: "Reconciling", status: .true, reason: "RetryingAfterFailure",
                                         message: "\(failing.map(\.0).joined(separator: ", ")) will be tried again", lastTransitionTime: time))
            } else if !pending.isEmpty {
                status.ready = false
                status.reason = "Progressing"
                status.message = "applying \(revision)" + (configuration.targets.count > 1 ? " to \(pending.joined(separator: ", "))" : "")
                conditions.set(Condition(type: "Ready", status: .unknown, reason: "Progressing", message: status.message, lastTransitionTime: time,
                                         observedRevision: revision))
                conditions.set(Condition(type: "Reconciling", status: .true, reason: "Progressing", message: status.message,
                                         lastTransitionTime: time, observedRevision: revision))
            } else {
                status.ready = true
                status.reason = "Succeeded"
                status.message = "applied \(revision)"
                conditions.set(Condition(type: "Ready", status: .true, reason: "Succeeded", message: status.message, lastTransitionTime: time,
                                         observedRevision: revision))
                conditions.remove(type: "Reconciling")
            }
        }
        status.conditions = conditions
        if status != before || announced { await changed(status) }
    }

    /// What the API shows of this source.
    public func report(url: String, ref: String) -> SourceStatusReport {
        SourceStatusReport(name: configuration.name, url: url, ref: ref, path: configuration.path, revision: status.lastGoodRevision,
                           commit: status.lastGoodCommit, lastAttemptedRevision: status.lastAttemptedRevision,
                           lastSyncTime: status.lastSyncTime, conditions: status.conditions, errors: status.errors,
                           warnings: status.warnings, lastAppliedRevision: status.lastAppliedRevision, suspension: status.suspension,
                           pin: status.pin)
    }
}
