import Foundation

/// An answer as the wire carried it.
public struct TestResponse: Sendable {
    public var status: Int
    /// Lower-cased names.
    public var headers: [String: String]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The `error` of a JSON error body.
    public var error: String? { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String }
    /// A JSON object's string field.
    public func field(_ name: String) -> String? { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?[name] as? String }
}

public struct TestHTTPError: Error, CustomStringConvertible {
    public let description: String
}

/// Plain HTTP/1.1 over a socket, so tests send exactly what they mean (an
/// oversize body, a wrong header) and read exactly what the server wrote.
/// Its socket calls block, so each runs on a thread of its own (`offPool`).
public enum TestHTTP {
    public static func request(port: Int, _ method: String, _ path: String, headers: [String: String] = [:],
                               body: [UInt8] = []) async throws -> TestResponse {
        try await offPool {
            let connection = try TestSocket(port: port)
            try connection.send(Array(head(method, path, headers: headers.merging(["Content-Length": "\(body.count)"]) { a, _ in a }).utf8))
            // The server may answer (413) and close before reading all of an oversize body.
            try? connection.send(body)
            return try readResponse(connection)
        }
    }

    public static func get(port: Int, _ path: String, headers: [String: String] = [:]) async throws -> TestResponse {
        try await request(port: port, "GET", path, headers: headers)
    }

    public static func post(port: Int, _ path: String, token: String? = nil, body: String = "") async throws -> TestResponse {
        try await request(port: port, "POST", path, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:], body: Array(body.utf8))
    }

    static func head(_ method: String, _ path: String, headers: [String: String]) -> String {
        // A test may send its own Host (DNS rebinding).
        var text = "\(method) \(path) HTTP/1.1\r\n"
        if !headers.keys.contains(where: { $0.lowercased() == "host" }) { text += "Host: 127.0.0.1\r\n" }
        text += "Connection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    static func readResponse(_ connection: TestSocket) throws -> TestResponse {
        var (status, headers) = try readHead(connection)
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while let chunk = try readChunk(connection) { body += chunk }
        } else if let length = headers["content-length"].flatMap(Int.init) {
            body = try connection.read(count: length)
        } else {
            body = try connection.readToEnd()
        }
        headers["transfer-encoding"] = nil
        return TestResponse(status: status, headers: headers, body: body)
    }

    static func readHead(_ connection: TestSocket) throws -> (Int, [String: String]) {
        let head = String(decoding: try connection.read(through: Array("\r\n\r\n".utf8)), as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard let statusLine = lines.first, let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw TestHTTPError(description: "not an HTTP answer: \(head)")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    /// Nil at the last (empty) chunk.
    static func readChunk(_ connection: TestSocket) throws -> [UInt8]? {
        let sizeLine = String(decoding: try connection.read(through: Array("\r\n".utf8)).dropLast(2), as: UTF8.self)
        guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
            throw TestHTTPError(description: "bad chunk size line \"\(sizeLine)\"")
        }
        let data = try connection.read(count: size)
        _ = try connection.read(count: 2)
        return size == 0 ? nil : data
    }
}

/// Runs blocking work on a thread of its own. Not a Dispatch queue: on
/// Linux the global queues and Swift's cooperative pool share a few threads,
/// so blocked reads there starve the server under test.
public func offPool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
