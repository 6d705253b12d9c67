import Foundation
import SerinSpec
import Testing
@testable import SerinEngine

/// The rules that make a verdict depend on its own release only, each
/// driven through the machine with explicit times: no clock, no sleeps.
@Suite struct ReleaseSafetyTests {
    func started(_ plan: Plan, at time: Double = 0) -> Driver {
        var driver = Driver(plan)
        driver.now = time
        driver.send(.newRevision("r2", at: time))
        driver.send(.canaryReady(at: time))
        return driver
    }

    @Test func theFirstCheckOfAStepComesAFullIntervalAfterTheStepBegan() {
        var driver = Driver(canaryPlan([10, 20]))
        driver.send(.newRevision("r2", at: 0))
        // Ready between two ticks: the step begins at 7.
        driver.send(.canaryReady(at: 7))
        #expect(driver.weight == 10)
        #expect(driver.state.nextCheckAt == 17)
        #expect(driver.send(.tick(at: 10)).isEmpty, "3 s of the step is not an interval of it")
        #expect(driver.send(.tick(at: 17)) == [.runChecks])
        driver.send(.checks(.passed, at: 17))
        #expect(driver.weight == 20)
        #expect(driver.state.nextCheckAt == 27)
    }

    @Test func aRestartedOperatorKeepsTheCheckSchedule() throws {
        var driver = started(canaryPlan([10, 20]), at: 5)
        let saved = try JSONDecoder().decode(RolloutState.self, from: JSONEncoder().encode(driver.state))
        var restored = RolloutMachine(plan: canaryPlan([10, 20]), state: saved)
        // A restart 2 s later: the first tick comes soon, but the check is not due.
        #expect(restored.handle(.tick(at: 7)).isEmpty)
        #expect(restored.handle(.tick(at: 15)).contains(.runChecks))
        driver.tick()
    }

    /// Flagger's scheduler: a canary that is not ready (fewer replicas than
    /// canaryReadyThreshold) halts the analysis, counts no failed check,
    /// and is rolled back only once the progress deadline passes.
    @Test func aCanaryThatStopsBeingReadyHaltsUntilTheProgressDeadline() {
        var driver = started(canaryPlan([10, 20], threshold: 2))
        driver.analyse()
        #expect(driver.weight == 20)
        driver.send(.canaryUnready("its replicas do not pass their readiness probes", at: driver.now + 1))
        #expect(driver.state.failedChecks == 0)
        #expect(driver.state.message == "halted: the canary r2 is not ready: its replicas do not pass their readiness probes")
        #expect(driver.weight == 20)
        driver.now += 30
        #expect(!driver.send(.canaryUnready("crashed", at: driver.now)).contains(.scaleCanaryToZero))
        driver.now += 40
        #expect(driver.send(.canaryUnready("crashed", at: driver.now)).contains(.scaleCanaryToZero))
        #expect(driver.state.phase == .failed)
        #expect(driver.state.message.contains("for longer than the progress deadline (1m)"))
        #expect(driver.weight == 0)
    }

    @Test func gatesNeverStopAnalysisAndFailuresWhileAGateWaitsCount() {
        var driver = started(canaryPlan([50], threshold: 2, webhooks: [.confirmPromotion]))
        driver.analyse()
        #expect(driver.state.waiting == .gate(.confirmPromotion))
        // Each tick runs the checks before asking the gate again.
        #expect(driver.tick() == [.runChecks, .askGate(.confirmPromotion)])
        driver.check(.failed(reason: "request-success-rate: 70 < 99 (min)"))
        driver.send(.gate(.confirmPromotion, open: false, reason: "403", at: driver.now))
        #expect(driver.state.failedChecks == 1)
        #expect(driver.state.phase == .waitingPromotion)
        driver.tick()
        driver.check(.failed(reason: "request-success-rate: 70 < 99 (min)"))
        #expect(driver.state.phase == .failed)
        // The gate's late answer cannot promote what was rolled back.
        #expect(driver.send(.gate(.confirmPromotion, open: true, reason: "200", at: driver.now)).isEmpty)
        #expect(driver.state.primaryRevision == "r1")
    }

    @Test func confirmRolloutIsAskedBeforeTheCanaryStartsEvenWithSkipAnalysis() {
        var driver = Driver(canaryPlan(webhooks: [.confirmRollout], skip: true))
        #expect(driver.send(.newRevision("r2", at: 0)).first == .askGate(.confirmRollout))
        #expect(driver.state.phase == .waiting)
        #expect(!driver.log.contains(.startCanary(revision: "r2")))
        #expect(driver.send(.gate(.confirmRollout, open: true, reason: "200", at: 1)).first == .startCanary(revision: "r2"))
        #expect(driver.send(.canaryReady(at: 2)).first == .promote(revision: "r2"))
    }

    @Test func aRollbackWebhookIsPolledWhileNoChecksRunAndRollsBackAtOnce() {
        let plan = Plan(name: "web", interval: .seconds(10), threshold: 5, progressDeadline: .seconds(600),
                        steps: [.setWeight(10), .pause(.seconds(60)), .analyze(ticks: 1), .promote(primaryWeights: [])],
                        webhooks: [PlanWebhook(name: "red-button", type: .rollback, url: "http://127.0.0.1:1/")])
        var driver = started(plan)
        #expect(driver.tick() == [.askGate(.rollback)], "a pause step runs no checks, but the rollback hook is asked")
        driver.send(.gate(.rollback, open: false, reason: "no rollback webhook answered 2xx", at: driver.now))
        #expect(driver.state.phase == .progressing)
        driver.send(.command(.pause, at: driver.now))
        #expect(driver.tick() == [.askGate(.rollback)], "asked while paused too")
        driver.send(.gate(.rollback, open: true, reason: "rollback webhook red-button asked for a rollback", at: driver.now))
        #expect(driver.state.phase == .failed)
        #expect(driver.state.message == "rolled back r2: rollback webhook red-button asked for a rollback")
    }

