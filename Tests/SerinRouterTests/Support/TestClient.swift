import Foundation
import SerinTesting

struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// Runs blocking work on a thread of its own and waits for it without
/// holding a cooperative thread. Not on Dispatch's global queues: blocked
/// there, it starves the supervisor's probes running beside these tests.
func offPool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A plain HTTP/1.1 client over one keep-alive connection, so tests see
/// exactly what the router sends (and can send what a library wouldn't).
/// Its socket calls block, so each runs on a dispatch thread: blocking the
/// two cooperative threads would stall every other test running meanwhile.
final class TestConnection: @unchecked Sendable {
    // Safe: a connection is used by one test, one call at a time.
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 10) throws {
        do {
            fd = try Loopback.connect(port: port, receiveTimeout: .seconds(timeoutSeconds))
        } catch {
            throw TestClientError(description: "cannot connect to 127.0.0.1:\(port): \(error)")
        }
    }

    deinit { close(fd) }

    func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestClientError(description: "send failed: errno \(errno)") }
            offset += written
        }
    }

    func sendNow(_ text: String) throws { try sendNow(Array(text.utf8)) }

    func getNow(_ path: String, headers: [String: String] = [:]) throws -> TestResponse {
        var request = "GET \(path) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try sendNow(request + "\r\n")
        return try readResponseNow()
    }

    func postNow(_ path: String, body: [UInt8]) throws -> TestResponse {
        try sendNow("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.count)\r\n\r\n")
        try sendNow(body)
        return try readResponseNow()
    }

    func send(_ bytes: [UInt8]) async throws { try await offPool { try self.sendNow(bytes) } }
    func send(_ text: String) async throws { try await offPool { try self.sendNow(text) } }
    func get(_ path: String, headers: [String: String] = [:]) async throws -> TestResponse {
        try await offPool { try self.getNow(path, headers: headers) }
    }
    func post(_ path: String, body: [UInt8]) async throws -> TestResponse { try await offPool { try self.postNow(path, body: body) } }
    func readResponse() async throws -> TestResponse { try await offPool { try self.readResponseNow() } }

    /// True when the server closed the connection (reads EOF).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    func readResponseNow(head: Bool = false) throws -> TestResponse {
        let headEnd = try readUntilHeadEnd()
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError(description: "bad status line") }
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        if head || status == 204 || status == 304 { return response }
        if let length = response.header("content-length").flatMap(Int.init) {
            try fill(length)
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                let lineEnd = try readUntil([13, 10])
                let size = Int(String(decoding: buffer[..<(lineEnd - 2)], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                buffer.removeFirst(lineEnd)
                try fill(size + 2)
                response.body += buffer[..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else {
            while try receive() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    private func readUntilHeadEnd() throws -> Int { try readUntil([13, 10, 13, 10]) }

    private func readUntil(_ marker: [UInt8]) throws -> Int {
        while true {
            if buffer.count >= marker.count {
                for index in 0...(buffer.count - marker.count) where buffer[index..<(index + marker.count)].elementsEqual(marker) {
                    return index + marker.count
                }
            }
            guard try receive() else { throw TestClientError(description: "connection closed before \(marker)") }
        }
    }

    private func fill(_ count: Int) throws {
        while buffer.count < count {
            guard try receive() else { throw TestClientError(description: "connection closed mid-body") }
        }
    }

    /// False at end of stream.
    private func receive() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw TestClientError(description: "recv failed: errno \(errno)") }
        if count == 0 { return false }
        buffer += chunk[..<count]
        return true
    }
}
