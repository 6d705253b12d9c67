import Clocks
import Foundation
import SerinEngine
import SerinEngineTesting
import SerinSpec
import SerinTesting
import Synchronization
import Testing

/// A fetch stage answering what the test says: a commit's files, or an error.
final class FakeFetcher: SourceFetcher {
    private struct State {
        var revision: String?
        var files: [String: String] = [:]
        var error: String?
        var history: [String: [String: String]] = [:]
    }

    private let state = Mutex(State())

    func commit(_ revision: String, _ files: [String: String]) {
        state.withLock {
            $0.revision = revision
            $0.files = files
            $0.error = nil
            $0.history[revision] = files
        }
    }

    func fetch(revision: String) async throws -> FetchedRevision {
        guard let files = state.withLock({ $0.history[revision] }) else { throw StageFailure(.fetch, reason: "FetchFailed", "no \(revision)") }
        return FetchedRevision(revision: revision, commit: CommitSummary(id: revision, subject: "s", author: "Ada <ada@example.com>", time: 0),
                               files: InMemoryFiles(files))
    }

    func fail(_ message: String) { state.withLock { $0.error = message } }

    func fetch(unless known: String?) async throws -> FetchedRevision? {
        let state = self.state.withLock { $0 }
        if let error = state.error { throw StageFailure(.fetch, reason: "FetchFailed", error) }
        guard let revision = state.revision, revision != known else { return nil }
        return FetchedRevision(revision: revision, commit: CommitSummary(id: revision, subject: "s", author: "Ada <ada@example.com>", time: 0),
                               files: InMemoryFiles(state.files))
    }
}

/// What the targets were given, in order.
final class Deliveries: Sendable {
    private let list = Mutex<[DesiredState]>([])
    func append(_ desired: DesiredState) { list.withLock { $0.append(desired) } }
    var revisions: [String] { list.withLock { $0.map(\.revision) } }
    var last: DesiredState? { list.withLock { $0.last } }
}

let configMap = """
    apiVersion: v1
    kind: ConfigMap
    metadata: { name: settings, namespace: default }
    data: { greeting: hello }

    """