    @Test func aNewPrimaryNotReadyWithinTheDeadlineFailsOverToThePreviousOne() {
        var driver = started(canaryPlan([50]))
        driver.analyse()
        #expect(driver.state.phase == .promoting)
        #expect(driver.tick().isEmpty)
        let actions = driver.tick(70)
        #expect(Array(actions.prefix(3)) == [.setRoutes(.allPrimary), .deployPrimary(revision: "r1"), .scaleCanaryToZero])
        #expect(driver.state.phase == .failed)
        #expect(driver.state.primaryRevision == "r1")
        #expect(driver.state.failedRevision == "r2")
        // Readiness of the revision that failed no longer promotes anything.
        driver.send(.primaryReady(at: driver.now))
        #expect(driver.state.primaryRevision == "r1")
    }

    @Test func abortDuringThePromotionIsRefusedWithTheReason() {
        var driver = started(canaryPlan([50]))
        driver.analyse()
        driver.send(.command(.abort, at: driver.now))
        guard case .refused(let reason) = driver.machine.lastCommandResult else {
            Issue.record("abort was accepted in \(driver.state.phase)")
            return
        }
        #expect(reason.hasPrefix("cannot abort in phase Promoting: r2 is replacing the primary"))
        #expect(driver.state.phase == .promoting)
    }

    @Test func aGitRevertToThePrimaryDuringAPromotionIsReleasedAfterIt() {
        var driver = started(canaryPlan([50]))
        driver.analyse()
        driver.send(.newRevision("r1", at: driver.now))
        #expect(driver.state.phase == .promoting, "not Succeeded: the promotion is still under way")
        #expect(driver.state.pendingRevision == "r1")
        driver.send(.primaryReady(at: driver.now))
        let after = driver.tick()
        #expect(after.contains(.startCanary(revision: "r1")), "the revert is released as what it is: a new release of r1")
        #expect(driver.state.primaryRevision == "r2")
        #expect(driver.state.canaryRevision == "r1")
    }

    @Test func editingACanaryMidReleaseRestartsItsAnalysisFromTheFirstStep() throws {
        var driver = started(canaryPlan([10, 20, 30]))
        driver.analyse()
        driver.analyse()
        #expect(driver.weight == 30)
        var edited = RolloutMachine(plan: canaryPlan([25, 50]), state: driver.state)
        #expect(edited.planChangedMidRelease)
        let actions = edited.handle(.planChanged(at: driver.now))
        #expect(actions.contains(.setRoutes(.allPrimary)))
        #expect(actions.contains(.startCanary(revision: "r2")))
        #expect(edited.state.step == 0)
        #expect(edited.state.planDigest == canaryPlan([25, 50]).digest)
        #expect(!edited.planChangedMidRelease)
        _ = edited.handle(.canaryReady(at: driver.now + 1))
        #expect(edited.state.routes.canaryWeight == 25)
    }

    @Test func blueGreenAsksConfirmPromotionBeforeTheSwitchThenAnalysesAtFullTraffic() throws {
        var plan = Plan(name: "web", strategy: .blueGreen, interval: .seconds(10), threshold: 1, progressDeadline: .seconds(600),
                        steps: [.analyze(ticks: 2), .setWeight(100), .analyze(ticks: 1), .promote(primaryWeights: [])],
                        webhooks: [PlanWebhook(name: "qa", type: .confirmPromotion, url: "http://127.0.0.1:1/")])
        plan.strategy = .blueGreen
        var driver = started(plan)
        driver.analyse()
        #expect(driver.analyse().first == .askGate(.confirmPromotion))
        #expect(driver.weight == 0, "no switch before confirm-promotion")
        #expect(driver.send(.gate(.confirmPromotion, open: true, reason: "200", at: driver.now)).first == .setRoutes(Routes(canaryWeight: 100)))
        #expect(driver.state.phase == .progressing)
        // One analysed interval at 100%, then the promotion, not asked again.
        #expect(driver.analyse().first == .promote(revision: "r2"))
    }

    @Test func wilsonIntervalsJudgeTheSampleNotTheRatio() {
        // 8% errors that showed 4.1% over 194 requests: not enough to pass 95%.
        let lucky = Wilson(successes: 186, trials: 194)
        #expect(lucky.lower < 0.95 && lucky.upper > 0.95)
        // Every answer an error fails at once, even on one request.
        #expect(Wilson(successes: 0, trials: 1).upper < 0.95)
        // A clean canary passes 99% from 381 requests on, 95% from 73.
        #expect(Wilson.requestsNeeded(toShow: 0.99) == 381)
        #expect(Wilson(successes: 381, trials: 381).lower >= 0.99)
        #expect(Wilson(successes: 380, trials: 380).lower < 0.99)
        let ninetyFive = Wilson.requestsNeeded(toShow: 0.95)
        #expect(Wilson(successes: Double(ninetyFive), trials: Double(ninetyFive)).lower >= 0.95)
        #expect(Wilson(successes: Double(ninetyFive - 1), trials: Double(ninetyFive - 1)).lower < 0.95)
    }
}
