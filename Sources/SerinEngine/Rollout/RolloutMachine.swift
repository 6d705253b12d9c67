import SerinSpec

/// One Canary's release, as a value with no I/O: events in, actions out.
/// The owner performs the actions (routes, processes, checks, webhooks,
/// persistence) and reports what happened as further events.
///
/// It runs the compiled `Plan` with Flagger's semantics: at each interval
/// the step's checks run; a failed check holds the weight and counts; at
/// `threshold` failures the canary is rolled back; after the last step the
/// canary's revision is promoted. A new revision during a release restarts
/// it from the first step with all traffic on the primary.
public struct RolloutMachine: Sendable, Equatable {
    public let plan: Plan
    public private(set) var state: RolloutState

    /// `plan.digest`, computed once.
    public let planDigest: String

    public init(plan: Plan, state: RolloutState = RolloutState()) {
        self.plan = plan
        planDigest = plan.digest
        // A check in flight when the state was saved will never answer:
        // after a restart the checks simply run again at the next tick.
        self.state = state.settled
    }

    /// The saved state was written under another plan (the Canary was
    /// edited) while a release was in flight.
    public var planChangedMidRelease: Bool {
        guard let saved = state.planDigest, saved != planDigest, state.canaryRevision != nil else { return false }
        return [.progressing, .waiting, .waitingPromotion, .paused].contains(state.phase)
    }

    private var interval: Double { GoDuration.seconds(plan.interval) }

    /// Nothing is released and nothing is awaited: no tick can change
    /// anything, only an event (a new revision, a command) can. Its owner
    /// need not tick it.
    public var isAtRest: Bool {
        state.waiting == .nothing && [.initialized, .succeeded, .failed].contains(state.phase)
    }

    /// Whether a command can be carried out now; a refusal says why (the API
    /// answers 409 with it).
    public enum CommandResult: Sendable, Equatable {
        case accepted
        case refused(String)
    }

    public private(set) var lastCommandResult: CommandResult = .accepted

    private var deadline: Double { Double(plan.progressDeadline.components.seconds) }

    /// Handles one event and returns the actions it calls for, in order.
    public mutating func handle(_ event: RolloutEvent) -> [RolloutAction] {
        let before = state
        var actions: [RolloutAction] = []
        if case .planChanged = event {} else { state.planDigest = planDigest }
        if plan.suspended {
            suspended(event)
        } else if state.phase == .paused {
            held(event, &actions)
        } else {
            apply(event, &actions)
        }
        if state.phase != before.phase {
            let severity: RolloutNotification.Severity = state.phase == .failed ? .error : .info
            actions.append(.notify(RolloutNotification(severity: severity, phase: state.phase, message: state.message)))
        }
        // Checks in flight are not worth a write: a restart runs them again.
        // The decision is saved before anything acts on it (write-ahead): a
        // crash in the middle of the I/O resumes from the decision, and the
        // owner re-asserts what it implies, idempotently.
        if state.settled != before.settled { actions.insert(.persist, at: 0) }
        return actions
    }

    /// `spec.suspend`, as Flagger's scheduler skips a suspended Canary:
    /// nothing moves, not even a rollback. A new revision is left for when
    /// the Canary is resumed (Git's next delivery brings it again); a check
    /// in flight is dropped; commands are refused.
    private mutating func suspended(_ event: RolloutEvent) {
        switch event {
        case .checks where state.waiting == .checkResult:
            state.waiting = .nextTick
        case .checks where state.checking:
            state.checking = false
        case .command:
            lastCommandResult = .refused("the Canary is suspended (spec.suspend): clear it in Git first")
        default:
            break
        }
    }

    /// While paused nothing moves: ticks do nothing, a check result in
    /// flight is dropped (the checks run again after resume), gate answers
    /// are dropped (gates are asked again), readiness is reported again.
    private mutating func held(_ event: RolloutEvent, _ actions: inout [RolloutAction]) {
        switch event {
        case .command, .newRevision, .planChanged, .gate(.rollback, _, _, _):
            apply(event, &actions)
        case .tick:
            // A rollback webhook is asked even while paused.
            if hasGate(.rollback) && state.canaryRevision != nil { actions.append(.askGate(.rollback)) }
        case .checks where state.waiting == .checkResult:
            state.waiting = .nextTick
        case .checks where state.checking:
            state.checking = false
        default:
            break
        }
    }

