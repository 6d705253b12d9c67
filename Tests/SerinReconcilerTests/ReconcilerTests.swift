import Clocks
import Foundation
import SerinEngine
import SerinEngineTesting
import SerinSpec
import Testing

/// Every check passes: the reconciler's tests are about what runs, not verdicts.
struct PassingChecks: CheckRunner {
    func runChecks(_ plan: Plan, _ context: CheckContext) async -> CheckResults {
        CheckResults(evaluations: [MetricEvaluation(metric: "request-success-rate", query: "q", value: 100, min: 99, max: nil,
                                                    verdict: .pass, message: "", time: context.time)])
    }
}

struct OpenGates: HookRunner {
    func ask(_ gate: GateKind, _ plan: Plan, phase: RolloutPhase) async -> (open: Bool, reason: String) { (true, "200") }
    func fire(_ type: String, _ plan: Plan, phase: RolloutPhase) async {}
}

struct Silent: Notifier {
    func notify(_ notification: RolloutNotification, _ plan: Plan, revision: String?) async {}
}

/// One reconciler on the in-memory fake platform, with time on a test clock:
/// no sockets, no processes, no sleeps.
final class Harness: Sendable {
    let root: String
    let platform: FakePlatform
    let clock = TestClock<Duration>()
    let reconciler: Reconciler<FakePlatform, TestClock<Duration>>
    let log: EventLog
    private let task: Task<Void, Never>

    init(root: String? = nil, platform: FakePlatform = FakePlatform(), sources: Set<String> = ["apps"],
         replica: (any StateReplica)? = nil) async throws {
        let root = root ?? FileManager.default.temporaryDirectory.appendingPathComponent("serin-reconciler-\(UUID().uuidString.prefix(8))").path
        self.root = root
        self.platform = platform
        log = try EventLog(stateDirectory: root)
        var store = try StateStore(stateDirectory: root)
        store.replica = replica
        reconciler = Reconciler(parts: .init(platform: platform, checks: PassingChecks(), hooks: OpenGates(), notifier: Silent(),
                                             store: store, log: log, stateDirectory: root, sources: sources,
                                             pollInterval: .milliseconds(250), clock: clock))
        try await reconciler.start()
        let reconciler = self.reconciler
        task = Task { await reconciler.run() }
    }

    /// Stops the reconciler as a killed operator would stop: mid-flight.
    func stop() async {
        task.cancel()
        await task.value
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// The desired state of one commit of `source`, from YAML documents.
    func desired(_ yaml: String, commit: String, source: String = "apps") throws -> DesiredState {
        let manifests = ManifestLoader().load(text: yaml, file: "apps.yaml")
        let (diagnostics, plans) = Validator().validateAndPlan(manifests)
        #expect(!diagnostics.hasErrors, "\(diagnostics.errors)")
        return DesiredState(source: source, revision: "main@sha1:\(commit)", commit: commit, author: "Ada <ada@example.com>",
                            manifests: manifests, plans: plans)
    }

    /// Lets the runners work, stepping the clock by `step` between looks,
    /// until `condition` holds, for at most `timeout` of simulated time
    /// (and ten minutes of wall time, for a test that hangs). Each step
    /// also leaves a moment of wall time to the I/O it set off (state files
    /// are fsynced): on a loaded machine simulated time would otherwise run
    /// ahead of the work it is waiting for. The limit is simulated time,
    /// not wall time: under a full parallel run on two cores a look can
    /// take seconds, and a wall-time limit then ended the wait before the
    /// rollout had seen a minute of its own time.
    func until(step: Duration = .seconds(1), timeout: Duration = .seconds(120), _ condition: @Sendable () async -> Bool) async -> Bool {
        let wallDeadline = ContinuousClock.now + .seconds(600)
        var simulated = Duration.zero
        while simulated < timeout && ContinuousClock.now < wallDeadline {
            for _ in 0..<50 {
                if await condition() { return true }
                await Task.yield()
            }
            await clock.advance(by: step)
            simulated += step
            try? await Task.sleep(for: .milliseconds(2))
        }
        return await condition()
    }

    func phase(_ rollout: String) async -> RolloutPhase? { await reconciler.status(of: rollout, eventLimit: 0)?.phase }
    func decisions() async -> [String] { await log.entries().map(\.decision) }
}

/// Each workload gets its own port, as validation requires.
func workload(_ name: String, namespace: String = "default", message: String) -> String {
    let port = 8000 + (name + namespace).utf8.reduce(0) { ($0 * 31 + Int($1)) % 1000 }
    return """
    apiVersion: serin.dev/v1alpha1
    kind: Workload
    metadata: { name: \(name), namespace: \(namespace) }
    spec:
      service: { port: \(port) }
      template:
        command: ["python3", "app.py"]
        env: [{ name: MESSAGE, value: "\(message)" }]
    ---

    """
}

func canary(_ name: String, namespace: String = "default", stepWeight: Int = 50) -> String {
    """
    apiVersion: serin.dev/v1alpha1
    kind: Canary
    metadata: { name: \(name), namespace: \(namespace) }
    spec:
      targetRef: { apiVersion: serin.dev/v1alpha1, kind: Workload, name: \(name) }
      analysis:
        interval: 10s
        threshold: 1
        stepWeight: \(stepWeight)
        maxWeight: 50
        metrics:
          - name: request-success-rate
            thresholdRange: { min: 99 }
    ---

    """
}

@Suite struct ReconcilerTests {
    @Test func aFirstRevisionIsDeployedAndTheNextOneReleasedThenPromoted() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        await harness.reconciler.apply(try harness.desired(workload("web", message: "one") + canary("web"), commit: "c1"))
        #expect(await harness.until { await harness.phase("web") == .initialized })
        let first = try #require(harness.platform.workload(WorkloadID(name: "web"))?.running.primary)
        #expect(harness.platform.calls == ["deployPrimary \(first)"])