@Suite struct SourcePipelineTests {
    func make(_ fetcher: FakeFetcher, targets: [String] = ["cluster"]) -> (SourcePipeline<TestClock<Duration>>, Deliveries) {
        let delivered = Deliveries()
        let pipeline = SourcePipeline(configuration: .init(name: "apps", path: "deploy", interval: .seconds(60), targets: targets),
                                      stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator(platform: .kubernetes)),
                                      clock: TestClock(), now: { 1_000 }, deliver: { delivered.append($0) })
        return (pipeline, delivered)
    }

    /// Each stage that holds a source back says so in its Ready condition,
    /// and none of them replaces the revision in force.
    @Test func eachStageHoldsTheSourceBackWithItsReasonAndTheRevisionInForceStays() async throws {
        let fetcher = FakeFetcher()
        let (pipeline, delivered) = make(fetcher)

        fetcher.fail("the remote hung up")
        await pipeline.syncOnce()
        #expect(await pipeline.status.reason == "FetchFailed")
        #expect(delivered.revisions.isEmpty)

        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await pipeline.syncOnce()
        #expect(delivered.revisions == ["main@sha1:1"])
        // Given to the target, not yet applied: not ready.
        #expect(await pipeline.status.reason == "Progressing")
        #expect(await pipeline.status.conditions["Ready"]?.status == .unknown)
        await pipeline.delivered(to: "cluster", revision: "main@sha1:1", .delivered)
        #expect(await pipeline.status.ready)
        #expect(await pipeline.status.message == "applied main@sha1:1")

        // Render: the source's path is gone.
        fetcher.commit("main@sha1:2", ["elsewhere/settings.yaml": configMap])
        await pipeline.syncOnce()
        var status = await pipeline.status
        #expect(status.reason == "RenderFailed")
        #expect(status.message.contains("path \"deploy\" does not exist"), "\(status.message)")
        #expect(status.conditions["Reconciling"]?.reason == "RetryingAfterFailure")

        // Validation: a refused commit is Stalled, and stays refused when polled again.
        fetcher.commit("main@sha1:3", ["deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { namespace: default }\n"])
        await pipeline.syncOnce()
        await pipeline.syncOnce()
        status = await pipeline.status
        #expect(status.reason == "ValidationFailed")
        #expect(status.conditions["Stalled"]?.status == .true)
        #expect(status.errors == ["deploy/settings.yaml:1:1: metadata.name is required"], "\(status.errors)")
        #expect(status.lastAttemptedRevision == "main@sha1:3")
        #expect(status.lastGoodRevision == "main@sha1:1")
        #expect(delivered.revisions == ["main@sha1:1"], "nothing but the good revision reached a target")

        // Apply: the target refuses; then takes it.
        fetcher.commit("main@sha1:4", ["deploy/settings.yaml": configMap.replacingOccurrences(of: "hello", with: "again")])
        await pipeline.syncOnce()
        #expect(delivered.revisions == ["main@sha1:1", "main@sha1:4"])
        await pipeline.delivered(to: "cluster", revision: "main@sha1:4",
                                 DeliveryResult(failure: StageFailure(.apply, reason: "ApplyFailed", "ConfigMap default/settings: forbidden")))
        status = await pipeline.status
        #expect(!status.ready)
        #expect(status.reason == "ApplyFailed")
        #expect(status.message == "main@sha1:4: ConfigMap default/settings: forbidden")
        // A late word on an older revision says nothing of this one.
        await pipeline.delivered(to: "cluster", revision: "main@sha1:1", .delivered)
        #expect(await pipeline.status.reason == "ApplyFailed")
        await pipeline.delivered(to: "cluster", revision: "main@sha1:4", .delivered)
        #expect(await pipeline.status.ready)
    }

    /// The documents handed on are the ones validated, each with where it
    /// was written: a target applies exactly these.
    @Test func theRevisionCarriesEveryDocumentAsValidated() async throws {
        let fetcher = FakeFetcher()
        let (pipeline, delivered) = make(fetcher)
        let canary = """
            apiVersion: flagger.app/v1beta1
            kind: Canary
            metadata: { name: web, namespace: default }
            spec:
              targetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
              service: { port: 80 }
              analysis: { interval: 10s, threshold: 2, stepWeight: 50, maxWeight: 50 }

            """
        fetcher.commit("main@sha1:1", ["deploy/a.yaml": configMap, "deploy/b.yaml": canary])
        await pipeline.syncOnce()
        let desired = try #require(delivered.last)
        #expect(desired.manifests.objects.map(\.kind) == ["ConfigMap", "Canary"])
        #expect(desired.manifests.objects[1].source.position("spec.service.port").description == "deploy/b.yaml:6:20")
        #expect(desired.manifests.objects[1].value["spec"]?["analysis"]?["stepWeight"] == 50)
        #expect(desired.plans.count == 1)
    }
}

@Suite struct WorkQueueTests {
    /// Items for one key never run at once; one added while its key is in
    /// flight runs after it, merged with anything added meanwhile.
    @Test func oneItemInFlightPerKeyTheNewestWinning() async throws {
        let clock = TestClock<Duration>()
        let queue = WorkQueue<String, Int, TestClock<Duration>>(clock: clock, concurrency: 4)
        let first = FakePlatform.Hold()
        let seen = Mutex<[Int]>([])
        let inFlight = Mutex(0)
        let most = Mutex(0)
        let running = Task {
            await queue.run { _, item in
                let now = inFlight.withLock { $0 += 1; return $0 }
                most.withLock { $0 = max($0, now) }
                seen.withLock { $0.append(item) }
                if item == 1 { await first.pass() }
                inFlight.withLock { $0 -= 1 }
                return .done
            }
        }
        queue.add("apps", 1)
        await first.reached.wait()
        queue.add("apps", 2)
        queue.add("apps", 3)
        #expect(queue.isBusy("apps"))
        first.release()
        try await eventually("1 then 3, and the queue idle") { seen.withLock { $0 } == [1, 3] && !queue.isBusy("apps") }
        #expect(most.withLock { $0 } == 1)
        queue.close()
        await running.value
    }