    private mutating func apply(_ event: RolloutEvent, _ actions: inout [RolloutAction]) {
        switch event {
        case .newRevision(let revision, let now): newRevision(revision, now, &actions)
        case .tick(let now): tick(now, &actions)
        case .canaryReady(let now): canaryReady(now, &actions)
        case .primaryReady(let now): primaryReady(now, &actions)
        case .checks(let outcome, let now): checks(outcome, now, &actions)
        case .gate(let kind, let open, let reason, let now): gate(kind, open, reason, now, &actions)
        case .command(let command, let caller, let now): lastCommandResult = self.command(command, by: caller, now, &actions)
        case .canaryUnready(let reason, let now): canaryUnready(reason, now, &actions)
        case .canaryCannotStart(let reason, _): canaryCannotStart(reason, &actions)
        case .planChanged(let now): planChanged(now, &actions)
        case .primaryUnready(let reason, let now): primaryUnready(reason, now, &actions)
        case .adopted(let revision, let now): adopted(revision, now)
        }
    }

    // MARK: - Events

    private mutating func newRevision(_ revision: String, _ now: Double, _ actions: inout [RolloutAction]) {
        guard let primary = state.primaryRevision else {
            state.primaryRevision = revision
            state.phase = .initializing
            state.waiting = .primaryReady
            state.message = "deploying \(revision) as the primary"
            actions.append(.deployPrimary(revision: revision))
            return
        }
        if revision == state.canaryRevision { return }
        if state.phase == .promoting || state.phase == .finalising {
            // The primary is being replaced: finish that, then release this
            // one (a revert to the old primary included: it is a new release
            // of what the primary ran, not the promotion's success).
            state.pendingRevision = revision
            state.message = "\(revision) waits for the promotion of \(state.canaryRevision ?? "") to finish"
            return
        }
        if revision == primary {
            // Git went back to what the primary runs: the release is moot.
            guard state.canaryRevision != nil else { return }
            stopCanary("Git reverted to the primary's revision \(revision)", phase: .succeeded, &actions)
            return
        }
        if revision == state.failedRevision && state.phase == .failed { return }
        start(revision, now, restart: state.canaryRevision != nil, &actions)
    }

    private mutating func tick(_ now: Double, _ actions: inout [RolloutAction]) {
        switch state.waiting {
        case .canaryReady where now - state.lastProgress > deadline:
            rollback("the canary was not ready within the progress deadline (\(GoDuration.format(plan.progressDeadline)))", &actions)
        case .canaryReady, .until:
            // No checks run now: a rollback webhook is still asked.
            if case .until(let time) = state.waiting, now >= time {
                advance(now, &actions)
            } else if hasGate(.rollback) {
                actions.append(.askGate(.rollback))
            }
        case .nextTick where now + Self.early >= state.nextCheckAt ?? 0:
            state.waiting = .checkResult
            actions.append(.runChecks)
        case .gate(let kind) where kind != .confirmRollout && kind != .preRollout:
            // Gates never stop analysis: the checks run at every interval
            // while the gate is asked again, and failures count.
            if now + Self.early >= state.nextCheckAt ?? 0 {
                state.checking = true
                actions.append(.runChecks)
            }
            actions.append(.askGate(kind))
        case .gate(let kind):
            // Gates are asked again at every interval until they open.
            actions.append(.askGate(kind))
        case .manualGate:
            if now + Self.early >= state.nextCheckAt ?? 0 {
                state.checking = true
                actions.append(.runChecks)
            }
        case .primaryReady where state.phase == .promoting && now - state.lastProgress > deadline:
            failPromotion(now, &actions)
        case .nothing where state.phase == .promoting:
            promotionTraffic(&actions)
        case .nothing where state.phase == .finalising:
            state.phase = .succeeded
            state.canaryRevision = nil
            state.message = "promoted \(state.primaryRevision ?? "")"
            actions.append(.callWebhooks(WebhookType.postRollout.rawValue))
            if let pending = state.pendingRevision {
                // The success is announced before the next release begins.
                actions.append(.notify(RolloutNotification(severity: .info, phase: .succeeded, message: state.message)))
                state.pendingRevision = nil
                if pending != state.primaryRevision { start(pending, now, restart: false, &actions) }
            }
        default:
            break
        }
    }

    /// Ticks and readiness reports come from clocks that do not agree to
    /// the microsecond: a check due within this many seconds is due.
    static let early = 0.05

    private mutating func canaryReady(_ now: Double, _ actions: inout [RolloutAction]) {
        guard state.waiting == .canaryReady else { return }
        state.lastProgress = now
        if plan.skipAnalysis {
            beginPromotion(&actions)
        } else {
            beginAnalysis(now, &actions)
        }
    }

