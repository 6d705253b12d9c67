import Foundation
import SerinEngine
import SerinServerTesting
import Testing

@testable import SerinServer

/// A client that reads the event stream more slowly than entries are written
/// is not silently skipped: the server reads what it missed from the log, and
/// says so when the log no longer has it.
@Suite struct EventStreamGapTests {
    /// Two unread entries fit the buffer; the backlog of five overflows it
    /// before the stream is even written, so the route must fill the gap.
    @Test func aReaderThatFellBehindGetsEveryEntryReadAgain() async throws {
        let control = FakeOperator(eventBuffer: 2)
        for index in 1...5 { control.publish(SampleRollouts.entry("step-\(index)")) }
        try await withAPIServer(control) { port in
            let stream = try await EventStreamClient(port: port)
            defer { stream.close() }
            var ids: [String?] = []
            for _ in 1...5 { ids.append(try await stream.nextEvent().id) }
            #expect(ids == ["1", "2", "3", "4", "5"])
            control.publish(SampleRollouts.entry("live"))
            let live = try await stream.nextEvent()
            #expect(live.id == "6" && live.event == "rollout")
        }
    }

    /// Entries rotated away before they were read again: a `gap` event with what is lost.
    @Test func whatTheLogNoLongerHasIsToldAsAGap() async throws {
        let control = FakeOperator()
        for index in 1...3 { control.publish(SampleRollouts.entry("step-\(index)")) }
        let text = await ServerSentEvent.messages(for: .gap(EventLog.Gap(first: 2, last: 6)), from: control)
        #expect(text.contains("id: 2\nevent: rollout\n"))
        #expect(text.contains("id: 3\nevent: rollout\n"))
        #expect(text.hasSuffix("id: 6\nevent: gap\ndata: {\"count\":3,\"first\":4,\"last\":6}\n\n"))
    }
}
