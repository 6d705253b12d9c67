import Foundation
import SerinEngine
import SerinRouter
import SerinSpec

/// The local platform as the operator drives it: workload processes under a
/// `LocalSupervisor`, Serin's router as a separate process, and the routing
/// table kept equal to what is ready and what the rollout asked for.
///
/// Everything it needs to resume is outside the operator: processes are
/// recorded by the supervisor, the router keeps its table. `start()` adopts
/// both, learns listeners and weights back from the router's table, and
/// re-asserts a table built from what is actually ready.
public actor LocalPlatform {
    public struct Options: Sendable {
        /// How to start the router: the `serin` executable and `router`.
        public var routerCommand: [String]
        /// Where the router serves /metrics and /healthz.
        public var routerAdmin = "127.0.0.1:9901"
        public var supervisor = LocalSupervisor.Options()
        /// How often `run()` checks the router process.
        public var routerCheckInterval: Duration = .milliseconds(500)
        /// How often `run()` reads the router's table back: a table replaced
        /// by hand on the control socket is drift, reported and undone.
        public var tableCheckInterval: Duration = .seconds(5)
        /// Where the platform's own decisions go (drift undone, the router
        /// restarted): the audit trail. The supervisor's chatter (probes,
        /// restarts) goes to `supervisor.log`.
        public var report: (@Sendable (String) -> Void)?

        public init(routerCommand: [String]) {
            self.routerCommand = routerCommand
        }
    }

    /// How a workload's requests are split, as the rollout decides.
    public struct Traffic: Sendable, Equatable {
        public var canaryWeight: Int
        public var mirrorWeight: Int
        public var match: [MatchCondition]
        public var sessionAffinity: SerinRouter.SessionAffinity?

        public static let allPrimary = Traffic()

        public init(canaryWeight: Int = 0, mirrorWeight: Int = 0, match: [MatchCondition] = [], sessionAffinity: SerinRouter.SessionAffinity? = nil) {
            self.canaryWeight = canaryWeight
            self.mirrorWeight = mirrorWeight
            self.match = match
            self.sessionAffinity = sessionAffinity
        }
    }

    public struct StartReport: Sendable {
        public var routerAdopted: Bool
        public var processes: AdoptionReport
    }

    public nonisolated let supervisor: LocalSupervisor
    public nonisolated let control: RouterControlClient
    /// Readiness changes for the engine, one per role of a workload whose
    /// ready processes changed.
    nonisolated let readiness = AsyncStream<ReadinessChange>.makeStream(bufferingPolicy: .bufferingNewest(1024))
    /// The supervisor's word that a workload's ready processes changed.
    private nonisolated let backendChanges: AsyncStream<String>
    private let options: Options
    private let router: DetachedProcess
    private var routerIdentity: ProcessIdentity?
    private var ports: [String: Int] = [:]
    private var traffic: [String: Traffic] = [:]
    private var pushed = RouteTable.empty
    /// Table pushes run one at a time, in order; callers wait for theirs.
    private var wanted = 0
    private var applied = 0
    private var pushing = false
    private var waiters: [(generation: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var lastPushError: String?
    /// Routes the router could not listen for, by workload, with why, as last heard.
    private var refusedRoutes: [String: String] = [:]

    public init(stateDirectory: String, options: Options) throws {
        self.options = options
        let (changes, changed) = AsyncStream<String>.makeStream()
        backendChanges = changes
        var supervisorOptions = options.supervisor
        let outer = supervisorOptions.onBackendsChanged
        supervisorOptions.onBackendsChanged = { workload in
            await outer?(workload)
            changed.yield(workload)
        }
        supervisor = try LocalSupervisor(stateDirectory: stateDirectory, options: supervisorOptions)
        router = DetachedProcess(name: "router", arguments: options.routerCommand + [
            "--state-dir", stateDirectory + "/router", "--admin", options.routerAdmin,
        ], stateDirectory: stateDirectory)
        control = RouterControlClient(socketPath: router.directory + "/router.sock")
    }

    /// Adopts or starts the router, adopts the workload processes, and
    /// re-asserts the routing table.
    public func start() async throws -> StartReport {
        var adopted = false
        if let identity = router.adoptable() {
            routerIdentity = identity
            adopted = true
        } else {
            routerIdentity = try router.start()
        }
        let table = try await waitForRouter()
        pushed = table
        for route in table.routes {
            if let port = Int(route.listen.split(separator: ":").last ?? "") { ports[route.workload] = port }
            traffic[route.workload] = Traffic(canaryWeight: route.canaryWeight, mirrorWeight: route.mirrorWeight,
                                              match: route.match, sessionAffinity: route.sessionAffinity)
        }
        if let refused = try? await control.refused() { noteRefused(refused) }
        let processes = await supervisor.adopt()
        try await pushTable()
        return StartReport(routerAdopted: adopted, processes: processes)
    }

    /// Probes, restarts and rotates logs (the supervisor's monitor), and
    /// brings the router back if it dies, until cancelled. Cancelling leaves
    /// every process running.
    public func run() async {
        let changes = backendChanges
        await withDiscardingTaskGroup { group in
            group.addTask { await self.supervisor.run() }
            group.addTask {
                for await workload in changes { await self.backendsChanged(workload) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.options.routerCheckInterval)
                    await self.checkRouter()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.options.tableCheckInterval)
                    await self.checkTable()
                }
            }
        }
    }

    // MARK: what runs

    /// Makes `role` of `workload` run `revision`; the router listens on
    /// 127.0.0.1:`port` for it.
    public func deploy(workload: String, role: Role, revision: String, template: ProcessTemplate, replicas: Int,
                       snapshot: URL, port: Int) async throws {
        if ports[workload] != port {
            ports[workload] = port
            if traffic[workload] == nil { traffic[workload] = .allPrimary }
            try await pushTable()
        }
        try await supervisor.apply(workload: workload, role: role, revision: revision, template: template,
                                   replicas: replicas, snapshot: snapshot)
        try await pushTable()
    }

    public func scaleCanary(workload: String, replicas: Int) async throws {
        if replicas == 0 {
            // Traffic leaves the canary before its processes do.
            if var current = traffic[workload], current.canaryWeight > 0 || current.mirrorWeight > 0 || !current.match.isEmpty {
                current = .allPrimary
                traffic[workload] = current
                try await pushTable()
            }
            await supervisor.stop(workload: workload, role: .canary)
        } else {
            try await supervisor.scale(workload: workload, role: .canary, replicas: replicas)
        }
        try await pushTable()
    }

    public func setTraffic(_ settings: Traffic, workload: String) async throws {
        traffic[workload] = settings
        try await pushTable()
    }

    public func currentTraffic(workload: String) -> Traffic? { traffic[workload] }

    /// The canary's processes become the primary's, with no moment without
    /// a ready primary; traffic returns to the primary.
    public func promote(workload: String) async throws {
        try await supervisor.promote(workload: workload)
        traffic[workload] = .allPrimary
        try await pushTable()
    }

    /// Stops a workload that left the desired state and closes its listener.
    public func remove(workload: String) async throws {
        ports[workload] = nil
        traffic[workload] = nil
        try await pushTable()
        await supervisor.stop(workload: workload, role: .canary)
        await supervisor.stop(workload: workload, role: .primary)
    }

    /// Stops every workload process and the router: `serin down`, tests.
    /// Returns what ran and was stopped, one `name (pid N)` each.
    @discardableResult
    public func stopDataPlane() async -> [String] {
        var stopped = await supervisor.status().filter { $0.state != .restarting }.map {
            "\($0.workload)-\($0.role.rawValue)-\($0.replica) (pid \($0.pid))"
        }
        await supervisor.stopAll()
        if let identity = routerIdentity ?? router.adoptable() {
            await router.stop(identity)
            stopped.append("the router (pid \(identity.pid))")
        }
        routerIdentity = nil
        return stopped
    }

    public var routerPID: Int32? { routerIdentity?.pid }
    public var routerLog: String { router.logPath }

    // MARK: the table

    private func backendsChanged(_ workload: String) async {
        do {
            try await pushTable()
        } catch {
            options.report?("router table not applied after a backend change of \(workload): \(error)")
        }
        let running = await running(key: workload)
        let id = Self.workloadID(key: workload)
        for role in WorkloadRole.allCases {
            let revision = running[role]
            let ready = if let revision { await supervisor.isReady(workload: workload, role: Role(role), revision: revision) } else { false }
            readiness.continuation.yield(ReadinessChange(workload: id, role: role, revision: revision, ready: ready))
        }
    }

    /// Builds the table from what is ready now and sends it if it differs
    /// from the last one sent. Concurrent callers are served by one push
    /// loop, in order, and each returns once a table at least as new as its
    /// request is in force.
    public func pushTable() async throws {
        wanted += 1
        let mine = wanted
        if pushing {
            await withCheckedContinuation { continuation in waiters.append((mine, continuation)) }
            if let lastPushError, applied < mine { throw SupervisorError("router table not applied: \(lastPushError)") }
            return
        }
        pushing = true
        defer { pushing = false }
        var failure: (any Error)?
        while applied < wanted {
            let generation = wanted
            do {
                try await send(await buildTable())
                lastPushError = nil
                failure = nil
            } catch {
                lastPushError = "\(error)"
                failure = error
            }
            applied = generation
            let ready = waiters.filter { $0.generation <= generation }
            waiters.removeAll { $0.generation <= generation }
            for waiter in ready { waiter.continuation.resume() }
        }
        if let failure { throw failure }
    }

    private func buildTable() async -> RouteTable {
        var routes: [Route] = []
        for (workload, port) in ports.sorted(by: { $0.key < $1.key }) {
            let settings = traffic[workload] ?? .allPrimary
            let primary = await supervisor.readyBackends(workload: workload, role: .primary)
            let canary = await supervisor.readyBackends(workload: workload, role: .canary)
            // The router labels its metrics with these: each release is judged on its own answers.
            let running = await running(key: workload)
            routes.append(Route(workload: workload, listen: "127.0.0.1:\(port)", primary: primary, canary: canary,
                                canaryWeight: settings.canaryWeight, mirrorWeight: settings.mirrorWeight,
                                match: settings.match, sessionAffinity: settings.sessionAffinity,
                                primaryRevision: running.primary, canaryRevision: running.canary))
        }
        return RouteTable(version: pushed.version, routes: routes)
    }

    private func send(_ table: RouteTable) async throws {
        guard table.routes != pushed.routes else { return }
        var next = table
        next.version = pushed.version + 1
        let result: RouterServer.ApplyResult
        do {
            result = try await control.apply(next)
        } catch let failure as RouterControlClient.Failure where failure.status == 409 {
            // Someone else moved the router's table on: continue from its version.
            let current = try await control.table()
            next.version = current.version + 1
            result = try await control.apply(next)
        }
        pushed = next
        noteRefused(result.refused)
    }

    /// A port in use refuses one workload's route, not the table: the
    /// router binds it again with backoff. Each change is reported once.
    private func noteRefused(_ refused: [String: String]) {
        for (workload, reason) in refused.sorted(by: { $0.key < $1.key }) where refusedRoutes[workload] != reason {
            options.report?("\(workload): the router cannot listen on \(reason); the other workloads are served, and it tries again with backoff")
        }
        for workload in refusedRoutes.keys.sorted() where refused[workload] == nil && ports[workload] != nil {
            options.report?("\(workload): the router listens on 127.0.0.1:\(ports[workload] ?? 0) now")
        }
        refusedRoutes = refused
    }

    func listenerPort(_ workload: String) -> Int? { ports[workload] }

    /// Why the router does not serve the workload's listener, if it does not.
    func routeRefusal(_ workload: String) -> String? {
        refusedRoutes[workload].map { "the router cannot listen on \($0); it tries again with backoff" }
    }

    /// A router process starts in well under a second; 30 s is for a
    /// machine so loaded that its start is scheduled late, not a wait.
    private func waitForRouter() async throws -> RouteTable {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try await control.table()
            } catch {
                if ContinuousClock.now > deadline {
                    throw SupervisorError("the router did not answer on \(control.socketPath) within 30 s: \(error); see \(router.logPath)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// The router serves what Serin last pushed, or something else was put
    /// there by hand (the control socket is open to the socket's owner): then
    /// Serin's table goes back, with a version above the stranger's.
    private func checkTable() async {
        guard let identity = routerIdentity, identity.isRunning(), !pushing else { return }
        if !refusedRoutes.isEmpty, let refused = try? await control.refused() { noteRefused(refused) }
        let before = pushed
        guard let current = try? await control.table() else { return }
        // A push that ran meanwhile makes the reading stale, not drift.
        guard !pushing, pushed == before, current.routes != before.routes else { return }
        options.report?("drift: the router's table was replaced outside Serin (version \(current.version)); putting Serin's back")
        pushed = current
        do {
            try await pushTable()
        } catch {
            options.report?("cannot put the routing table back: \(error)")
        }
    }

    private func checkRouter() async {
        guard let identity = routerIdentity, !identity.isRunning() else { return }
        options.report?("the router (pid \(identity.pid)) is gone; starting it again")
        do {
            routerIdentity = try router.start()
            let table = try await waitForRouter()
            pushed = table
            try await pushTable()
        } catch {
            options.report?("cannot restart the router: \(error)")
        }
    }
}
