import Foundation
import SerinTesting
import Testing
@testable import SerinRouter

/// A port in use refuses one workload's route, never the table: every
/// other route serves, and the refused one is bound again once it is free.
@Suite struct ListenerRefusalTests {
    @Test func aPortInUseRefusesItsRouteAloneUntilItIsFree() async throws {
        let app = try await TestBackend("app")
        let taken = try Loopback.RefusingPort()
        let router = RouterServer()
        let table = RouteTable(version: 1, routes: [
            Route(workload: "api", listen: taken.address, primary: [app.address]),
            Route(workload: "web", listen: "127.0.0.1:0", primary: [app.address]),
        ])
        let result = try await router.apply(table)
        #expect(result == .init(version: 1, changed: true, refused: ["api": "\(taken.address): Address already in use"]))
        #expect(await router.currentTable == table)
        let web = try #require(await router.boundAddresses()["web"])
        #expect(try await TestConnection(port: web).get("/").text == "app\n")
        #expect(await router.boundAddresses()["api"] == nil)

        // Tried again when its backoff has passed, not before; still in use.
        await router.retryRefused()
        await router.retryRefused(at: .now + .seconds(1))
        #expect(await router.refused == ["api": "\(taken.address): Address already in use"])
        // The same table again does not reset the backoff, and says so too.
        #expect(try await router.apply(table).refused == ["api": "\(taken.address): Address already in use"])

        // Freed: the next pass binds it. Another process of a parallel run
        // (an operator or demo child picks its own ports from the same range)
        // or a moment without descriptors can refuse one pass; the router's
        // answer to that is its next pass, so the test takes a few, each
        // reporting why it was refused.
        taken.close()
        var refusals: [[String: String]] = []
        try? await eventually("the freed port is bound", timeout: .seconds(20), every: .milliseconds(200)) {
            await router.retryRefused(at: .now + .seconds(60))
            let refused = await router.refused
            if !refused.isEmpty { refusals.append(refused) }
            return refused.isEmpty
        }
        #expect(await router.refused == [:], "refused at each pass: \(refusals)")
        #expect(try await TestConnection(port: taken.port).get("/").text == "app\n")
        #expect(try await TestConnection(port: web).get("/").text == "app\n")
        #expect(try await router.apply(RouteTable(version: 2, routes: table.routes.map {
            var route = $0
            route.listen = route.workload == "web" ? "127.0.0.1:\(web)" : route.listen
            return route
        })).refused.isEmpty)
        await router.shutdown()
        await app.stop()
    }

    @Test func anAnswerOfAnOlderRouterStillDecodes() throws {
        let answer = try JSONDecoder().decode(RouterServer.ApplyResult.self, from: Data(#"{"version":3,"changed":true}"#.utf8))
        #expect(answer == .init(version: 3, changed: true))
    }
}
