import Foundation
import SerinAnalysis

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

    /// POSTs a command; returns the API's `accepted` message.
    public func post(_ path: String) async throws(Failure) -> String {
        let data = try await send("POST", path)
        return Self.field("accepted", in: data) ?? String(decoding: data, as: UTF8.self)
    }

    private func send(_ method: String, _ path: String) async throws(Failure) -> Data {
        guard let url = URL(string: base.absoluteString.trimmingSuffix("/") + path) else {
            throw Failure(description: "\(base.absoluteString)\(path) is not a URL", exitStatus: 2)
        }
        var headers = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let data: Data, status: Int
        do {
            let answer = try await HTTPExchange.send(method == "POST" ? .POST : .GET, url.absoluteString, headers: headers,
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

    static func field(_ name: String, in data: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?[name] as? String
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
