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
