import Foundation
import Metrics
import SerinSpec

/// One source's way from Git to its targets, in stages: fetch (a commit and
/// its tree) → render (its documents, per target path) → validate + plan
/// (one parse; the object validated is the object applied) → deliver
/// (apply and release, per target, through the targets' work queues),
/// wave by wave when the source has waves. Each stage takes one value and
/// returns one; the source's status is the sum of them: which stage holds
/// it back, and why. A failure at any stage never replaces the revision in
/// force: only a new valid revision is delivered.
public actor SourcePipeline<C: Clock> where C.Duration == Duration {
    public struct Configuration: Sendable {
        public var name: String
        /// The source's path inside its repository.
        public var path: String
        public var interval: Duration
        /// The targets its revisions go to, in waves.
        public var waves: WavePlan
        /// A target's own path (an overlay per cluster), instead of `path`.
        public var paths: [String: String]
        public var backoff: Backoff
        /// How often a wave in progress is looked at.
        public var waveCheck: Duration

        public init(name: String, path: String, interval: Duration, targets: [String], backoff: Backoff = Backoff()) {
            self.init(name: name, path: path, interval: interval, waves: .allAtOnce(targets), backoff: backoff)
        }

        public init(name: String, path: String, interval: Duration, waves: WavePlan, paths: [String: String] = [:],
                    backoff: Backoff = Backoff(), waveCheck: Duration = .seconds(2)) {
            self.name = name
            self.path = path
            self.interval = interval
            self.waves = waves
            self.paths = paths
            self.backoff = backoff
            self.waveCheck = waveCheck
        }

        public var targets: [String] { waves.targets }
        public func path(of target: String) -> String { paths[target] ?? path }
    }

    public struct Stages: Sendable {
        public var fetcher: any SourceFetcher
        public var renderer: any Renderer
        public var loader: ManifestLoader
        public var validator: Validator
        /// A target's own renderer, instead of `renderer` (a cluster's own
        /// post-build variables, or its own objects to substitute from).
        public var targetRenderers: [String: any Renderer]

        public init(fetcher: any SourceFetcher, renderer: any Renderer, loader: ManifestLoader = ManifestLoader(), validator: Validator,
                    targetRenderers: [String: any Renderer] = [:]) {
            self.fetcher = fetcher
            self.renderer = renderer
            self.loader = loader
            self.validator = validator
            self.targetRenderers = targetRenderers
        }
    }

    /// How the pipeline reaches its targets.
    public struct Targets: Sendable {
        /// Hands a revision to a target's queue.
        public var deliver: @Sendable (_ target: String, DesiredState) async -> Void
        /// How the release of a revision stands on a target (for waves).
        public var release: @Sendable (_ target: String, DesiredState) async -> ReleaseState

        public init(deliver: @escaping @Sendable (_ target: String, DesiredState) async -> Void,
                    release: @escaping @Sendable (_ target: String, DesiredState) async -> ReleaseState = { _, _ in .released }) {
            self.deliver = deliver
            self.release = release
        }
    }

    public nonisolated let configuration: Configuration
    private let stages: Stages
    private let clock: C
    private let now: @Sendable () -> Double
    private let targets: Targets
    private let waveStore: any WaveStore
    /// Told each time the status changes (events, alerts, metrics).
    private let changed: @Sendable (SourceStatus) async -> Void
    private let wakeup = Mailbox<Void>()
    /// How many times `run` has come to its wait: a test's sign that the
    /// loop has looked at the source (and, suspended, left it alone).
    public private(set) var passes = 0
    public private(set) var status: SourceStatus
    /// The newest revision that passed every stage before delivery (for
    /// the first target; `given` has each target's own).
    public private(set) var inForce: DesiredState?
    /// What each target was given last: its revision in force.
    public private(set) var given: [String: DesiredState] = [:]
    /// Where the newest revision stands in the waves (staged sources only).
    public private(set) var record: WaveRecord?
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
    /// The newest valid revision, per target.
    private var newest: [String: DesiredState] = [:]
    private var restored = false
    /// The targets beyond the revision's wave were handed what they kept (once, after a restart).
    private var handedOverKept = false

    public init(configuration: Configuration, stages: Stages, clock: C, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                targets: Targets, waveStore: any WaveStore = NoWaveStore(), changed: @escaping @Sendable (SourceStatus) async -> Void = { _ in }) {
        self.configuration = configuration
        self.stages = stages
        self.clock = clock
        self.now = now
        self.targets = targets
        self.waveStore = waveStore
        self.changed = changed
        noTargets = configuration.targets.isEmpty
        var status = SourceStatus(name: configuration.name)
        let time = now()
        status.conditions = [Condition(type: "Ready", status: .unknown, reason: "Progressing", message: "not synced yet", lastTransitionTime: time),
                             Condition(type: "Reconciling", status: .true, reason: "Progressing", message: "first sync", lastTransitionTime: time)]
        self.status = status
    }

    /// Each revision to `deliver`, once per target (once when there is none).
    public init(configuration: Configuration, stages: Stages, clock: C, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                deliver: @escaping @Sendable (DesiredState) async -> Void, changed: @escaping @Sendable (SourceStatus) async -> Void = { _ in }) {
        self.init(configuration: configuration, stages: stages, clock: clock, now: now,
                  targets: Targets(deliver: { _, desired in await deliver(desired) }), changed: changed)
    }

    /// A pipeline without targets (tests, benchmarks) hands each revision on once.
    private let noTargets: Bool

    /// Asks for a sync now (a verified webhook call, `serin reconcile`).
    public nonisolated func requestSync() {
        wakeup.send(())
    }

    /// Until cancelled: a sync at the interval, at once when asked, and
    /// after a failure with capped exponential backoff; a wave in progress
    /// is looked at every `waveCheck`; nothing while suspended.
    public func run() async {
        var nextSync = clock.now
        while !Task.isCancelled {
            if clock.now >= nextSync {
                // Suspended: nothing is fetched or delivered, the loop only waits for resume.
                nextSync = clock.now.advanced(by: status.suspension == nil ? await syncOnce() : configuration.interval)
            }
            if status.suspension == nil { await advanceWaves() }
            var wait = clock.now.duration(to: nextSync)
            if waveInProgress { wait = min(wait, configuration.waveCheck) }
            passes += 1
            guard let woken = await wakeup.take(waitingAtMost: max(wait, .zero), on: clock) else { break }
            // Asked to sync (a webhook, a command): now.
            if !woken.isEmpty { nextSync = clock.now }
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
    /// handed to the targets (its first wave's). Returns how long to wait before the next.
    @discardableResult
    public func syncOnce() async -> Duration {
        await restoreRecord()
        let started = DispatchTime.now()
        let fetched: FetchedRevision?
        do {
            if let pin = status.pin {
                fetched = settled == pin.revision ? nil : try await stages.fetcher.fetch(revision: pin.revision)
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
            if let trigger = forced, !given.isEmpty {
                // Asked for: each target's revision in force, delivered again.
                forced = nil
                let time = now()
                for (target, desired) in given {
                    triggers[desired.revision] = trigger
                    status.targets[target] = TargetStatus(revision: desired.revision, settled: false, time: time)
                }
                await publish()
                for (target, desired) in given { await targets.deliver(target, desired) }
                return configuration.interval
            }
            await publish()
            return configuration.interval
        }
        let desired: [String: DesiredState]
        do {
            desired = try await read(fetched)
        } catch let failure as StageFailure {
            if failure.needsNewCommit { settled = fetched.revision }
            revisionFailure = failure
            return await fail(failure, revision: fetched.revision)
        } catch {
            revisionFailure = StageFailure(.render, reason: "RenderFailed", "\(fetched.revision) not rendered: \(error)")
            return await fail(revisionFailure!, revision: fetched.revision)
        }
        settled = fetched.revision
        revisionFailure = nil
        triggers[fetched.revision] = forced ?? "git"
        forced = nil
        newest = desired
        let first = configuration.targets.first.flatMap { desired[$0] } ?? desired.values.first
        inForce = first
        let time = now()
        status.consecutiveFailures = 0
        status.lastSyncTime = time
        status.lastGoodRevision = fetched.revision
        status.lastGoodCommit = fetched.commit
        status.warnings = first?.warnings ?? []
        status.lastAttemptedRevision = nil
        status.errors = []
        if noTargets, let first {
            await publish()
            await targets.deliver("", first)
        } else if configuration.waves.isStaged {
            if let record, record.revision == fetched.revision, !handedOverKept {
                await resumeWaves(record, desired)
            } else {
                await startWaves(fetched.revision, desired)
            }
        } else {
            await give(configuration.targets, desired)
        }
        // Fetch, render and validate of a new revision, until it is handed to the targets.
        Timer(label: "serin_git_sync_duration_seconds", dimensions: [("source", configuration.name)]).recordInterval(since: started)
        return configuration.interval
    }

    /// Render and validate, once per distinct path (and renderer) of the
    /// targets; the revision is refused whole when any of them is.
    private func read(_ fetched: FetchedRevision) async throws -> [String: DesiredState] {
        var byPath: [String: DesiredState] = [:]
        var result: [String: DesiredState] = [:]
        let names = configuration.targets.isEmpty ? [""] : configuration.targets
        for target in names {
            let path = configuration.path(of: target)
            let renderer = stages.targetRenderers[target]
            let key = renderer == nil ? path : path + "\u{0}" + target
            if let known = byPath[key] {
                result[target] = known
                continue
            }
            let rendered: RenderedSource
            do {
                rendered = try await (renderer ?? stages.renderer).render(RenderRequest(source: configuration.name, files: fetched.files, path: path))
            } catch let failure as RenderFailure {
                throw StageFailure(.render, reason: failure.reason, "\(fetched.revision) not rendered\(self.forTarget(target)): \(failure.description)")
            }
            let manifests = stages.loader.load(rendered)
            let (diagnostics, plans) = stages.validator.validateAndPlan(manifests)
            let errors = diagnostics.errors.map(\.description)
            guard errors.isEmpty else {
                throw StageFailure(.validate, reason: "ValidationFailed", "\(fetched.revision) refused\(forTarget(target)): " + Self.summary(errors),
                                   details: errors)
            }
            let desired = DesiredState(source: configuration.name, revision: fetched.revision, commit: fetched.commit.id,
                                       author: fetched.commit.author, manifests: manifests, plans: plans, checkout: fetched.files.root,
                                       warnings: diagnostics.warnings.map(\.description), renderer: rendered.renderer,
                                       commitSummary: fetched.commit)
            byPath[key] = desired
            result[target] = desired
        }
        return result
    }

    /// ` for TARGET` where a target renders on its own (its path or renderer); empty otherwise.
    private func forTarget(_ target: String) -> String {
        configuration.paths[target] != nil || stages.targetRenderers[target] != nil ? " for \(target)" : ""
    }

    /// Hands `desired` to `names`, each its own document set.
    private func give(_ names: [String], _ desired: [String: DesiredState]) async {
        let time = now()
        for target in names {
            guard let revision = desired[target] else { continue }
            given[target] = revision
            status.targets[target] = TargetStatus(revision: revision.revision, settled: false, time: time)
        }
        await publish()
        for target in names {
            if let revision = desired[target] { await targets.deliver(target, revision) }
        }
    }

    /// A target's word on a revision it was given.
    public func delivered(to target: String, revision: String, _ result: DeliveryResult) async {
        // A result for an older revision than the target's in force says nothing of it.
        guard revision == given[target]?.revision ?? inForce?.revision else { return }
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

    // MARK: waves

    private var waveInProgress: Bool {
        guard configuration.waves.isStaged, let record else { return false }
        return !record.isDone(in: configuration.waves) && record.hold != .pause
    }

    /// A new revision starts again from the first wave; later waves keep
    /// what they were given until it reaches them.
    private func startWaves(_ revision: String, _ desired: [String: DesiredState]) async {
        var assigned = record?.assigned ?? [:]
        let firstWave = configuration.waves.waves[0]
        for target in firstWave { assigned[target] = revision }
        record = WaveRecord(revision: revision, assigned: assigned, time: now())
        await saveRecord()
        await give(firstWave, desired)
        await handOverKept(except: Set(firstWave))
    }

    /// The revision the record holds, after a restart: it goes on from its
    /// wave (with its pause or bake), not from the first. Every target up
    /// to that wave is handed it again (nothing changes where it was
    /// applied; the target's reconciler takes up its rollouts).
    private func resumeWaves(_ record: WaveRecord, _ desired: [String: DesiredState]) async {
        let reached = Array(configuration.waves.waves.prefix(record.wave + 1).joined())
        await give(reached, desired)
        await handOverKept(except: Set(reached))
    }

    /// After a restart, the targets beyond the revision's wave are handed
    /// what they kept (read again from Git), once: their reconcilers take
    /// up their rollouts as they were.
    private func handOverKept(except names: Set<String>) async {
        guard !handedOverKept else { return }
        handedOverKept = true
        let kept = given.filter { !names.contains($0.key) }
        guard !kept.isEmpty else { return }
        await give(kept.keys.sorted(), kept)
    }

    /// Looks at the wave in progress: its targets' releases move the
    /// revision on to the next wave, or hold it where it failed.
    public func advanceWaves() async {
        guard configuration.waves.isStaged, var record, !record.isDone(in: configuration.waves), newest.first?.value.revision == record.revision
        else { return }
        let plan = configuration.waves
        let time = now()
        switch record.hold {
        case .pause?:
            return
        case .bake(let until)?:
            guard time >= until else { return }
            record.hold = nil
            await next(&record)
            return
        case .failed?, .unreachable?, nil:
            break
        }
        var released: [String] = []
        var failed: (String, String)?
        var unreachable: (String, String)?
        for target in plan.waves[record.wave] {
            guard let desired = newest[target] else { continue }
            // Applied (and healthy) first; then its Canaries.
            guard let applied = status.targets[target], applied.revision == record.revision, applied.settled, applied.failure == nil else {
                if let failure = status.targets[target]?.failure, status.targets[target]?.revision == record.revision {
                    if failure.reason == StageFailure.unreachable {
                        unreachable = unreachable ?? (target, failure.message)
                    } else {
                        failed = failed ?? (target, failure.message)
                    }
                }
                continue
            }
            switch await targets.release(target, desired) {
            case .released: released.append(target)
            case .failed(let reason): failed = failed ?? (target, reason)
            case .unreachable(let reason): unreachable = unreachable ?? (target, reason)
            case .releasing: continue
            }
        }
        // A failure holds the revision for good; a target out of reach only until it answers.
        let hold: WaveRecord.Hold? = failed.map { .failed(target: $0.0, reason: $0.1) }
            ?? unreachable.map { .unreachable(target: $0.0, reason: $0.1) }
        if released != record.released || hold != record.hold {
            record.released = released
            record.hold = hold
            record.time = time
            self.record = record
            await saveRecord()
            await publish()
        }
        guard hold == nil, released.count == plan.waves[record.wave].count else { return }
        if record.wave + 1 < plan.waves.count {
            if plan.pause {
                record.hold = .pause
            } else if plan.bake > .zero {
                let seconds = Double(plan.bake.components.seconds) + Double(plan.bake.components.attoseconds) / 1e18
                record.hold = .bake(until: time + seconds)
            }
            if record.hold != nil {
                self.record = record
                await saveRecord()
                await publish()
                return
            }
        }
        await next(&record)
    }

    /// The wave released the revision: on to the next one (or done).
    private func next(_ record: inout WaveRecord) async {
        record.wave += 1
        record.released = []
        record.hold = nil
        record.time = now()
        let plan = configuration.waves
        if record.wave < plan.waves.count {
            for target in plan.waves[record.wave] { record.assigned[target] = record.revision }
        }
        self.record = record
        await saveRecord()
        if record.wave < plan.waves.count {
            await give(plan.waves[record.wave], newest)
        } else {
            await publish()
        }
    }

    /// `serin promote SOURCE`: opens a paused wave's gate. False when no wave waits.
    @discardableResult
    public func promote() async -> Bool {
        guard var record, record.hold == .pause else { return false }
        record.hold = nil
        await next(&record)
        return true
    }

    private func restoreRecord() async {
        guard !restored, configuration.waves.isStaged else { return }
        restored = true
        do {
            record = try await waveStore.load(source: configuration.name)
        } catch {
            status.errors = ["the record of waves cannot be read: \(error)"]
        }
        guard let record else { return }
        // Later waves keep what they were given: read it again for resyncs.
        for (target, revision) in record.assigned where revision != record.revision {
            do {
                let fetched = try await stages.fetcher.fetch(revision: revision)
                if let desired = try await read(fetched)[target] { given[target] = desired }
            } catch {
                status.errors.append("\(target) keeps \(revision), which cannot be read again: \(error)")
            }
        }
    }

    private func saveRecord() async {
        guard let record else { return }
        do {
            try await waveStore.save(record, source: configuration.name)
        } catch {
            status.errors.append("where \(record.revision) stands in its waves is not saved: \(error)")
        }
    }

    // MARK: status

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
        let revision = status.lastGoodRevision
        status.waves = waveStatus()
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
            let failing = targets.filter { $0.1.failure != nil && $0.1.revision == given[$0.0]?.revision }
            let pending = targets.filter { !$0.1.settled }.map(\.0)
            let multiple = configuration.targets.count > 1
            conditions.remove(type: "Stalled")
            if let (target, first) = failing.first, let problem = first.failure {
                status.ready = false
                status.reason = problem.reason
                status.message = "\(first.revision): \(multiple ? "\(target): " : "")\(problem.message)"
                conditions.set(Condition(type: "Ready", status: .false, reason: problem.reason, message: status.message, lastTransitionTime: time,
                                         observedRevision: first.revision))
                conditions.set(Condition(type: "Reconciling", status: .true, reason: "RetryingAfterFailure",
                                         message: "\(failing.map(\.0).joined(separator: ", ")) will be tried again", lastTransitionTime: time))
            } else if let (target, reason) = record?.halt, record?.revision == revision {
                status.ready = false
                status.reason = "WaveHalted"
                status.message = "\(revision) halted at wave \((record?.wave ?? 0) + 1) (\(target)): \(reason); later waves keep what they have"
                conditions.set(Condition(type: "Ready", status: .false, reason: "WaveHalted", message: status.message, lastTransitionTime: time,
                                         observedRevision: revision))
                conditions.remove(type: "Reconciling")
            } else if !pending.isEmpty || waveInProgress || record?.hold == .pause {
                status.ready = false
                status.reason = "Progressing"
                status.message = progressMessage(revision, pending: pending)
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

    private func progressMessage(_ revision: String, pending: [String]) -> String {
        if let record, configuration.waves.isStaged, record.revision == revision, !record.isDone(in: configuration.waves) {
            let wave = configuration.waves.waves[record.wave]
            let number = "wave \(record.wave + 1) of \(configuration.waves.waves.count) (\(wave.joined(separator: ", ")))"
            switch record.hold {
            case .pause?: return "\(revision) released by \(number); the next wave waits for serin promote \(configuration.name)"
            case .bake(let until)?: return "\(revision) released by \(number); baking until \(Int(until))"
            default: return "releasing \(revision) in \(number)"
            }
        }
        return "applying \(revision)" + (configuration.targets.count > 1 && !pending.isEmpty ? " to \(pending.joined(separator: ", "))" : "")
    }

    private func waveStatus() -> WaveStatus? {
        guard configuration.waves.isStaged else { return nil }
        var hold: String?
        switch record?.hold {
        case .failed(let target, let reason)?, .unreachable(let target, let reason)?: hold = "\(target): \(reason)"
        case .pause?: hold = "waiting for serin promote \(configuration.name)"
        case .bake(let until)?: hold = "baking until \(Int(until))"
        case nil: hold = nil
        }
        return WaveStatus(waves: configuration.waves.waves, revision: record?.revision, wave: record.map { $0.wave + 1 },
                          hold: hold, revisions: record?.assigned ?? [:])
    }

    /// What the API shows of this source.
    public func report(url: String, ref: String) -> SourceStatusReport {
        var report = SourceStatusReport(name: configuration.name, url: url, ref: ref, path: configuration.path, revision: status.lastGoodRevision,
                                        commit: status.lastGoodCommit, lastAttemptedRevision: status.lastAttemptedRevision,
                                        lastSyncTime: status.lastSyncTime, conditions: status.conditions, errors: status.errors,
                                        warnings: status.warnings, lastAppliedRevision: status.lastAppliedRevision, suspension: status.suspension,
                                        pin: status.pin)
        report.waves = status.waves
        if configuration.targets.count > 1 {
            report.targets = status.targets.mapValues { TargetReport(revision: $0.revision, applied: $0.settled && $0.failure == nil,
                                                                     failure: $0.failure?.message) }
        }
        return report
    }
}

/// A staged source's waves, as the API shows them.
public struct WaveStatus: Sendable, Equatable, Codable {
    public var waves: [[String]]
    /// The revision travelling through them.
    public var revision: String?
    /// The wave it is in, from 1 (one past the last: every wave released it).
    public var wave: Int?
    /// Why it is held there, if it is.
    public var hold: String?
    /// The revision each target holds.
    public var revisions: [String: String]

    public init(waves: [[String]], revision: String?, wave: Int?, hold: String?, revisions: [String: String]) {
        self.waves = waves
        self.revision = revision
        self.wave = wave
        self.hold = hold
        self.revisions = revisions
    }

    /// One line: `main@sha1:… in wave 2 of 3 (eu, us)`, `… released by every wave`, with the hold.
    public var summary: String {
        guard let revision, let wave else { return "no revision yet" }
        let position = wave > waves.count ? "released by every wave"
            : "in wave \(wave) of \(waves.count) (\(waves[wave - 1].joined(separator: ", ")))"
        return "\(revision) \(position)" + (hold.map { "; held: \($0)" } ?? "")
    }
}

/// One target of a source, as the API shows it.
public struct TargetReport: Sendable, Equatable, Codable {
    public var revision: String
    public var applied: Bool
    public var failure: String?

    public init(revision: String, applied: Bool, failure: String?) {
        self.revision = revision
        self.applied = applied
        self.failure = failure
    }
}
