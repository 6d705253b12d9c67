import Foundation
import SerinEngine
import SerinTesting
import Testing
@testable import SerinLocal

/// stepWeightPromotion on the local platform, through the `serin router`
/// process to real workload processes: after a promotion that keeps the
/// canary, each weight the rollout sets is the canary's share of requests,
/// all of them served by the new revision.
@Suite struct PromotionTrafficTests {
    @Test func aPromotionKeepingTheCanaryShiftsRealTrafficInSteps() async throws {
        let harness = try Harness()
        var options = LocalPlatform.Options(routerCommand: [Products.executable("serin"), "router"])
        options.routerAdmin = "127.0.0.1:\(try LoopbackPort.pick())"
        options.supervisor = harness.options()
        let platform = try LocalPlatform(stateDirectory: harness.stateDirectory, options: options)
        _ = try await platform.start()
        let monitor = Task { await platform.run() }
        do {
            try await shiftInSteps(platform, harness)
        } catch {
            await stop(platform, monitor, harness)
            throw error
        }
        await stop(platform, monitor, harness)
    }

    private func stop(_ platform: LocalPlatform, _ monitor: Task<Void, Never>, _ harness: Harness) async {
        let router = await platform.routerPID
        await platform.stopDataPlane()
        monitor.cancel()
        await monitor.value
        harness.cleanUp(pids: router.map { [$0] } ?? [])
    }

    private func shiftInSteps(_ platform: LocalPlatform, _ harness: Harness) async throws {
        let workload = WorkloadID(name: "web")
        let port = try LoopbackPort.pick()
        func revision(_ name: String) throws -> LocalRevision {
            LocalRevision(workload: workload, template: try TestApp.template(env: ["GREETING": name], extra: TestApp.readyProbe), replicas: 1,
                          port: port, snapshot: try TestApp.snapshot(in: harness.directory, revision: name).path,
                          origin: RevisionOrigin(source: "test", commit: "0000000", author: nil))
        }
        let r1 = try revision("r1"), r2 = try revision("r2")
        try await platform.deployPrimary(r1)
        try await eventually("r1 ready") { await platform.isReady(r1.id, as: .primary, of: workload) }
        try await platform.startCanary(r2)
        try await eventually("r2 ready") { await platform.isReady(r2.id, as: .canary, of: workload) }
        try await platform.setRoutes(TrafficRoutes(canaryWeight: 50), for: workload)

        try await platform.promote(r2, keepingCanary: true)
        try await eventually("the router sends the primary's share to r2 only") {
            let route = try await platform.control.table().routes.first
            return route?.primaryRevision == r2.id && route?.primary.count == 1 && route?.canary.count == 1
        }
        for weight in [50, 30, 10, 0] {
            try await platform.setRoutes(TrafficRoutes(canaryWeight: weight), for: workload)
            #expect(try await platform.control.table().routes.first?.canaryWeight == weight)
            var canary = 0
            for _ in 0..<100 {
                let answer = try #require(await httpGet("127.0.0.1:\(port)"))
                #expect(answer.status == 200)
                #expect(answer.body.hasSuffix(r2.id), "\(answer.body) at weight \(weight)")
                if answer.body.hasPrefix("canary") { canary += 1 }
            }
            #expect(abs(canary - weight) <= 2, "\(canary) of 100 requests went to the canary at weight \(weight)")
        }
        try await platform.scaleCanaryToZero(workload)
        #expect(try await platform.control.table().routes.first?.canary == [])
    }
}