    /// Waiting for a canary that can never start would only run out the
    /// progress deadline: the release fails now, with the platform's reason.
    private mutating func canaryCannotStart(_ reason: String, _ actions: inout [RolloutAction]) {
        guard state.canaryRevision != nil, state.waiting == .canaryReady else { return }
        rollback("the canary cannot start: \(reason)", &actions)
    }

    /// The canary stopped being ready while it is being judged (Flagger's
    /// `IsCanaryReady` failing): the analysis halts, no check is counted;
    /// past the progress deadline without progress it is rolled back.
    private mutating func canaryUnready(_ reason: String, _ now: Double, _ actions: inout [RolloutAction]) {
        guard state.canaryRevision != nil, state.phase == .progressing || state.phase == .waitingPromotion else { return }
        switch state.waiting {
        case .canaryReady, .primaryReady, .nothing, .gate(.confirmRollout), .gate(.preRollout): return
        default: break
        }
        halt("the canary \(state.canaryRevision ?? "") is not ready: \(reason)", now, &actions)
    }

    /// The primary stopped serving mid-release (Flagger's `IsPrimaryReady`
    /// failing in the analysis): halted the same way, rolled back past the
    /// progress deadline.
    private mutating func primaryUnready(_ reason: String, _ now: Double, _ actions: inout [RolloutAction]) {
        guard state.canaryRevision != nil, [.progressing, .waitingPromotion, .waiting].contains(state.phase) else { return }
        halt("the primary \(state.primaryRevision ?? "") is not ready: \(reason)", now, &actions)
    }

    private mutating func halt(_ why: String, _ now: Double, _ actions: inout [RolloutAction]) {
        if now - state.lastProgress > deadline {
            rollback("\(why), for longer than the progress deadline (\(GoDuration.format(plan.progressDeadline)))", &actions)
            return
        }
        if state.waiting == .checkResult { state.waiting = .nextTick }
        state.checking = false
        state.message = "halted: \(why)"
    }

    /// The primary already runs `revision`: it is the primary's, with
    /// nothing to deploy (a cluster taken over from Flagger, a lost state).
    private mutating func adopted(_ revision: String, _ now: Double) {
        guard state.primaryRevision == nil else { return }
        state.primaryRevision = revision
        state.phase = .initialized
        state.waiting = .nothing
        state.lastProgress = now
        state.message = "adopted \(revision): the primary already runs it"
    }

    /// The Canary was edited mid-release: start its analysis over.
    private mutating func planChanged(_ now: Double, _ actions: inout [RolloutAction]) {
        state.planDigest = planDigest
        guard let revision = state.canaryRevision,
              [.progressing, .waiting, .waitingPromotion, .paused].contains(state.phase) else { return }
        start(revision, now, restart: true, &actions)
        state.message = "the Canary changed: restarting the analysis of \(revision) from the first step"
    }

    private mutating func primaryReady(_ now: Double, _ actions: inout [RolloutAction]) {
        guard state.waiting == .primaryReady else { return }
        state.waiting = .nothing
        state.lastProgress = now
        if state.phase == .initializing {
            state.phase = .initialized
            state.message = "\(state.primaryRevision ?? "") is the primary"
            return
        }
        // Promoting: the primary now runs the canary's revision.
        state.primaryRevision = state.canaryRevision
        promotionTraffic(&actions)
    }

    private mutating func checks(_ outcome: CheckOutcome, _ now: Double, _ actions: inout [RolloutAction]) {
        if state.checking {
            // Checks while a gate waits: they never open it, failures count.
            state.checking = false
            state.nextCheckAt = now + interval
            if case .failed(let reason) = outcome { failCheck(reason, then: state.waiting, &actions) }
            return
        }
        guard state.waiting == .checkResult, state.phase == .progressing else { return }
        guard case .analyze(let ticks) = currentStep else { return }
        state.nextCheckAt = now + interval
        switch outcome {
        case .passed:
            state.passedTicks += 1
            state.lastProgress = now
            if state.passedTicks >= ticks {
                advance(now, &actions)
            } else {
                state.waiting = .nextTick
                state.message = "analysis \(state.passedTicks)/\(ticks) passed"
            }
        case .failed(let reason):
            failCheck(reason, then: .nextTick, &actions)
        case .noData(let reason):
            if now - state.lastProgress > deadline {
                rollback("no data within the progress deadline: \(reason)", &actions)
            } else {
                state.waiting = .nextTick
                state.message = "waiting for data: \(reason)"
            }
        }
    }

