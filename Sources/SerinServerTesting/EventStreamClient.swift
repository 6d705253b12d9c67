import Foundation

/// One message of a server-sent event stream.
public struct ReceivedEvent: Sendable, Equatable {
    public var id: String?
    public var event: String?
    public var data: String
    /// A comment-only block (`: heartbeat`).
    public var comment: String?
}

/// Reads `/api/v1/events` message by message over a raw connection.
public final class EventStreamClient: Sendable {
    private let connection: TestSocket
    public let status: Int
    public let headers: [String: String]
    /// What is left of the current chunk, and the decoded text not yet split into messages.
    private let pending = PendingText()

    public init(port: Int, path: String = "/api/v1/events", headers: [String: String] = [:]) async throws {
        let (connection, status, headers) = try await offPool {
            let connection = try TestSocket(port: port)
            try connection.send(Array(TestHTTP.head("GET", path, headers: headers).utf8))
            let (status, headers) = try TestHTTP.readHead(connection)
            return (connection, status, headers)
        }
        self.connection = connection
        self.status = status
        self.headers = headers
    }

    /// The next message, comments included.
    public func next() async throws -> ReceivedEvent {
        try await offPool { [connection, pending] in
            while true {
                if let block = pending.takeBlock() { return Self.parse(block) }
                guard let chunk = try TestHTTP.readChunk(connection) else { throw TestHTTPError(description: "the event stream ended") }
                pending.append(String(decoding: chunk, as: UTF8.self))
            }
        }
    }

    /// The next message that is not a comment.
    public func nextEvent() async throws -> ReceivedEvent {
        while true {
            let message = try await next()
            if message.comment == nil { return message }
        }
    }

    public func close() { connection.shutdown() }

    static func parse(_ block: String) -> ReceivedEvent {
        var message = ReceivedEvent(data: "")
        var data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") { message.comment = String(line.dropFirst()).trimmingCharacters(in: .whitespaces); continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = String(line[line.index(after: colon)...].drop { $0 == " " })
            switch line[..<colon] {
            case "id": message.id = value
            case "event": message.event = value
            case "data": data.append(value)
            default: break
            }
        }
        message.data = data.joined(separator: "\n")
        if message.id != nil || message.event != nil || !data.isEmpty { message.comment = nil }
        return message
    }
}

/// Text received and not yet parsed, kept between blocking reads.
private final class PendingText: @unchecked Sendable {
    // Safe: used by one reader, one blocking call at a time (as the connection).
    private var text = ""

    func append(_ more: String) { text += more }

    func takeBlock() -> String? {
        guard let range = text.range(of: "\n\n") else { return nil }
        let block = String(text[..<range.lowerBound])
        text.removeSubrange(..<range.upperBound)
        return block
    }
}
