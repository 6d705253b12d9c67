import Clocks
import Foundation
import SerinEngine
import SerinEngineTesting
import SerinSpec
import Testing

/// Runners have no task of their own: one scheduler steps them when an
/// input arrives or a tick is due, and a rollout at rest asks for none.
@Suite struct SchedulerTests {
    func apps(_ count: Int, message: String) -> String {
        (0..<count).map { index in
            """
            apiVersion: serin.dev/v1alpha1
            kind: Workload
            metadata: { name: app-\(index) }
            spec:
              service: { port: \(20000 + index) }
              template: { command: ["python3", "app.py"], env: [{ name: MESSAGE, value: "\(message)" }] }
            ---

            """ + canary("app-\(index)")
        }.joined()
    }

    @Test func rolloutsAtRestSleepOnNothingAndStillRelease() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        let count = 100
        await harness.reconciler.apply(try harness.desired(apps(count, message: "one"), commit: "c1"))
        let initialized = await harness.until {
            for index in 0..<count where await harness.phase("app-\(index)") != .initialized { return false }
            return true
        }
        #expect(initialized)
        // Every rollout is at rest: nothing sleeps on the clock (each runner
        // used to sleep until its next tick, a task and a timer apiece).
        await #expect(throws: Never.self) { try await harness.clock.checkSuspension() }

        // An input still wakes the one it is for.
        var changed = apps(count, message: "one")
        changed = changed.replacingOccurrences(of: "metadata: { name: app-7 }\nspec:\n  service: { port: 20007 }\n  template: { command: [\"python3\", \"app.py\"], env: [{ name: MESSAGE, value: \"one\" }] }",
                                               with: "metadata: { name: app-7 }\nspec:\n  service: { port: 20007 }\n  template: { command: [\"python3\", \"app.py\"], env: [{ name: MESSAGE, value: \"two\" }] }")
        await harness.reconciler.apply(try harness.desired(changed, commit: "c2"))
        #expect(await harness.until { await harness.phase("app-7") == .succeeded })
        #expect(await harness.phase("app-8") == .initialized)
        let started = harness.platform.calls.filter { $0.hasPrefix("startCanary") }
        #expect(started.count == 1, "\(started)")
    }
}
