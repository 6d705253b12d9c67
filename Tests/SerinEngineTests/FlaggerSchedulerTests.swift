import Foundation
import SerinSpec
import Testing
@testable import SerinEngine

/// What Flagger's scheduler (`pkg/controller/scheduler.go`) does that users
/// notice, on the pure machine: no clock, no sleeps.
@Suite struct FlaggerSchedulerTests {
    func started(_ plan: Plan) -> Driver {
        var driver = Driver(plan)
        driver.send(.newRevision("r2", at: 0))
        driver.send(.canaryReady(at: 0))
        return driver
    }

    /// `spec.suspend`: nothing moves, not a step, not a promotion, not a
    /// rollback, and no new release starts; clearing it goes on where it was.
    @Test func aSuspendedCanaryStandsStill() {
        var plan = canaryPlan([10, 20], threshold: 1)
        var driver = started(plan)
        driver.analyse()
        #expect(driver.weight == 20)
        plan.suspended = true
        var suspended = RolloutMachine(plan: plan, state: driver.state)
        #expect(suspended.planDigest == driver.machine.planDigest, "suspending does not restart the analysis")
        for event: RolloutEvent in [.tick(at: 100), .checks(.failed(reason: "500s"), at: 100), .canaryUnready("gone", at: 1000),
                                    .newRevision("r3", at: 100), .primaryUnready("gone", at: 1000), .gate(.rollback, open: true, reason: "hook", at: 100)] {
            #expect(suspended.handle(event).isEmpty, "\(event)")
        }
        #expect(suspended.handle(.command(.promote, at: 100)).isEmpty)
        #expect(suspended.lastCommandResult == .refused("the Canary is suspended (spec.suspend): clear it in Git first"))
        #expect(suspended.state == driver.state.settled)
        plan.suspended = false
        driver.machine = RolloutMachine(plan: plan, state: suspended.state)
        driver.now = 100
        #expect(driver.analyse().contains(.promote(revision: "r2", keepingCanary: false)))
    }

    @Test func aSuspendedCanaryIsNotInitialized() {
        var plan = canaryPlan()
        plan.suspended = true
        var machine = RolloutMachine(plan: plan)
        #expect(machine.handle(.newRevision("r1", at: 0)).filter { $0 != .persist }.isEmpty)
        #expect(machine.state.primaryRevision == nil)
    }

    /// A primary that stops serving mid-analysis halts the release (no
    /// check, no step), which goes on once it serves again, and is rolled
    /// back past the progress deadline.
    @Test func anUnhealthyPrimaryHaltsTheRelease() {
        var driver = started(canaryPlan([10, 20, 30], threshold: 1))
        driver.analyse()
        #expect(driver.weight == 20)
        driver.send(.primaryUnready("1 of 2 replicas ready", at: driver.now + 5))
        #expect(driver.state.message == "halted: the primary r1 is not ready: 1 of 2 replicas ready")
        #expect(driver.state.failedChecks == 0)
        #expect(driver.weight == 20)
        driver.analyse()
        #expect(driver.weight == 30, "the analysis goes on once the primary serves")
        driver.now += 61
        #expect(driver.send(.primaryUnready("0 of 2 replicas ready", at: driver.now)).contains(.scaleCanaryToZero))
        #expect(driver.state.phase == .failed)
    }

    /// A primary already running (Flagger made it) is adopted: no deploy,
    /// no release when it runs Git's revision; a release when it does not.
    @Test func anAdoptedPrimaryIsNotDeployedAgain() {
        var machine = RolloutMachine(plan: canaryPlan())
        _ = machine.handle(.adopted("r1", at: 0))
        #expect(machine.state.phase == .initialized)
        #expect(machine.state.primaryRevision == "r1")
        #expect(machine.handle(.newRevision("r1", at: 0)).filter { $0 != .persist }.isEmpty)
        var other = RolloutMachine(plan: canaryPlan())
        _ = other.handle(.adopted("adopted-f00", at: 0))
        #expect(other.handle(.newRevision("r2", at: 0)).contains(.startCanary(revision: "r2")))
        #expect(other.state.phase == .progressing)
    }

    /// A confirm webhook that keeps the release waiting alerts once per
    /// wait (warn), unless every such hook says muteAlert.
    @Test(arguments: [false, true])
    func aWaitingConfirmationAlertsOnceUnlessMuted(_ muted: Bool) {
        var plan = canaryPlan([50], webhooks: [.confirmRollout])
        plan.webhooks[0].muteAlert = muted
        var driver = Driver(plan)
        driver.send(.newRevision("r2", at: 0))
        let first = driver.send(.gate(.confirmRollout, open: false, reason: "403 not yet", at: 0))
        let alert = RolloutNotification(severity: .warn, phase: .waiting, message: "Canary is waiting for approval. (403 not yet)")
        #expect(first.contains(.notify(alert)) == !muted)
        driver.tick()
        #expect(!driver.send(.gate(.confirmRollout, open: false, reason: "403 not yet", at: driver.now)).contains(.notify(alert)), "once per wait")
        #expect(driver.send(.gate(.confirmRollout, open: true, reason: "200", at: driver.now)).first == .startCanary(revision: "r2"))
        #expect(!driver.state.waitAlerted)
    }
}