    private mutating func gate(_ kind: GateKind, _ open: Bool, _ reason: String, _ now: Double, _ actions: inout [RolloutAction]) {
        if kind == .rollback {
            // A rollback webhook that answered 2xx rolls back at once.
            if open && state.canaryRevision != nil && [.progressing, .waitingPromotion, .paused].contains(state.phase) {
                rollback(reason, &actions)
            }
            return
        }
        guard state.waiting == .gate(kind) else { return }
        guard open else {
            if kind == .preRollout {
                // Flagger counts a failing pre-rollout hook as a failed check.
                failCheck("pre-rollout: \(reason)", then: .gate(.preRollout), &actions)
            } else {
                state.message = "waiting for \(kind.rawValue): \(reason)"
                let hooks = plan.webhooks.filter { $0.type.rawValue == kind.rawValue }
                if !state.waitAlerted && !hooks.isEmpty && !hooks.allSatisfy(\.muteAlert) {
                    // Flagger's alert on a confirm webhook that holds the release, unless muted.
                    state.waitAlerted = true
                    let what = switch kind {
                    case .confirmPromotion: "Canary promotion is waiting for approval."
                    case .confirmTrafficIncrease: "Canary traffic increase is waiting for approval."
                    default: "Canary is waiting for approval."
                    }
                    actions.append(.notify(RolloutNotification(severity: .warn, phase: state.phase, message: "\(what) (\(reason))")))
                }
            }
            return
        }
        state.waitAlerted = false
        state.waiting = .nothing
        state.lastProgress = now
        state.checking = false
        switch kind {
        case .confirmRollout: startCanary(now, &actions)
        case .preRollout: enterStep(now, &actions)
        case .confirmTrafficIncrease: applyStep(now, &actions, confirmed: true)
        case .confirmPromotion:
            if case .setWeight? = currentStep {
                // Blue/green: confirmed before the switch; the promotion follows its analysis.
                state.promotionConfirmed = true
                state.phase = .progressing
                applyStep(now, &actions, confirmed: false)
            } else {
                beginPromotion(&actions)
            }
        case .rollback: break
        }
    }

    private mutating func command(_ command: RolloutCommand, by caller: String?, _ now: Double, _ actions: inout [RolloutAction]) -> CommandResult {
        let releasing = state.canaryRevision != nil && [.waiting, .progressing, .waitingPromotion, .paused].contains(state.phase)
        switch command {
        case .promote:
            guard releasing else { return .refused("nothing to promote in phase \(state.phase.rawValue)") }
            if case .manualGate = state.waiting {
                state.phase = .progressing
                advance(now, &actions)
            } else {
                state.pausedFrom = nil
                state.message = "promoted by hand"
                beginPromotion(&actions)
            }
        case .abort:
            if state.phase == .promoting || state.phase == .finalising {
                return .refused("cannot abort in phase \(state.phase.rawValue): \(state.canaryRevision ?? "the canary") is replacing the primary; "
                                + "commit the previous revision to Git to release it again")
            }
            guard releasing else { return .refused("nothing to abort in phase \(state.phase.rawValue)") }
            rollback("aborted by \(caller ?? "hand")", &actions)
        case .pause:
            guard releasing, state.phase != .paused else { return .refused("cannot pause in phase \(state.phase.rawValue)") }
            state.pausedFrom = state.phase
            state.phase = .paused
            if state.waiting == .checkResult { state.waiting = .nextTick }
            state.message = "paused by hand"
        case .resume:
            guard state.phase == .paused, let phase = state.pausedFrom else { return .refused("not paused") }
            state.phase = phase
            state.pausedFrom = nil
            state.lastProgress = now
            state.message = "resumed"
        case .retry:
            guard state.phase == .failed, let revision = state.failedRevision else { return .refused("no failed release to retry") }
            state.failedRevision = nil
            start(revision, now, restart: false, &actions)
        }
        return .accepted
    }

    // MARK: - Steps

    private var currentStep: PlanStep? {
        plan.steps.indices.contains(state.step) ? plan.steps[state.step] : nil
    }

    private func hasGate(_ kind: GateKind) -> Bool {
        plan.webhooks.contains { $0.type.rawValue == kind.rawValue }
    }

