import SerinEngine
import SerinKubernetes
import SerinKubernetesTesting
import Testing

/// Each decision of a rollout is an Event on its Canary; a plain
/// workload's rollout (no Canary releases it, as a chart's Deployment) has
/// none to carry it, and that is not an error (it was a warning in the
/// operator's log at every decision). Against a FakeApiserver.
@Suite struct CanaryEventTests {
    @Test func aDecisionIsAnEventOnItsCanaryAndNothingWithoutOne() async throws {
        let server = FakeApiserver(name: "events")
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let running = Task { try await server.run { listening.yield($0) } }
        defer { running.cancel() }
        var next = ports.makeAsyncIterator()
        let port = try #require(await next.next())
        let config = KubeConfig(server: "http://127.0.0.1:\(port)", credentials: .init(token: "fake-token"))
        try await KubeClient.withClient(config: config) { client in
            let writer = CanaryStatusWriter(client: client)
            let entry = EventLog.Entry(time: 1_800_000_000, rollout: "shop/web", revision: "abc", author: nil, decision: "promoted", reason: "done")
            try await writer.record(entry)
            #expect(try await client.resources(Event.self).list(namespace: "shop").items.isEmpty, "no Canary, no Event")

            _ = try await client.resources(SerinKubernetes.Canary.self).create(SerinKubernetes.Canary(metadata: .init(name: "web", namespace: "shop")))
            try await writer.record(entry)
            let events = try await client.resources(Event.self).list(namespace: "shop").items
            #expect(events.count == 1)
            #expect(events.first?.involvedObject.name == "web" && events.first?.involvedObject.kind == "Canary")
            #expect(events.first?.reason == "promoted")
        }
    }
}
