import Foundation
import SerinEngine
import SerinServerTesting
import Testing

/// `/api/v1/events`: the event log as server-sent events.
@Suite struct EventStreamTests {
    func decoded(_ message: ReceivedEvent) throws -> EventLog.Entry {
        try JSONDecoder().decode(EventLog.Entry.self, from: Data(message.data.utf8))
    }

    @Test func eventsArriveInOrderThenLive() async throws {
        let control = FakeOperator()
        for decision in ["detected", "Progressing", "weight"] { control.publish(SampleRollouts.entry(decision)) }
        try await withAPIServer(control) { port in
            let stream = try await EventStreamClient(port: port)
            defer { stream.close() }
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"] == "text/event-stream")
            for (sequence, decision) in [(1, "detected"), (2, "Progressing"), (3, "weight")] {
                let message = try await stream.nextEvent()
                #expect(message.id == "\(sequence)")
                #expect(message.event == "rollout")
                #expect(try decoded(message).decision == decision)
                #expect(try decoded(message).sequence == sequence)
            }
            control.publish(SampleRollouts.entry("promoted"))
            control.publish(SampleRollouts.entry("Succeeded"))
            #expect(try await stream.nextEvent().id == "4")
            let last = try await stream.nextEvent()
            #expect(last.id == "5")
            // One line of JSON with sorted keys.
            #expect(last.data.hasPrefix(#"{"decision":"Succeeded","reason":"","rollout":"web","sequence":5,"#))
        }
    }

    @Test func lastEventIDResumesAfterItAndWinsOverAfter() async throws {
        let control = FakeOperator()
        for index in 1...5 { control.publish(SampleRollouts.entry("step-\(index)")) }
        try await withAPIServer(control) { port in
            let resumed = try await EventStreamClient(port: port, path: "/api/v1/events?after=1", headers: ["Last-Event-ID": "3"])
            defer { resumed.close() }
            #expect(try await resumed.nextEvent().id == "4")
            #expect(try await resumed.nextEvent().id == "5")

            let after = try await EventStreamClient(port: port, path: "/api/v1/events?after=4")
            defer { after.close() }
            #expect(try await after.nextEvent().id == "5")
        }
    }

    @Test func aBadResumePointIs400() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let response = try await TestHTTP.get(port: port, "/api/v1/events?after=yesterday")
            #expect(response.status == 400)
            #expect(response.error == #"after must be a sequence number (0 or more), got "yesterday""#)
            let header = try await TestHTTP.get(port: port, "/api/v1/events", headers: ["Last-Event-ID": "-2"])
            #expect(header.status == 400)
        }
    }

    @Test func anIdleStreamGetsHeartbeatsAndEndsWhenTheClientGoesAway() async throws {
        let control = FakeOperator()
        try await withAPIServer(control, heartbeat: .milliseconds(100)) { port in
            let stream = try await EventStreamClient(port: port)
            #expect(try await stream.next().comment == "serin events after 0")
            #expect(try await stream.next().comment == "heartbeat")
            #expect(control.openStreams == 1)
            stream.close()
            // The next heartbeat's write fails; the operator's stream is let go.
            let deadline = ContinuousClock.now + .seconds(60)
            while control.openStreams > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(control.openStreams == 0)
        }
    }
}

extension EventStreamTests {
    /// Without the shutdown handler the server would wait for the stream to
    /// end, that is for the client or, here, a heartbeat an hour away.
    @Test(.timeLimit(.minutes(5))) func aGracefulShutdownEndsOpenStreams() async throws {
        let control = FakeOperator()
        let started = ContinuousClock.now
        let stream = try await withAPIServer(control, heartbeat: .seconds(3600)) { port in
            let stream = try await EventStreamClient(port: port)
            #expect(try await stream.next().comment == "serin events after 0")
            return stream
        }
        #expect(ContinuousClock.now - started < .seconds(3600))
        await #expect(throws: TestHTTPError.self) { try await stream.next() }
        stream.close()
        #expect(control.openStreams == 0)
    }
}