        await harness.reconciler.apply(try harness.desired(workload("web", message: "two") + canary("web"), commit: "c2"))
        #expect(await harness.until { await harness.phase("web") == .succeeded })
        let second = try #require(harness.platform.workload(WorkloadID(name: "web"))?.running.primary)
        #expect(second != first)
        #expect(harness.platform.calls == ["deployPrimary \(first)", "startCanary \(second)", "promote \(second)", "scaleCanaryToZero"])
        #expect(harness.platform.weights == [50, 0])
        // The events name the commit of the revision they are about.
        let detected = await harness.log.entries().filter { $0.decision == "detected" }
        #expect(detected.map(\.commit) == ["c1", "c2"])
        #expect(await harness.reconciler.history(of: "web")?.map(\.commit) == ["c1", "c2"])
        await harness.stop()
    }

    /// A step whose routes could not be written is written again before
    /// anything is judged: the release never promotes on traffic the
    /// canary never got.
    @Test func aStepWhoseRoutesFailedIsCarriedOutBeforeTheNextCheck() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        await harness.reconciler.apply(try harness.desired(workload("web", message: "one") + canary("web"), commit: "c1"))
        #expect(await harness.until { await harness.phase("web") == .initialized })
        harness.platform.failRoutes(3)
        await harness.reconciler.apply(try harness.desired(workload("web", message: "two") + canary("web"), commit: "c2"))
        #expect(await harness.until { await harness.phase("web") == .succeeded })
        let second = try #require(harness.platform.workload(WorkloadID(name: "web"))?.running.primary)
        let calls = harness.platform.calls
        #expect(calls.filter { $0 == "setRoutes failed" }.count == 3)
        let lastFailure = try #require(calls.lastIndex(of: "setRoutes failed"))
        let promotion = try #require(calls.firstIndex(of: "promote \(second)"))
        #expect(lastFailure < promotion, "\(calls)")
        // The canary got its 50% before the release was judged and promoted.
        #expect(harness.platform.weights == [50, 0])
        #expect(await harness.decisions().filter { $0 == "error" }.count >= 3)
    }

    @Test func aWorkloadWithoutACanaryIsReplacedPlainly() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        await harness.reconciler.apply(try harness.desired(workload("api", message: "one"), commit: "c1"))
        #expect(await harness.until { await harness.decisions().contains("deployed") })
        let first = try #require(harness.platform.workload(WorkloadID(name: "api"))?.running.primary)
        // The same revision again (another commit, same template) changes nothing.
        await harness.reconciler.apply(try harness.desired(workload("api", message: "one"), commit: "c2"))
        await harness.reconciler.apply(try harness.desired(workload("api", message: "two"), commit: "c3"))
        #expect(await harness.until { await harness.decisions().filter { $0 == "deployed" }.count == 2 })
        let second = try #require(harness.platform.workload(WorkloadID(name: "api"))?.running.primary)
        #expect(harness.platform.calls == ["deployPrimary \(first)", "deployPrimary \(second)"])
        #expect(harness.platform.weights.isEmpty, "no rollout, no routes")
        #expect(await harness.reconciler.rolloutIDs.isEmpty)
        await harness.stop()
    }

    @Test func aWorkloadThatLeftGitIsPrunedEvenAcrossARestart() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        await harness.reconciler.apply(try harness.desired(workload("web", message: "a") + workload("api", message: "a") + workload("db", message: "a"),
                                                           commit: "c1"))
        #expect(await harness.until { await harness.decisions().filter { $0 == "deployed" }.count == 3 })
        await harness.reconciler.apply(try harness.desired(workload("web", message: "a") + workload("db", message: "a"), commit: "c2"))
        #expect(harness.platform.calls.contains("remove default/api"))
        #expect(harness.platform.workload(WorkloadID(name: "api")) == nil)
        await harness.stop()

        // db leaves Git while the operator is down: the next sync prunes it.
        let restarted = try await Harness(root: harness.root, platform: harness.platform)
        await restarted.reconciler.apply(try restarted.desired(workload("web", message: "a"), commit: "c3"))
        #expect(harness.platform.calls.filter { $0.hasPrefix("remove") } == ["remove default/api", "remove default/db"])
        #expect(await restarted.decisions().filter { $0 == "pruned" }.count == 2)
        await restarted.stop()
    }

    @Test func aRestartedReconcilerAdoptsWhatRunsAndFinishesTheReleaseAtTheSameStep() async throws {
        let platform = FakePlatform()
        let harness = try await Harness(platform: platform)
        defer { harness.remove() }
        let manifests = { (message: String) in workload("web", message: message) + canary("web") }
        await harness.reconciler.apply(try harness.desired(manifests("one"), commit: "c1"))
        #expect(await harness.until { await harness.phase("web") == .initialized })
        await harness.reconciler.apply(try harness.desired(manifests("two"), commit: "c2"))
        #expect(await harness.until(step: .milliseconds(100)) { platform.weights == [50] })
        let before = try #require(await harness.reconciler.status(of: "web", eventLimit: 0))
        let canaryRevision = try #require(before.canaryRevision)
        await harness.stop()

        // Same state directory, the platform's processes still running: adopted.
        let restarted = try await Harness(root: harness.root, platform: platform)
        #expect(platform.restores == 2)
        await restarted.reconciler.apply(try restarted.desired(manifests("two"), commit: "c2"))
        let resumed = try #require(await restarted.reconciler.status(of: "web", eventLimit: 0))
        #expect(resumed.step == before.step)
        #expect(resumed.canaryWeight == 50)
        #expect(await restarted.until { await restarted.phase("web") == .succeeded })
        #expect(platform.workload(WorkloadID(name: "web"))?.running.primary == canaryRevision)
        // Re-asserting is idempotent: the canary and its routes again, never a second primary deploy.
        #expect(platform.calls.filter { $0.hasPrefix("deployPrimary") }.count == 1)
        #expect(platform.calls.suffix(3) == ["startCanary \(canaryRevision)", "promote \(canaryRevision)", "scaleCanaryToZero"])
        await restarted.stop()
    }

    @Test func twoNamespacesMayUseTheSameName() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        let yaml = { (message: String) in
            workload("web", namespace: "team-a", message: message) + canary("web", namespace: "team-a")
                + workload("web", namespace: "team-b", message: "steady") + canary("web", namespace: "team-b")
        }
        await harness.reconciler.apply(try harness.desired(yaml("one"), commit: "c1"))
        #expect(await harness.until {
            let a = await harness.phase("team-a/web"), b = await harness.phase("team-b/web")
            return a == .initialized && b == .initialized
        })
        #expect(await harness.reconciler.rolloutIDs == [RolloutID(namespace: "team-a", name: "web"), RolloutID(namespace: "team-b", name: "web")])
        // A bare name is ambiguous here: the API asks for namespace/name.
        #expect(await harness.reconciler.status(of: "web", eventLimit: 0) == nil)

        await harness.reconciler.apply(try harness.desired(yaml("two"), commit: "c2"))
        #expect(await harness.until { await harness.phase("team-a/web") == .succeeded })
        #expect(await harness.phase("team-b/web") == .initialized, "team-b's workload did not change")
        let a = try #require(harness.platform.workload(WorkloadID(namespace: "team-a", name: "web")))
        let b = try #require(harness.platform.workload(WorkloadID(namespace: "team-b", name: "web")))
        #expect(a.running.primary != b.running.primary)
        #expect(harness.platform.calls.filter { $0.hasPrefix("startCanary") }.count == 1)
        #expect(await harness.reconciler.command(.abort, rollout: "team-b/web") == .conflict("nothing to abort in phase Initialized"))
        await harness.stop()
    }

    @Test func aCanaryThatLeavesGitStopsSteeringItsWorkload() async throws {
        let harness = try await Harness()
        defer { harness.remove() }
        await harness.reconciler.apply(try harness.desired(workload("web", message: "one") + canary("web"), commit: "c1"))
        #expect(await harness.until { await harness.phase("web") == .initialized })
        await harness.reconciler.apply(try harness.desired(workload("web", message: "two"), commit: "c2"))
        #expect(await harness.decisions().contains("unmanaged"))
        #expect(await harness.reconciler.rolloutIDs.isEmpty)
        // Now released plainly.
        #expect(await harness.until { await harness.decisions().contains("deployed") })
        #expect(harness.platform.calls.filter { $0.hasPrefix("deployPrimary") }.count == 2)
        await harness.stop()
    }
}