    /// A failed item comes back after its backoff, on the queue's clock;
    /// a newer item for its key replaces the retry at once.
    @Test func aFailedItemIsRetriedAfterItsBackoffUnlessANewerOneArrives() async throws {
        let clock = TestClock<Duration>()
        let queue = WorkQueue<String, Int, TestClock<Duration>>(clock: clock, backoff: { failures in .seconds(10 * failures) })
        let seen = Mutex<[Int]>([])
        let running = Task {
            await queue.run { _, item in
                let count = seen.withLock { $0.append(item); return $0.count }
                return count < 3 ? .retry : .done
            }
        }
        queue.add("apps", 1)
        try await eventually("1 failed once") { seen.withLock { $0 } == [1] && queue.failures(of: "apps") == 1 }
        await clock.advance(by: .seconds(9))
        #expect(seen.withLock { $0 } == [1], "not before its backoff")
        await clock.advance(by: .seconds(1))
        try await eventually("1 failed twice") { seen.withLock { $0 } == [1, 1] && queue.failures(of: "apps") == 2 }
        // Failing again, it waits 20 s; a newer item does not.
        queue.add("apps", 2)
        try await eventually("2 done, and the queue idle") { seen.withLock { $0 } == [1, 1, 2] && !queue.isBusy("apps") }
        queue.close()
        await running.value
    }

    /// The race `ClusterSync` had: a resync of the revision applied while a
    /// newer revision arrives. Through the delivery queue, the resync folds
    /// into the newer delivery: the old revision's objects are never applied
    /// after the new ones, and the last word (the inventory saved last) is the newest revision's.
    @Test func aResyncNeverOvertakesANewerRevision() async throws {
        let target = RecordingTarget()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serin-queue-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let log = try EventLog(stateDirectory: root)
        let queues = DeliveryQueues(targets: [target], clock: TestClock<Duration>(), log: log, logger: .init(label: "test"))
        let running = Task { await queues.run { _, _, _ in } }
        let hold = target.hold("r1")
        queues.deliver(Self.desired("r1"))
        await hold.reached.wait()
        // While r1 is applied: the resync timer fires, then r2 arrives, then the timer again.
        queues.resync(Self.desired("r1"))
        queues.deliver(Self.desired("r2"))
        queues.resync(Self.desired("r2"))
        hold.release()
        try await eventually("two deliveries") { target.calls.count == 2 }
        #expect(target.calls == ["deliver r1", "deliver r2"])
        running.cancel()
        await running.value
    }

    static func desired(_ revision: String) -> DesiredState {
        DesiredState(source: "apps", revision: revision, commit: revision, author: nil, manifests: Manifests(), plans: [])
    }
}

/// A target that records what it is given, and can hold a delivery back.
final class RecordingTarget: DeliveryTarget {
    let name = "cluster"
    private let state = Mutex<(calls: [String], holds: [String: FakePlatform.Hold])>(([], [:]))

    var calls: [String] { state.withLock { $0.calls } }

    func hold(_ revision: String) -> FakePlatform.Hold {
        let hold = FakePlatform.Hold()
        state.withLock { $0.holds[revision] = hold }
        return hold
    }

    func deliver(_ desired: DesiredState, resync: Bool) async -> DeliveryResult {
        let hold = state.withLock { state -> FakePlatform.Hold? in
            state.calls.append("\(resync ? "resync" : "deliver") \(desired.revision)")
            return state.holds.removeValue(forKey: desired.revision)
        }
        await hold?.pass()
        return .delivered
    }
}

