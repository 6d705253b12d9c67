import Foundation
import CSerinProcess
import SerinEngine
import SerinTesting
import NIOConcurrencyHelpers
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// The apiserver's bad moments during a release through `serin run`:
    /// a restart of the real kube-apiserver, watches that expire (410),
    /// conflicts on writes (409) and throttling (429). Each release goes
    /// through every step once (no weight skipped, none set twice), decides
    /// nothing false (no Failed) and ends Succeeded.
    @Suite struct ApiserverResilienceTests {
        typealias Operator = KubernetesOperatorTests
        typealias Release = KubernetesReleaseTests

        /// The plan of `Release.canary(metrics: false)`: 10% steps to 50%,
        /// then the promotion puts every request back on the primary.
        static let expectedWeights = [0, 10, 20, 30, 40, 50, 0]

        /// The canary's weight on the HTTPRoute, sampled every 50 ms; a
        /// weight is written down when it differs from the last one, so a
        /// step set again after another shows as a repeat.
        final class WeightRecorder: Sendable {
            private let seen: NIOLockedValueBox<[Int]>
            private let shown: NIOLockedValueBox<Set<Int>>
            private let task: Task<Void, Never>

            init(client: KubeClient, namespace: String) {
                let seen = NIOLockedValueBox<[Int]>([])
                let shown = NIOLockedValueBox<Set<Int>>([])
                self.seen = seen
                self.shown = shown
                task = Task {
                    while !Task.isCancelled {
                        // The apiserver may be away: a sample is skipped, never invented.
                        if let weight = try? await Operator.canaryWeight(client, namespace) {
                            seen.withLockedValue { if $0.last != weight { $0.append(weight) } }
                        }
                        let canary = try? await client.resources(SerinKubernetes.Canary.self).getIfPresent("web", namespace: namespace)
                        if let weight = canary?.status?.canaryWeight {
                            shown.withLockedValue { _ = $0.insert(Int(weight)) }
                        }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
            }

            var weights: [Int] { seen.withLockedValue { $0 } }
            /// The weights the Canary's status showed (`kubectl get canaries`).
            var statusWeights: Set<Int> { shown.withLockedValue { $0 } }
            var current: Int? { weights.last }
            func stop() { task.cancel() }
        }

        /// `serin run` as a process (a lost lease ends it with status 3,
        /// which must never take the test runner down with it), on its own
        /// state directory, talking to the apiserver through `kubeconfig`.
        final class SerinProcess: @unchecked Sendable {
            // Safe: changed only by the test's one task (start/restart/stop).
            private(set) var server: ServerProcess
            private(set) var restarts = 0
            /// When `stop()` began: what is recorded after it is the shutdown's.
            private(set) var stoppedAt: Double?
            let directory: String
            private let arguments: [String]
            private let port: Int

            init(repository: GitFixture, namespace: String, kubeconfig: String, in scratch: TemporaryDirectory) throws {
                directory = scratch.path + "/serin"
                port = try Loopback.freePort()
                let config = try scratch.write("serin/serin.yaml", """
                    stateDir: \(directory)/state
                    platform: kubernetes
                    kubernetes: { kubeconfig: \(kubeconfig), namespace: \(namespace) }
                    prometheus: { address: "http://127.0.0.1:1" }
                    api: { listen: "127.0.0.1:\(port)" }
                    sources:
                      - { name: apps, url: "file://\(repository.bare)", ref: { branch: main }, interval: 1s }
                    """)
                arguments = ["run", "--config", config]
                server = try ServerProcess(Products.executable("serin"), arguments, port: port, log: directory + "/serin.log")
            }

            /// As the kubelet would: a `serin run` that exited (a lease lost
            /// while the apiserver was away) is started again on the same
            /// state directory.
            func restartIfExited() throws {
                guard !server.process.isRunning else { return }
                print("serin run exited with status \(server.process.terminationStatus); starting it again")
                restarts += 1
                server = try ServerProcess(Products.executable("serin"), arguments, port: port, log: directory + "/serin-\(restarts).log")
            }

            var entries: [EventLog.Entry] {
                EventLog.entries(inStateDirectory: directory + "/state")
            }

            func stop() {
                stoppedAt = stoppedAt ?? Date().timeIntervalSince1970
                server.stop()
            }
        }

        /// Syncs v1 to Initialized, commits v2 and calls `disturb` with the
        /// weight recorder once the canary is at 20%; then waits for the
        /// release to end and checks it went through every step once with
        /// no Failed verdict.
        static func release(_ client: KubeClient, _ namespace: String, kubeconfig: String, scratch: TemporaryDirectory,
                            atStart: (() async throws -> Void)? = nil,
                            disturb: (WeightRecorder, SerinProcess) async throws -> Void) async throws -> SerinProcess {
            try await KubeTestCluster.installCRD(client, fixture: "httproute-crd-minimal.yaml")
            let repository = try GitFixture()
            try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v1"),
                                   "deploy/canary.yaml": Release.canary(namespace, metrics: false)], message: "v1")
            let serin = try SerinProcess(repository: repository, namespace: namespace, kubeconfig: kubeconfig, in: scratch)
            let recorder = WeightRecorder(client: client, namespace: namespace)
            do {
                // Generous: a cluster busy with someone else's thousand Deployments
                // (the controller-manager throttled) takes a minute to start a pod.
                try await eventually("the Canary is Initialized", timeout: .seconds(180)) {
                    try await Operator.phase(client, namespace) == "Initialized"
                }
                try repository.commit(["deploy/web.yaml": Operator.deployment(namespace, version: "v2")], message: "v2")
                try await atStart?()
                try await eventually("the canary takes 20%", timeout: .seconds(90)) {
                    try serin.restartIfExited()
                    return recorder.current == 20
                }
                try await disturb(recorder, serin)
                try await eventually("the release succeeds", timeout: .seconds(120)) {
                    try serin.restartIfExited()
                    return (try? await Operator.phase(client, namespace)) == "Succeeded" && recorder.current == 0
                }
                recorder.stop()
                #expect(recorder.weights == Self.expectedWeights, "weights: \(recorder.weights)")
                // Sampling could miss a step set and undone within 50 ms; the
                // route's generation counts every change of its spec: created
                // at 0, then one change per weight after that.
                let route: HTTPRouteV1Beta1 = try await client.resources(HTTPRouteV1Beta1.self).get("web", namespace: namespace)
                #expect(route.metadata.generation == Int64(Self.expectedWeights.count), "the route's spec changed \(route.metadata.generation ?? 0) times")
                // The Canary's status follows the steps (written every 2 s while a
                // release runs), not only the decisions (then it showed 50 alone).
                let shownSteps = recorder.statusWeights.intersection([10, 20, 30, 40, 50])
                #expect(shownSteps.count >= 3, "the Canary's status showed the weights \(recorder.statusWeights.sorted())")
                let failures = serin.entries.filter { $0.decision == "Failed" }
                #expect(failures.isEmpty, "\(failures)")
                let promoted = try await Operator.version(client, namespace, "web-primary")
                #expect(promoted == "v2")
            } catch {
                recorder.stop()
                print("weights so far: \(recorder.weights)")
                for entry in serin.entries { print("event: \(entry.decision) \(entry.reason)") }
                print((try? String(contentsOfFile: serin.directory + "/serin.log", encoding: .utf8))?.suffix(4000) ?? "")
                serin.stop()
                throw error
            }
            serin.stop()
            return serin
        }

        /// The admin kubeconfig with its server replaced by the proxy's plain-HTTP address.
        static func kubeconfig(through proxy: FaultInjectingProxy, in scratch: TemporaryDirectory) throws -> String {
            let direct = try String(contentsOfFile: KubeTestCluster.environment["KUBECONFIG"] ?? "", encoding: .utf8)
            let server = try KubeTestCluster.config().server
            return try scratch.write("kubeconfig", direct.replacingOccurrences(of: server, with: "http://127.0.0.1:\(proxy.port)"))
        }

        /// Runs `body` with a proxy in front of the test cluster's apiserver, stopped afterwards.
        static func withProxy(_ body: (FaultInjectingProxy) async throws -> Void) async throws {
            let proxy = try await FaultInjectingProxy(to: KubeTestCluster.config())
            do {
                try await body(proxy)
            } catch {
                await proxy.stop()
                throw error
            }
            await proxy.stop()
        }

        static func isWrite(_ request: FaultInjectingProxy.Request, in namespace: String) -> Bool {
            ["PATCH", "PUT", "POST"].contains(request.method) && request.path.contains("/namespaces/\(namespace)/")
        }

        /// 409 Conflict on Serin's writes mid-release: the route's weight,
        /// the Canary's status, the rollout's state and the lease, each
        /// refused twice. None was carried out; Serin writes them again and
        /// the release goes on from the step it was at.
        @Test(.timeLimit(.minutes(10)))
        func conflictsOnWritesMidReleaseLoseNoStep() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let scratch = try TemporaryDirectory(prefix: "serin-kube-409")
                defer { scratch.remove() }
                try await Self.withProxy { proxy in
                    let kubeconfig = try Self.kubeconfig(through: proxy, in: scratch)
                    let serin = try await Self.release(client, namespace, kubeconfig: kubeconfig, scratch: scratch) { _, _ in
                        for resource in ["/httproutes/", "/canaries/", "/configmaps/serin-state-", "/leases/"] {
                            proxy.inject(.status(409, reason: "Conflict", retryAfter: nil), count: 2) { request in
                                ["PATCH", "PUT"].contains(request.method) && request.path.contains(resource)
                                    && request.path.contains("/namespaces/\(namespace)/")
                            }
                        }
                        try await eventually("every conflict was given", timeout: .seconds(60)) {
                            proxy.pendingFaults == 0
                        }
                    }
                    let conflicts = proxy.log.filter { $0.injected && $0.status == 409 }
                    #expect(conflicts.count == 8, "\(conflicts)")
                    // The route refused was written again, and taken.
                    let routeWrites = proxy.log.filter { $0.path.contains("/httproutes/") && $0.method == "PATCH" }
                    let lastRefused = routeWrites.lastIndex { $0.injected } ?? 0
                    #expect(routeWrites.dropFirst(lastRefused + 1).contains { $0.status == 200 }, "\(routeWrites)")
                    print("409: \(conflicts.count) conflicts injected; errors Serin recorded: "
                          + "\(serin.entries.filter { $0.decision == "error" }.count); route writes: \(routeWrites.count)")
                }
            }
        }

        /// The Canary's status refused (409) for every decision of the
        /// promotion: nothing decides anything after it, yet the status
        /// must not stay at Progressing; it is written again until taken.
        @Test(.timeLimit(.minutes(10)))
        func aStatusRefusedAtThePromotionIsWrittenAgain() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let scratch = try TemporaryDirectory(prefix: "serin-kube-status")
                defer { scratch.remove() }
                try await Self.withProxy { proxy in
                    let kubeconfig = try Self.kubeconfig(through: proxy, in: scratch)
                    _ = try await Self.release(client, namespace, kubeconfig: kubeconfig, scratch: scratch) { recorder, _ in
                        try await eventually("the canary takes 50%", timeout: .seconds(60)) { recorder.current == 50 }
                        proxy.inject(.status(409, reason: "Conflict", retryAfter: nil), count: 3) { request in
                            request.method == "PATCH" && request.path.hasSuffix("/namespaces/\(namespace)/canaries/web/status")
                        }
                        try await eventually("the promotion's status writes are refused", timeout: .seconds(60)) {
                            proxy.pendingFaults == 0
                        }
                    }
                    let refused = proxy.log.filter { $0.injected }
                    #expect(refused.count == 3, "\(refused)")
                }
            }
        }

        /// 429 with Retry-After on Serin's calls mid-release: the client
        /// waits as asked and sends them again; nothing fails.
        @Test(.timeLimit(.minutes(10)))
        func throttlingMidReleaseIsWaitedOut() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let scratch = try TemporaryDirectory(prefix: "serin-kube-429")
                defer { scratch.remove() }
                try await Self.withProxy { proxy in
                    let kubeconfig = try Self.kubeconfig(through: proxy, in: scratch)
                    var injectedAt = 0.0
                    let serin = try await Self.release(client, namespace, kubeconfig: kubeconfig, scratch: scratch) { _, _ in
                        injectedAt = Date().timeIntervalSince1970
                        // Two in a row on each kind of write (the client tries five times).
                        // No plain read is armed: mid-release Serin reads only from its
                        // informers (the sync judges drift and health from their caches), so
                        // such a fault would never be given; RetryPolicy's answer to a 429
                        // on a read is BackoffTests'.
                        for resource in ["/httproutes/", "/canaries/", "/configmaps/serin-state-", "/leases/"] {
                            proxy.inject(.status(429, reason: "TooManyRequests", retryAfter: 1), count: 2) { request in
                                ["PATCH", "PUT"].contains(request.method) && request.path.contains(resource)
                            }
                        }
                        let mark = proxy.log.count
                        do {
                            try await eventually("every 429 was given", timeout: .seconds(60)) {
                                proxy.pendingFaults == 0
                            }
                        } catch {
                            // Which calls Serin made meanwhile: the faults left are for calls it no longer makes.
                            var calls: [String: Int] = [:]
                            for request in proxy.log.dropFirst(mark) where !request.isWatch {
                                let kind = request.path.split(separator: "/").dropLast().suffix(2).joined(separator: "/")
                                calls["\(request.method) \(kind) \(request.status)", default: 0] += 1
                            }
                            Issue.record("\(proxy.pendingFaults) faults never given; calls since they were armed: \(calls.sorted { $0.key < $1.key })")
                            throw error
                        }
                    }
                    let throttled = proxy.log.filter { $0.injected && $0.status == 429 }
                    #expect(throttled.count == 8, "\(throttled)")
                    // Waited out by the client: nothing reached the rollout as an error (until
                    // the test stopped serin run: a sync its shutdown cancels says so).
                    let stoppedAt = serin.stoppedAt ?? .infinity
                    let errors = serin.entries.filter { $0.decision == "error" && $0.time >= injectedAt && $0.time < stoppedAt }
                    #expect(errors.isEmpty, "\(errors.map(\.reason))")
                    print("429: \(throttled.count) throttled answers; errors Serin recorded after them: \(errors.count)")
                }
            }
        }

        /// The Deployments' watch expires (410 Gone) as the canary starts
        /// and again mid-release, with etcd compacted: the informer relists
        /// and the release goes on, the canary's and then the primary's
        /// readiness seen through the new list.
        @Test(.timeLimit(.minutes(10)))
        func anExpiredWatchMidReleaseIsRelisted() async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let scratch = try TemporaryDirectory(prefix: "serin-kube-410")
                defer { scratch.remove() }
                try await Self.withProxy { proxy in
                    let kubeconfig = try Self.kubeconfig(through: proxy, in: scratch)
                    let deploymentWatch: @Sendable (FaultInjectingProxy.Request) -> Bool = { $0.isWatch && $0.path.hasSuffix("/deployments") }
                    @Sendable func expire() async throws {
                        // The resume point gone for real (etcd compacted), and the
                        // watch and its next resume answered as an expired one is.
                        let revision = try await client.resources(ConfigMap.self).list(namespace: namespace).resourceVersion
                        try await KubeTestCluster.compactEtcd(revision: revision)
                        proxy.inject(.expiredWatch, count: 1, where: deploymentWatch)
                        let ended = proxy.expireWatches(where: deploymentWatch)
                        #expect(ended >= 1, "no open watch of Deployments to expire")
                    }
                    _ = try await Self.release(client, namespace, kubeconfig: kubeconfig, scratch: scratch, atStart: expire) { _, _ in
                        try await expire()
                    }
                    let expired = proxy.log.filter { $0.injected }.count
                    let lists = proxy.log.filter { $0.method == "GET" && !$0.isWatch && $0.path.hasSuffix("/deployments") }
                    #expect(lists.count >= 3, "a first list and one relist per expiry: \(lists)")
                    print("410: \(expired) expired watch answers injected (plus the open watches ended); lists of Deployments: \(lists.count)")
                }
            }
        }

        /// The real kube-apiserver of the test cluster stopped (SIGTERM)
        /// mid-release and started again with its command line: watches
        /// and connections are cut, the watch cache starts afresh, the
        /// lease may not be renewed in time (then `serin run` exits and is
        /// started again, as the kubelet would, and resumes from the
        /// state in the cluster).
        /// `graceful`: SIGTERM, as `cluster.sh down` stops it (SIGKILL after
        /// 10 s); it is away longer than the lease's renew deadline, so
        /// `serin run` exits and resumes when started again. `crash`:
        /// SIGKILL, back in about 5 s; the same `serin run` keeps the lease
        /// and its watch resumes on the new apiserver's empty watch cache.
        @Test(.timeLimit(.minutes(12)), arguments: [TestApiserver.Stop.graceful, .crash])
        func anApiserverRestartMidReleaseLosesNoStep(_ stop: TestApiserver.Stop) async throws {
            try await KubeTestCluster.withNamespace { client, namespace in
                let gateway = FakeGatewayController(client: client, namespace: namespace)
                defer { gateway.stop() }
                let scratch = try TemporaryDirectory(prefix: "serin-kube-restart")
                defer { scratch.remove() }
                let kubeconfig = KubeTestCluster.environment["KUBECONFIG"] ?? ""
                var restart: TestApiserver.Restart?
                let serin = try await Self.release(client, namespace, kubeconfig: kubeconfig, scratch: scratch) { recorder, _ in
                    let before = recorder.current
                    restart = try await TestApiserver.restart(stop)
                    #expect(before == 20)
                }
                let errors = serin.entries.filter { $0.decision == "error" }
                print("apiserver restart (\(stop)): stopped in \(restart?.stopping ?? .zero)\(restart?.killed == true ? " (SIGKILL after 10 s)" : ""), ready again \(restart?.down ?? .zero) after the stop began; "
                      + "serin run restarted \(serin.restarts) times; errors recorded: \(errors.count)")
            }
        }
    }

    /// The test cluster's kube-apiserver, as `scripts/kube/up.sh` started
    /// it: its pid in `$SERIN_KUBE_RUN/apiserver.pid`, its command line in
    /// /proc. Only ClusterTests (serialized) restart it.
    enum TestApiserver {
        enum Stop: Sendable, CustomTestStringConvertible {
            case graceful, crash
            var testDescription: String { self == .graceful ? "graceful" : "crash" }
        }

        static func spawn(_ command: [String]) throws -> pid_t {
            let log = open(run + "/logs/apiserver.log", O_WRONLY | O_APPEND | O_CREAT, 0o644)
            guard log >= 0 else { throw KubeTestCluster.TestFailure(description: "cannot open \(run)/logs/apiserver.log: errno \(errno)") }
            defer { close(log) }
            let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
            var pid: pid_t = 0
            let status = withCStrings(command) { argv in
                withCStrings(environment) { envp in
                    serin_spawn(argv[0], argv, envp, nil, log, &pid)
                }
            }
            guard status == 0 else {
                throw KubeTestCluster.TestFailure(description: "the apiserver could not be started again: errno \(status)")
            }
            try "\(pid)\n".write(toFile: run + "/apiserver.pid", atomically: true, encoding: .utf8)
            return pid
        }

        /// `strings` as a NULL-terminated array of C strings, for the duration of `body`.
        static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
            let pointers = strings.map { strdup($0) } + [nil]
            defer { for pointer in pointers { free(pointer) } }
            return body(pointers)
        }

        struct Restart {
            /// From SIGTERM to the process gone.
            var stopping: Duration
            /// It did not stop within 10 s of SIGTERM.
            var killed: Bool
            /// From SIGTERM to /readyz answering again.
            var down: Duration
        }

        static var run: String { KubeTestCluster.environment["SERIN_KUBE_RUN"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/serin-kube" }

        static func pid() throws -> pid_t {
            let text = try String(contentsOfFile: run + "/apiserver.pid", encoding: .utf8)
            guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw KubeTestCluster.TestFailure(description: "no pid in \(run)/apiserver.pid")
            }
            return pid
        }

        static func commandLine(_ pid: pid_t) -> [String] {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
            return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }

        /// Gone, or a zombie (reaped here when it is this process's child:
        /// an apiserver a previous restart started).
        static func isGone(_ pid: pid_t) -> Bool {
            _ = waitpid(pid, nil, WNOHANG)
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            let state = stat.split(separator: ")").last?.split(separator: " ").first
            return state == "Z" || state == "X" || commandLine(pid).isEmpty
        }

        static func curl(_ path: String) -> Int32? {
            let ca = KubeTestCluster.environment["SERIN_KUBE_CA"] ?? run + "/pki/ca.crt"
            let server = (try? KubeTestCluster.config().server) ?? "https://127.0.0.1:6443"
            return try? CommandRun.run("/usr/bin/curl", ["-sf", "-m", "2", "--cacert", ca, server + path], timeout: .seconds(5)).status
        }

        static func isReady() -> Bool { curl("/readyz") == 0 }

        /// Nothing listens on the apiserver's port (curl: "couldn't connect"):
        /// a killed apiserver's leader thread is a zombie before its other
        /// threads have closed the listener.
        static func isPortFree() -> Bool { curl("/readyz") == 7 }

        /// Stops the apiserver and starts it again with the same command
        /// line, log and pid file; it is started again whatever happened
        /// while it was stopped (up to five times if it dies at once), and
        /// this returns once /readyz answers.
        static func restart(_ stop: Stop) async throws -> Restart {
            let pid = try pid()
            let command = commandLine(pid)
            guard let executable = command.first, executable.hasSuffix("kube-apiserver") else {
                throw KubeTestCluster.TestFailure(description: "pid \(pid) of \(run)/apiserver.pid is not a kube-apiserver: \(command)")
            }
            let began = ContinuousClock.now
            kill(pid, stop == .graceful ? SIGTERM : SIGKILL)
            // As `cluster.sh down`: 10 s to stop, then SIGKILL (1.20's apiserver
            // stops listening at once, then lingers for more than 30 s here).
            var killed = false
            do {
                try await eventually("the apiserver stops", timeout: .seconds(10)) { isGone(pid) && isPortFree() }
            } catch {
                killed = true
                kill(pid, SIGKILL)
                try? await eventually("the apiserver is killed", timeout: .seconds(20)) { isGone(pid) && isPortFree() }
            }
            let stopping = ContinuousClock.now - began
            // As up.sh's start(): a session of its own, its log appended to,
            // the pid noted for `cluster.sh down`; and nothing of the test
            // runner's (its blocked signals, its descriptors: Foundation's
            // Process would wait for one the apiserver inherited).
            for attempt in 1...5 {
                let started = try spawn(command)
                try await eventually("the apiserver is ready or dead", timeout: .seconds(90)) {
                    isReady() || isGone(started)
                }
                if !isGone(started) { return Restart(stopping: stopping, killed: killed, down: ContinuousClock.now - began) }
                print("the apiserver started again exited at once (attempt \(attempt)); see \(run)/logs/apiserver.log")
                try await Task.sleep(for: .seconds(2))
            }
            throw KubeTestCluster.TestFailure(description: "the apiserver could not be started again: see \(run)/logs/apiserver.log")
        }
    }
}
