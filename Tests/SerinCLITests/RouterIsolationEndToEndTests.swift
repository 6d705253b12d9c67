import Foundation
import SerinEngine
import SerinTesting
import Testing

/// One workload whose port is taken does not hold the others back: its
/// route alone is refused, named with the port and the reason, and comes up
/// once the port is free, with the same operator.
extension EndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func aTakenPortRefusesOneWorkloadAloneUntilItIsFree() async throws {
        let sandbox = try QuickstartSandbox(example: example, serin: serin, interval: "1s", requestDurationMax: 2000)
        defer { sandbox.tearDown() }
        let taken = try Loopback.RefusingPort()
        defer { taken.close() }
        let web = try String(contentsOfFile: sandbox.repository + "/deploy/workload.yaml", encoding: .utf8)
        try web.replacingOccurrences(of: "name: web", with: "name: api").replacingOccurrences(of: "replicas: 2", with: "replicas: 1")
            .replacingOccurrences(of: "port: \(sandbox.servicePort)", with: "port: \(taken.port)")
            .write(toFile: sandbox.repository + "/deploy/api.yaml", atomically: true, encoding: .utf8)
        try sandbox.git(["add", "deploy/api.yaml"])
        try sandbox.commitAll("A second workload, on a port something else holds", author: "Ada Lovelace")
        try sandbox.startOperator()
        let first = try await sandbox.waitForDecision(["Initialized"], timeout: .seconds(120))
        let refusal = "api: the router cannot listen on \(taken.address): Address already in use"
        try await waitForEvent(in: sandbox) { $0.reason.hasPrefix(refusal) }
        // On the workload's conditions too, with the port.
        let refused = try await waitForReady(of: "api", in: sandbox, "False")
        #expect(refused?.reason == "RouteRefused")
        #expect(refused?.message.contains(taken.address) == true, "\(String(describing: refused))")

        // The other workload is served and released as if nothing happened.
        let traffic = SteadyTraffic(port: sandbox.servicePort)
        let load = Task { await traffic.run() }
        defer { load.cancel() }
        try sandbox.commit("MESSAGE", to: "beside a refused route", message: "A good release", author: "Ada Lovelace")
        let end = try await sandbox.waitForDecision(["Succeeded", "Failed"], after: first.sequence, timeout: .seconds(240))
        #expect(end.decision == "Succeeded", "\(end.reason)")
        #expect(traffic.failures == 0, "\(traffic.snapshot())")
        #expect(!Loopback.isListening(taken.port))
        #expect(sandbox.events().filter { $0.reason.hasPrefix(refusal) }.count == 1, "reported once")

        // Freed: the router binds it by itself, the operator says so.
        let mark = sandbox.events().last?.sequence ?? 0
        taken.close()
        try? await eventually("the freed port serves", every: .milliseconds(200)) {
            (try? Loopback.request(port: taken.port, path: "/"))?.status == 200
        }
        #expect(try Loopback.request(port: taken.port, path: "/").status == 200)
        try await waitForEvent(in: sandbox) { $0.sequence > mark && $0.reason == "api: the router listens on \(taken.address) now" }
        let serving = try await waitForReady(of: "api", in: sandbox, "True")
        #expect(serving?.reason == "Serving")
        #expect(try await waitForReady(of: "web", in: sandbox, "True")?.reason == "Serving")
        #expect(sandbox.operatorIsRunning)
        await sandbox.shutDown()
    }

    /// The workload's `Ready` condition once its status is `status` (or the last seen, after a minute).
    func waitForReady(of workload: String, in sandbox: QuickstartSandbox, _ status: String) async throws -> Condition? {
        let deadline = ContinuousClock.now + loadedMachineTimeout
        while true {
            let answer = try Loopback.request(port: sandbox.apiPort, path: "/api/v1/workloads/\(workload)")
            let report = try? JSONDecoder().decode(WorkloadStatusReport.self, from: Data(answer.body.utf8))
            let ready = report?.conditions["Ready"]
            if ready?.status.rawValue == status || ContinuousClock.now > deadline {
                #expect(ready?.status.rawValue == status, "\(answer.body)")
                return ready
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func waitForEvent(in sandbox: QuickstartSandbox, timeout: Duration = loadedMachineTimeout,
                      _ wanted: (QuickstartSandbox.Event) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !sandbox.events().contains(where: wanted) {
            guard ContinuousClock.now < deadline else {
                Issue.record("no such event within \(timeout): \(sandbox.events().suffix(5).map(\.reason))")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