/// Every state saved, in order, by key.
final class RecordingReplica: StateReplica {
    private let saved = Mutex<[(key: String, data: Data)]>([])

    func save(_ data: Data, as key: String) async throws { saved.withLock { $0.append((key, data)) } }
    func load(_ key: String) async throws -> Data? { nil }

    /// The plan digest of each state saved for `key`, in order.
    func planDigests(of key: String) -> [String?] {
        saved.withLock { $0.filter { $0.key == key } }.map { entry in
            (try? JSONValue.parse(entry.data))?["state"]?["planDigest"]?.stringValue
        }
    }
}

@Suite struct RunnerHandoverTests {
    /// A changed Canary replaces its rollout's runner. The runner it
    /// replaces may be in the middle of an action; it finishes it and
    /// saves, and only then does its successor read the state and act: the
    /// states saved never go back to the old plan once the new one saved.
    @Test func aReplacedRunnerNeverSavesAfterItsSuccessor() async throws {
        let replica = RecordingReplica()
        let harness = try await Harness(replica: replica)
        defer { harness.remove() }
        await harness.reconciler.apply(try harness.desired(workload("web", message: "one") + canary("web"), commit: "c1"))
        #expect(await harness.until { await harness.phase("web") == .initialized })
        let hold = harness.platform.hold("startCanary")
        await harness.reconciler.apply(try harness.desired(workload("web", message: "two") + canary("web"), commit: "c2"))
        await hold.reached.wait()
        let old = try #require(replica.planDigests(of: "default.web").last ?? nil)

        // The Canary changes while the old runner is inside startCanary.
        let changed = try harness.desired(workload("web", message: "two") + canary("web", stepWeight: 25), commit: "c3")
        await harness.reconciler.apply(changed)
        let new = try #require(changed.plans.first?.digest)
        #expect(new != old)
        // The successor does not act while its predecessor is held: no
        // state of the new plan is saved (given time to, stepping the clock).
        _ = await harness.until(timeout: .seconds(3)) { replica.planDigests(of: "default.web").contains(new) }
        #expect(!replica.planDigests(of: "default.web").contains(new), "the successor acted while the replaced runner was still running")
        hold.release()
        let done = await harness.until { await harness.phase("web") == .succeeded }
        let phase = await harness.phase("web")
        let decisions = await harness.decisions()
        #expect(done, "\(String(describing: phase)) \(harness.platform.calls) \(decisions) \(replica.planDigests(of: "default.web"))")
        let digests = replica.planDigests(of: "default.web")
        let firstNew = try #require(digests.firstIndex(of: new), "\(digests)")
        #expect(digests[firstNew...].allSatisfy { $0 == new }, "an old plan's state was saved after the new plan's: \(digests)")
        await harness.stop()
    }
}

/// Wave records kept in memory, shared by a pipeline and its restarted successor.
final class MemoryWaveStore: WaveStore {
    private let records = Mutex<[String: WaveRecord]>([:])
    func load(source: String) async throws -> WaveRecord? { records.withLock { $0[source] } }
    func save(_ record: WaveRecord, source: String) async throws { records.withLock { $0[source] = record } }
    var saved: WaveRecord? { records.withLock { $0.values.first } }
}

/// The targets' side of a staged source, steered by the test.
final class FakeTargets: Sendable {
    private struct State {
        var given: [String] = []
        var releases: [String: ReleaseState] = [:]
    }

    private let state = Mutex(State())

    /// `target revision`, in the order given.
    var given: [String] { state.withLock { $0.given } }
    func set(_ target: String, _ release: ReleaseState) { state.withLock { $0.releases[target] = release } }

    var links: SourcePipeline<TestClock<Duration>>.Targets {
        .init(deliver: { target, desired in self.state.withLock { $0.given.append("\(target) \(desired.revision)") } },
              release: { target, _ in self.state.withLock { $0.releases[target] ?? .releasing("analysing") } })
    }
}