    private mutating func start(_ revision: String, _ now: Double, restart: Bool, _ actions: inout [RolloutAction]) {
        if restart {
            state.routes = .allPrimary
            actions.append(.setRoutes(.allPrimary))
        }
        state.canaryRevision = revision
        state.phase = .progressing
        state.step = 0
        state.passedTicks = 0
        state.failedChecks = 0
        state.promotionWeight = 0
        state.promotionConfirmed = false
        state.checking = false
        state.nextCheckAt = nil
        state.pausedFrom = nil
        state.lastProgress = now
        if hasGate(.confirmRollout) {
            // Asked before the canary starts, skipAnalysis or not (Flagger).
            state.phase = .waiting
            state.waiting = .gate(.confirmRollout)
            state.message = "waiting for confirm-rollout before starting \(revision)"
            actions.append(.askGate(.confirmRollout))
            return
        }
        startCanary(now, &actions)
        if restart { state.message = "new revision \(revision): restarting the analysis" }
    }

    private mutating func startCanary(_ now: Double, _ actions: inout [RolloutAction]) {
        guard let revision = state.canaryRevision else { return }
        state.phase = .progressing
        state.lastProgress = now
        state.waiting = .canaryReady
        state.message = "new revision \(revision): starting the canary"
        actions.append(.startCanary(revision: revision))
    }

    private mutating func beginAnalysis(_ now: Double, _ actions: inout [RolloutAction]) {
        state.phase = .progressing
        state.message = "starting the analysis of \(state.canaryRevision ?? "")"
        if hasGate(.preRollout) {
            state.waiting = .gate(.preRollout)
            actions.append(.askGate(.preRollout))
        } else {
            enterStep(now, &actions)
        }
    }

    private mutating func advance(_ now: Double, _ actions: inout [RolloutAction]) {
        state.step += 1
        state.passedTicks = 0
        enterStep(now, &actions)
    }

    /// Runs steps that act at once until one that waits.
    private mutating func enterStep(_ now: Double, _ actions: inout [RolloutAction]) {
        applyStep(now, &actions, confirmed: false)
    }

    private mutating func applyStep(_ now: Double, _ actions: inout [RolloutAction], confirmed: Bool) {
        var confirmed = confirmed
        state.checking = false
        while let step = currentStep {
            state.lastProgress = now
            switch step {
            case .setWeight(let weight):
                if plan.strategy == .blueGreen && weight == 100 && hasGate(.confirmPromotion) && !state.promotionConfirmed {
                    // Flagger's blue/green: confirm-promotion before the switch.
                    state.phase = .waitingPromotion
                    state.waiting = .gate(.confirmPromotion)
                    state.nextCheckAt = now + interval
                    state.message = "waiting for confirm-promotion before switching to \(state.canaryRevision ?? "the canary")"
                    actions.append(.askGate(.confirmPromotion))
                    return
                }
                if weight > state.routes.canaryWeight && hasGate(.confirmTrafficIncrease) && !confirmed {
                    state.waiting = .gate(.confirmTrafficIncrease)
                    state.nextCheckAt = now + interval
                    state.message = "waiting for confirm-traffic-increase before \(weight)%"
                    actions.append(.askGate(.confirmTrafficIncrease))
                    return
                }
                confirmed = false
                // Mirroring stops when real traffic starts, as in Flagger.
                setRoutes(Routes(canaryWeight: weight, mirrorWeight: 0, matchToCanary: state.routes.matchToCanary), &actions)
            case .mirror(let weight):
                setRoutes(Routes(canaryWeight: state.routes.canaryWeight, mirrorWeight: weight, matchToCanary: state.routes.matchToCanary), &actions)
            case .match:
                setRoutes(Routes(canaryWeight: state.routes.canaryWeight, mirrorWeight: state.routes.mirrorWeight, matchToCanary: true), &actions)
            case .analyze(let ticks):
                state.passedTicks = 0
                state.waiting = .nextTick
                // The first check judges a full interval of this step.
                state.nextCheckAt = now + interval
                state.message = "analysing at \(state.routes.canaryWeight)% (0/\(ticks))"
                return
            case .pause(let duration):
                state.waiting = .until(now + GoDuration.seconds(duration))
                state.message = "paused for \(GoDuration.format(duration))"
                return
            case .gate(let name):
                state.phase = .waitingPromotion
                state.waiting = .manualGate(name)
                state.nextCheckAt = now + interval
                state.message = "waiting at gate \(name) for `serin promote`"
                return
            case .promote:
                if hasGate(.confirmPromotion) && !(plan.strategy == .blueGreen && state.promotionConfirmed) {
                    state.phase = .waitingPromotion
                    state.waiting = .gate(.confirmPromotion)
                    state.nextCheckAt = now + interval
                    state.message = "waiting for confirm-promotion"
                    actions.append(.askGate(.confirmPromotion))
                } else {
                    beginPromotion(&actions)
                }
                return
            }
            state.step += 1
        }
        beginPromotion(&actions)
    }

