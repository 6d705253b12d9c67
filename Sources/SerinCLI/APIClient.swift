import Foundation
import SerinHTTP
import SerinEngine

/// The CLI's side of the operator's API.
public struct APIClient: Sendable {
    /// What went wrong, and the exit status it calls for.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        /// 1: the rollout or the phase says no (404, 409); 2: unreachable, unauthorized or not understood.
        public var exitStatus: Int32

        public init(description: String, exitStatus: Int32) {
            self.description = description
            self.exitStatus = exitStatus
        }
    }

    public let base: URL
    private let token: String?
    private let timeout: Duration

    /// `base` is the API's root (`http://127.0.0.1:9797`).
    public init(base: URL, token: String? = nil, timeout: TimeInterval = 10) {
        self.base = base
        self.token = token
        self.timeout = .milliseconds(Int64(timeout * 1000))
    }

    /// Reads the token file: its first line, without surrounding blanks.
    public static func readToken(_ path: String) throws(Failure) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(description: "cannot read the token file \(path)", exitStatus: 2)
        }
        let token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else { throw Failure(description: "the token file \(path) is empty", exitStatus: 2) }
        return token
    }

    public func get<Value: Decodable>(_ type: Value.Type, _ path: String) async throws(Failure) -> Value {
        let data = try await send("GET", path)
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw Failure(description: "\(base.absoluteString)\(path) answered something that is not a \(Value.self): \(error)", exitStatus: 2)
        }
    }

    /// The body of a GET, as the API sent it.
    public func raw(_ path: String) async throws(Failure) -> Data {
        try await send("GET", path)
    }

    /// POSTs a command, saying who asks when `caller` is known; returns
    /// the API's `accepted` message.
    public func post(_ path: String, by caller: String? = nil) async throws(Failure) -> String {
        try await post(path, fields: caller.map { ["by": $0] } ?? [:])
    }

    /// POSTs a command whose JSON body has `fields` (`by`, `revision`).
    public func post(_ path: String, fields: [String: String]) async throws(Failure) -> String {
        let body = fields.isEmpty ? nil : try? JSONEncoder().encode(fields)
        let data = try await send("POST", path, body: body)
        return Self.field("accepted", in: data) ?? String(decoding: data, as: UTF8.self)
    }

    private func send(_ method: String, _ path: String, body: Data? = nil) async throws(Failure) -> Data {
        guard let url = URL(string: base.absoluteString.trimmingSuffix("/") + path) else {
            throw Failure(description: "\(base.absoluteString)\(path) is not a URL", exitStatus: 2)
        }
        var headers = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let data: Data, status: Int
        do {
            let answer = try await HTTPExchange.send(method == "POST" ? .POST : .GET, url.absoluteString, headers: headers, body: body,
                                                     timeout: timeout, bodyLimit: 16 << 20)
            (data, status) = (answer.body, answer.status)
        } catch {
            throw Failure(description: "cannot reach the Serin API at \(base.absoluteString): \(error) (is `serin run` up? see --api or SERIN_API)",
                          exitStatus: 2)
        }
        guard !(200..<300).contains(status) else { return data }
        let message = Self.field("error", in: data) ?? "HTTP \(status)"
        switch status {
        case 404, 409: throw Failure(description: message, exitStatus: 1)
        case 401: throw Failure(description: "unauthorized: \(message)", exitStatus: 2)
        default: throw Failure(description: "the API answered \(status): \(message)", exitStatus: 2)
        }
    }

    /// Follows `/api/v1/events` from after `sequence`: `entry` sees each
    /// event as it is logged, `gap` the runs of entries the server no longer
    /// had when this reader fell behind. Returns when the stream ends;
    /// throws when it cannot be opened or breaks.
    public func followEvents(after sequence: Int, gap: @Sendable (EventLog.Gap) -> Void = { _ in },
                             _ entry: @Sendable (EventLog.Entry) -> Void) async throws(Failure) {
        let url = base.absoluteString.trimmingSuffix("/") + "/api/v1/events?after=\(sequence)"
        var headers = [("Accept", "text/event-stream")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        var parser = EventStreamParser()
        do {
            try await HTTPExchange.stream(url, headers: headers, timeout: timeout) { chunk in
                for message in parser.feed(chunk) {
                    if message.event == "gap" {
                        if let decoded = try? JSONDecoder().decode(EventLog.Gap.self, from: Data(message.data.utf8)) { gap(decoded) }
                    } else if let decoded = try? JSONDecoder().decode(EventLog.Entry.self, from: Data(message.data.utf8)) {
                        entry(decoded)
                    }
                }
            }
        } catch {
            throw Failure(description: "the event stream of \(base.absoluteString): \(error)", exitStatus: 2)
        }
    }

    static func field(_ name: String, in data: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?[name] as? String
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// Splits a server-sent event stream into its messages' `event` and
/// `data`; comments and other fields are dropped. Bytes are kept until a
/// message is whole, so a chunk may end anywhere, inside a character too.
struct EventStreamParser {
    struct Message: Equatable {
        var event: String?
        var data: String
    }

    private var pending: [UInt8] = []

    /// Every message completed by `bytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Message] {
        pending.append(contentsOf: bytes.lazy.filter { $0 != UInt8(ascii: "\r") })
        var messages: [Message] = []
        var start = 0
        var index = 0
        while index + 1 < pending.count {
            guard pending[index] == UInt8(ascii: "\n"), pending[index + 1] == UInt8(ascii: "\n") else { index += 1; continue }
            let block = String(decoding: pending[start..<index], as: UTF8.self)
            let lines = block.split(separator: "\n")
            let data = lines.filter { $0.hasPrefix("data:") }.map { $0.dropFirst(5).drop { $0 == " " } }
            let event = lines.last { $0.hasPrefix("event:") }.map { String($0.dropFirst(6).drop { $0 == " " }) }
            if !data.isEmpty { messages.append(Message(event: event, data: data.joined(separator: "\n"))) }
            index += 2
            start = index
        }
        pending.removeFirst(start)
        return messages
    }
}