@Suite struct WaveTests {
    static let plan = WavePlan(waves: [["staging"], ["eu", "us"]])

    func make(_ fetcher: FakeFetcher, _ targets: FakeTargets, store: MemoryWaveStore, plan: WavePlan = WaveTests.plan,
              clock: TestClock<Duration> = TestClock()) -> SourcePipeline<TestClock<Duration>> {
        SourcePipeline(configuration: .init(name: "apps", path: "deploy", interval: .seconds(60), waves: plan),
                       stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator(platform: .kubernetes)),
                       clock: clock, now: { 1_000 }, targets: targets.links, waveStore: store)
    }

    /// Applied on every target of a wave, and its release promoted there:
    /// only then does the next wave get the revision.
    func release(_ pipeline: SourcePipeline<TestClock<Duration>>, _ targets: FakeTargets, _ names: [String], _ revision: String) async {
        for name in names {
            await pipeline.delivered(to: name, revision: revision, .delivered)
            targets.set(name, .released)
        }
        await pipeline.advanceWaves()
    }

    @Test func aRevisionReachesTheNextWaveOnlyOnceTheWaveBeforeReleasedIt() async throws {
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let pipeline = make(fetcher, targets, store: store)
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await pipeline.syncOnce()
        #expect(targets.given == ["staging main@sha1:1"])
        await pipeline.delivered(to: "staging", revision: "main@sha1:1", .delivered)
        await pipeline.advanceWaves()
        #expect(targets.given == ["staging main@sha1:1"], "staging applied it, but has not released it yet")
        #expect(await pipeline.status.message == "releasing main@sha1:1 in wave 1 of 2 (staging)")
        await release(pipeline, targets, ["staging"], "main@sha1:1")
        #expect(targets.given == ["staging main@sha1:1", "eu main@sha1:1", "us main@sha1:1"])
        #expect(store.saved?.wave == 1)
        await release(pipeline, targets, ["eu", "us"], "main@sha1:1")
        #expect(await pipeline.status.ready)
        #expect(await pipeline.status.waves?.wave == 3)
    }

    /// A revision that fails in a wave halts there: later waves keep the
    /// revision that passed every wave before them, and never see this one.
    @Test func aFailureHaltsTheRevisionAndLaterWavesKeepWhatTheyHad() async throws {
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let pipeline = make(fetcher, targets, store: store)
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await pipeline.syncOnce()
        await release(pipeline, targets, ["staging"], "main@sha1:1")
        await release(pipeline, targets, ["eu", "us"], "main@sha1:1")

        fetcher.commit("main@sha1:2", ["deploy/settings.yaml": configMap.replacingOccurrences(of: "hello", with: "bad")])
        await pipeline.syncOnce()
        await pipeline.delivered(to: "staging", revision: "main@sha1:2", .delivered)
        targets.set("staging", .failed("Canary default/web failed: 3 failed checks"))
        await pipeline.advanceWaves()
        let status = await pipeline.status
        #expect(status.reason == "WaveHalted")
        #expect(status.message.contains("halted at wave 1 (staging): Canary default/web failed"), "\(status.message)")
        #expect(!targets.given.contains("eu main@sha1:2") && !targets.given.contains("us main@sha1:2"))
        #expect(await pipeline.given["eu"]?.revision == "main@sha1:1")
        #expect(store.saved?.assigned == ["staging": "main@sha1:2", "eu": "main@sha1:1", "us": "main@sha1:1"])

        // A newer commit starts again from the first wave.
        fetcher.commit("main@sha1:3", ["deploy/settings.yaml": configMap.replacingOccurrences(of: "hello", with: "mended")])
        await pipeline.syncOnce()
        #expect(targets.given.last == "staging main@sha1:3")
        #expect(await pipeline.status.reason == "Progressing")
    }

    /// A cluster whose delivery failed gitops' apply stage (refused by the
    /// dry run, or not healthy after it) holds its wave even where its
    /// Canaries would say released; the source says why, naming the
    /// cluster; once a delivery there applies and is healthy, the revision goes on.
    @Test(arguments: [StageFailure(.apply, reason: "ApplyFailed", "refused by the apiserver: ConfigMap default/settings: invalid"),
                      StageFailure(.health, reason: "HealthCheckFailed", "not healthy after 5m: Deployment default/web: 0/1 replicas ready")])
    func aDeliveryThatFailedApplyOrHealthHoldsItsWave(failure: StageFailure) async throws {
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let pipeline = make(fetcher, targets, store: store)
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await pipeline.syncOnce()
        targets.set("staging", .released)
        await pipeline.delivered(to: "staging", revision: "main@sha1:1", DeliveryResult(failure: failure))
        await pipeline.advanceWaves()
        #expect(targets.given == ["staging main@sha1:1"], "eu and us never get a revision staging failed to apply")
        let status = await pipeline.status
        #expect(status.reason == failure.reason)
        #expect(status.message.contains("staging: \(failure.message)"), "\(status.message)")
        #expect(store.saved?.wave == 0)

        await pipeline.delivered(to: "staging", revision: "main@sha1:1", .delivered)
        await pipeline.advanceWaves()
        #expect(targets.given == ["staging main@sha1:1", "eu main@sha1:1", "us main@sha1:1"])
    }

    /// `serin rollback` on a staged source: the pinned revision travels the
    /// waves like any other, from the first; later waves keep theirs until it reaches them.
    @Test func aPinnedRevisionTravelsTheWavesFromTheFirst() async throws {
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let pipeline = make(fetcher, targets, store: store)
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await pipeline.syncOnce()
        await release(pipeline, targets, ["staging"], "main@sha1:1")
        await release(pipeline, targets, ["eu", "us"], "main@sha1:1")
        fetcher.commit("main@sha1:2", ["deploy/settings.yaml": configMap.replacingOccurrences(of: "hello", with: "two")])
        await pipeline.syncOnce()
        await release(pipeline, targets, ["staging"], "main@sha1:2")
        await release(pipeline, targets, ["eu", "us"], "main@sha1:2")

        await pipeline.pin(SourcePin(revision: "main@sha1:1", commit: "1", by: "alice", time: 1_000))
        await pipeline.syncOnce()
        #expect(targets.given.last == "staging main@sha1:1")
        #expect(await pipeline.given["eu"]?.revision == "main@sha1:2", "eu keeps its revision until the pinned one reaches it")
        await release(pipeline, targets, ["staging"], "main@sha1:1")
        #expect(await pipeline.given["eu"]?.revision == "main@sha1:1")
        #expect(await pipeline.trigger(of: "main@sha1:1") == "rollback by alice")
    }

    /// Killed mid-wave, a new operator (on an empty state directory, the
    /// record in the store) resumes at the same wave; the targets beyond it
    /// keep their older revision, read again from Git for their resyncs.
    @Test func aRestartResumesAtTheSameWave() async throws {
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let first = make(fetcher, targets, store: store)
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await first.syncOnce()
        await release(first, targets, ["staging"], "main@sha1:1")
        await release(first, targets, ["eu", "us"], "main@sha1:1")
        fetcher.commit("main@sha1:2", ["deploy/settings.yaml": configMap.replacingOccurrences(of: "hello", with: "two")])
        await first.syncOnce()
        #expect(store.saved?.revision == "main@sha1:2" && store.saved?.wave == 0)

        let restarted = FakeTargets()
        let second = make(fetcher, restarted, store: store)
        await second.syncOnce()
        #expect(await second.record?.wave == 0)
        #expect(await second.given["eu"]?.revision == "main@sha1:1")
        // The revision goes on where it was, not everywhere; the later waves
        // are handed what they kept (read again from Git), so their clusters
        // take up their rollouts as they were.
        #expect(restarted.given == ["staging main@sha1:2", "eu main@sha1:1", "us main@sha1:1"])
        await release(second, restarted, ["staging"], "main@sha1:2")
        #expect(restarted.given == ["staging main@sha1:2", "eu main@sha1:1", "us main@sha1:1", "eu main@sha1:2", "us main@sha1:2"])

        // Killed again in the second wave: the next one resumes there, not at the first.
        let third = FakeTargets()
        let resumed = make(fetcher, third, store: store)
        await resumed.syncOnce()
        #expect(await resumed.record?.wave == 1)
        #expect(Set(third.given) == ["staging main@sha1:2", "eu main@sha1:2", "us main@sha1:2"])
        await release(resumed, third, ["eu", "us"], "main@sha1:2")
        #expect(await resumed.record?.isDone(in: WaveTests.plan) == true)
    }

    /// Killed while a later wave waits (here for serin promote), a new
    /// operator on the same record waits at that wave: it does not start
    /// the revision over from the first wave.
    @Test func aRestartBeyondTheFirstWaveStaysThere() async throws {
        let plan = WavePlan(waves: [["staging"], ["eu"], ["us"]], pause: true)
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let first = make(fetcher, targets, store: store, plan: plan)
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await first.syncOnce()
        await release(first, targets, ["staging"], "main@sha1:1")
        #expect(await first.promote())
        await release(first, targets, ["eu"], "main@sha1:1")
        #expect(store.saved?.wave == 1 && store.saved?.hold == .pause)

        let restarted = FakeTargets()
        let second = make(fetcher, restarted, store: store, plan: plan)
        await second.syncOnce()
        #expect(await second.record?.wave == 1)
        #expect(await second.record?.hold == .pause)
        #expect(restarted.given == ["staging main@sha1:1", "eu main@sha1:1"], "us waits for the promotion, as before the restart")
        let message = await second.status.message
        #expect(message.contains("waits for serin promote apps"), "\(message)")
        #expect(await second.promote())
        #expect(restarted.given.last == "us main@sha1:1")
    }

    /// A pause between waves waits for serin promote; a bake time waits on the clock.
    @Test func aPauseWaitsForPromoteAndABakeForItsTime() async throws {
        let fetcher = FakeFetcher(), targets = FakeTargets(), store = MemoryWaveStore()
        let paused = make(fetcher, targets, store: store, plan: WavePlan(waves: [["staging"], ["eu"]], pause: true))
        fetcher.commit("main@sha1:1", ["deploy/settings.yaml": configMap])
        await paused.syncOnce()
        await release(paused, targets, ["staging"], "main@sha1:1")
        #expect(targets.given == ["staging main@sha1:1"])
        #expect(await paused.status.message.contains("waits for serin promote apps"))
        #expect(await paused.promote())
        #expect(targets.given == ["staging main@sha1:1", "eu main@sha1:1"])

        let baked = FakeTargets()
        let wall = Mutex(1_000.0)
        let baking = SourcePipeline(configuration: .init(name: "apps", path: "deploy", interval: .seconds(60),
                                                         waves: WavePlan(waves: [["staging"], ["eu"]], bake: .seconds(600))),
                                    stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator(platform: .kubernetes)),
                                    clock: TestClock(), now: { wall.withLock { $0 } }, targets: baked.links, waveStore: MemoryWaveStore())
        await baking.syncOnce()
        await release(baking, baked, ["staging"], "main@sha1:1")
        wall.withLock { $0 += 599 }
        await baking.advanceWaves()
        #expect(baked.given == ["staging main@sha1:1"], "still baking")
        wall.withLock { $0 += 1 }
        await baking.advanceWaves()
        #expect(baked.given == ["staging main@sha1:1", "eu main@sha1:1"])
    }
}
