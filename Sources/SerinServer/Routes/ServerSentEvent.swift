import Foundation
import SerinEngine

/// The text of the event stream (https://html.spec.whatwg.org/multipage/server-sent-events.html).
enum ServerSentEvent {
    /// One entry as an `id`/`event`/`data` block. The JSON has no newlines,
    /// so it fits in a single `data:` line.
    static func message(_ entry: EventLog.Entry) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(entry)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(entry.sequence)\nevent: rollout\ndata: \(json)\n\n"
    }

    /// The text for one delivery of the event log. A gap (this client read
    /// more slowly than entries were written) is filled from the log; what
    /// the log no longer keeps is told as a `gap` event,
    /// `{"first": N, "last": M, "count": K}`, for the client to say so.
    static func messages(for delivery: EventLog.Delivery, from control: any OperatorControl) async -> String {
        switch delivery {
        case .entry(let entry):
            return message(entry)
        case .gap(let gap):
            let found = await control.events(from: gap.first, through: gap.last)
            var text = ""
            var next = gap.first
            for entry in found {
                if entry.sequence > next { text += message(EventLog.Gap(first: next, last: entry.sequence - 1)) }
                text += message(entry)
                next = entry.sequence + 1
            }
            if next <= gap.last { text += message(EventLog.Gap(first: next, last: gap.last)) }
            return text
        }
    }

    /// Entries the log no longer keeps (rotated away before they were read again).
    static func message(_ gap: EventLog.Gap) -> String {
        "id: \(gap.last)\nevent: gap\ndata: {\"count\":\(gap.count),\"first\":\(gap.first),\"last\":\(gap.last)}\n\n"
    }

    /// A comment line: clients ignore it, proxies and the server see the connection is in use.
    static func comment(_ text: String) -> String { ": \(text)\n\n" }

    /// Where to resume: `Last-Event-ID` (a reconnecting client sends it with
    /// its original URL, so it wins over `?after=`), else `?after=`, else from the start.
    static func startSequence(lastEventID: String?, after: String?) throws(APIError) -> Int {
        if let lastEventID = lastEventID?.trimmingCharacters(in: .whitespaces), !lastEventID.isEmpty {
            guard let sequence = Int(lastEventID), sequence >= 0 else {
                throw .badRequest("Last-Event-ID must be an event's sequence number, got \"\(lastEventID)\"")
            }
            return sequence
        }
        if let after {
            guard let sequence = Int(after), sequence >= 0 else {
                throw .badRequest("after must be a sequence number (0 or more), got \"\(after)\"")
            }
            return sequence
        }
        return 0
    }
}
