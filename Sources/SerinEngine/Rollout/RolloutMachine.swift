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

    public init(plan: Plan, state: RolloutState = RolloutState()) {
        self.plan = plan
        // A check in flight when the state was saved will never answer:
        // after a restart the checks simply run again at the next tick.
        self.state = state.settled
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
        if state.phase == .paused {
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

    /// While paused nothing moves: ticks do nothing, a check result in
    /// flight is dropped (the checks run again after resume), gate answers
    /// are dropped (gates are asked again), readiness is reported again.
    private mutating func held(_ event: RolloutEvent, _ actions: inout [RolloutAction]) {
        switch event {
        case .command, .newRevision:
            apply(event, &actions)
        case .checks where state.waiting == .checkResult:
            state.waiting = .nextTick
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
        case .command(let command, let now): lastCommandResult = self.command(command, now, &actions)
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
        if revision == primary {
            // Git went back to what the primary runs: the release is moot.
            guard state.canaryRevision != nil else { return }
            stopCanary("Git reverted to the primary's revision \(revision)", phase: .succeeded, &actions)
            return
        }
        if revision == state.failedRevision && state.phase == .failed { return }
        if state.phase == .promoting || state.phase == .finalising {
            // The primary is being replaced: finish that, then release this one.
            state.pendingRevision = revision
            state.message = "\(revision) waits for the promotion of \(state.canaryRevision ?? "") to finish"
            return
        }
        start(revision, now, restart: state.canaryRevision != nil, &actions)
    }

    private mutating func tick(_ now: Double, _ actions: inout [RolloutAction]) {
        switch state.waiting {
        case .canaryReady where now - state.lastProgress > deadline:
            rollback("the canary was not ready within the progress deadline (\(GoDuration.format(plan.progressDeadline)))", &actions)
        case .nextTick:
            state.waiting = .checkResult
            actions.append(.runChecks)
        case .until(let time) where now >= time:
            advance(now, &actions)
        case .gate(let kind):
            // Gates are asked again at every interval until they open.
            actions.append(.askGate(kind))
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

    private mutating func canaryReady(_ now: Double, _ actions: inout [RolloutAction]) {
        guard state.waiting == .canaryReady else { return }
        state.lastProgress = now
        if plan.skipAnalysis {
            beginPromotion(&actions)
        } else if hasGate(.confirmRollout) {
            state.phase = .waiting
            state.waiting = .gate(.confirmRollout)
            state.message = "waiting for confirm-rollout"
            actions.append(.askGate(.confirmRollout))
        } else {
            beginAnalysis(now, &actions)
        }
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
        guard state.waiting == .checkResult, state.phase == .progressing else { return }
        guard case .analyze(let ticks) = currentStep else { return }
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
            failCheck(reason, &actions)
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
        guard state.waiting == .gate(kind) else { return }
        guard open else {
            if kind == .preRollout {
                // Flagger counts a failing pre-rollout hook as a failed check.
                failCheck("pre-rollout: \(reason)", &actions)
                if state.phase != .failed { state.waiting = .gate(.preRollout) }
            } else {
                state.message = "waiting for \(kind.rawValue): \(reason)"
            }
            return
        }
        state.waiting = .nothing
        state.lastProgress = now
        switch kind {
        case .confirmRollout: beginAnalysis(now, &actions)
        case .preRollout: enterStep(now, &actions)
        case .confirmTrafficIncrease: applyStep(now, &actions, confirmed: true)
        case .confirmPromotion: beginPromotion(&actions)
        }
    }

    private mutating func command(_ command: RolloutCommand, _ now: Double, _ actions: inout [RolloutAction]) -> CommandResult {
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
            guard releasing || state.phase == .promoting else { return .refused("nothing to abort in phase \(state.phase.rawValue)") }
            rollback("aborted by hand", &actions)
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
        state.pausedFrom = nil
        state.lastProgress = now
        state.waiting = .canaryReady
        state.message = restart ? "new revision \(revision): restarting the analysis" : "new revision \(revision): starting the canary"
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
        while let step = currentStep {
            state.lastProgress = now
            switch step {
            case .setWeight(let weight):
                if weight > state.routes.canaryWeight && hasGate(.confirmTrafficIncrease) && !confirmed {
                    state.waiting = .gate(.confirmTrafficIncrease)
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
                state.message = "analysing at \(state.routes.canaryWeight)% (0/\(ticks))"
                return
            case .pause(let duration):
                state.waiting = .until(now + GoDuration.seconds(duration))
                state.message = "paused for \(GoDuration.format(duration))"
                return
            case .gate(let name):
                state.phase = .waitingPromotion
                state.waiting = .manualGate(name)
                state.message = "waiting at gate \(name) for `serin promote`"
                return
            case .promote:
                if hasGate(.confirmPromotion) {
                    state.phase = .waitingPromotion
                    state.waiting = .gate(.confirmPromotion)
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

    private mutating func failCheck(_ reason: String, _ actions: inout [RolloutAction]) {
        state.failedChecks += 1
        if state.failedChecks >= plan.threshold {
            rollback("\(state.failedChecks) failed check\(state.failedChecks == 1 ? "" : "s"): \(reason)", &actions)
        } else {
            state.waiting = .nextTick
            state.message = "check failed (\(state.failedChecks)/\(plan.threshold)): \(reason)"
        }
    }

    // MARK: - Promotion and rollback

    private mutating func beginPromotion(_ actions: inout [RolloutAction]) {
        guard let revision = state.canaryRevision else { return }
        state.phase = .promoting
        state.waiting = .primaryReady
        state.promotionWeight = 0
        state.message = "promoting \(revision)"
        actions.append(.promote(revision: revision))
    }

    /// After the primary runs the new revision: traffic back to it, at once
    /// or through the promote step's primary weights, one per tick.
    private mutating func promotionTraffic(_ actions: inout [RolloutAction]) {
        let weights: [Int]
        if case .promote(let primaryWeights)? = plan.steps.last { weights = primaryWeights } else { weights = [] }
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
        state.message = message
    }
}