    private mutating func setRoutes(_ routes: Routes, _ actions: inout [RolloutAction]) {
        guard routes != state.routes else { return }
        state.routes = routes
        actions.append(.setRoutes(routes))
    }

    /// Counts a failed check; below the threshold the rollout goes on
    /// waiting for `wait`.
    private mutating func failCheck(_ reason: String, then wait: RolloutState.Wait, _ actions: inout [RolloutAction]) {
        state.failedChecks += 1
        if state.failedChecks >= plan.threshold {
            rollback("\(state.failedChecks) failed check\(state.failedChecks == 1 ? "" : "s"): \(reason)", &actions)
        } else {
            state.waiting = wait
            state.message = "check failed (\(state.failedChecks)/\(plan.threshold)): \(reason)"
        }
    }

    // MARK: - Promotion and rollback

    private mutating func beginPromotion(_ actions: inout [RolloutAction]) {
        guard let revision = state.canaryRevision else { return }
        state.checking = false
        state.phase = .promoting
        state.waiting = .primaryReady
        state.promotionWeight = 0
        state.message = "promoting \(revision)"
        actions.append(.promote(revision: revision, keepingCanary: promotionKeepsCanary))
    }

    /// The promote step's primary weights (stepWeightPromotion), while the
    /// canary serves part of the traffic.
    private var promotionWeights: [Int] {
        guard case .promote(let primaryWeights)? = plan.steps.last else { return [] }
        return primaryWeights
    }

    /// Whether the promotion runs the new revision as the primary beside the
    /// canary, so that traffic can return to the primary in steps, rather
    /// than all at once.
    var promotionKeepsCanary: Bool {
        !promotionWeights.isEmpty && state.routes.canaryWeight > 0
    }

    /// After the primary runs the new revision: traffic back to it, at once
    /// or through the promote step's primary weights, one per tick.
    private mutating func promotionTraffic(_ actions: inout [RolloutAction]) {
        let weights = promotionWeights
        if state.promotionWeight < weights.count && state.routes.canaryWeight > 0 {
            let primary = weights[state.promotionWeight]
            state.promotionWeight += 1
            setRoutes(Routes(canaryWeight: 100 - primary), &actions)
            if primary < 100 { return }
        }
        setRoutes(.allPrimary, &actions)
        state.phase = .finalising
        state.message = "promoted \(state.primaryRevision ?? ""); stopping the canary"
        actions.append(.scaleCanaryToZero)
    }

    /// The promoted primary was not ready within the progress deadline: the
    /// previous primary runs again and takes the traffic back.
    private mutating func failPromotion(_ now: Double, _ actions: inout [RolloutAction]) {
        let promoted = state.canaryRevision ?? ""
        state.failedRevision = state.canaryRevision
        setRoutes(.allPrimary, &actions)
        if let previous = state.primaryRevision { actions.append(.deployPrimary(revision: previous)) }
        actions.append(.scaleCanaryToZero)
        state.phase = .failed
        state.canaryRevision = nil
        state.waiting = .nothing
        state.step = 0
        state.passedTicks = 0
        state.lastProgress = now
        state.message = "the promoted primary \(promoted) was not ready within the progress deadline "
            + "(\(GoDuration.format(plan.progressDeadline))); \(state.primaryRevision ?? "the previous primary") serves again"
        actions.append(.callWebhooks(WebhookType.postRollout.rawValue))
    }

    private mutating func rollback(_ reason: String, _ actions: inout [RolloutAction]) {
        state.failedRevision = state.canaryRevision
        stopCanary("rolled back \(state.canaryRevision ?? ""): \(reason)", phase: .failed, &actions)
        actions.append(.callWebhooks(WebhookType.postRollout.rawValue))
    }

    private mutating func stopCanary(_ message: String, phase: RolloutPhase, _ actions: inout [RolloutAction]) {
        setRoutes(.allPrimary, &actions)
        actions.append(.scaleCanaryToZero)
        state.phase = phase
        state.canaryRevision = nil
        state.waiting = .nothing
        state.pausedFrom = nil
        state.step = 0
        state.passedTicks = 0
        state.checking = false
        state.nextCheckAt = nil
        state.message = message
    }
}
