import Foundation
import SerinTesting

/// A blocking TCP connection to 127.0.0.1 with a read timeout, and a buffer
/// for what was read past the last answer.
public final class TestSocket: @unchecked Sendable {
    // Safe: each connection is used by one test, one blocking call at a time.
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// The timeout is generous: on a loaded two-core machine the whole test
    /// process can stall for a while, and a late answer is not a wrong one.
    public init(port: Int, timeoutSeconds: Int = 60) throws {
        do {
            fd = try Loopback.connect(port: port, receiveTimeout: .seconds(timeoutSeconds))
        } catch {
            throw TestHTTPError(description: "cannot connect to 127.0.0.1:\(port): \(error)")
        }
    }

    deinit { close(fd) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestHTTPError(description: "send failed: errno \(errno)") }
            offset += written
        }
    }

    /// Closes the connection now, as a client that goes away does.
    public func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Up to and including `delimiter`.
    public func read(through delimiter: [UInt8]) throws -> [UInt8] {
        while true {
            if let range = firstRange(of: delimiter) {
                let result = Array(buffer[..<range.upperBound])
                buffer.removeFirst(range.upperBound)
                return result
            }
            guard try fill() else { throw TestHTTPError(description: "connection closed before \(String(decoding: delimiter, as: UTF8.self).debugDescription)") }
        }
    }

    public func read(count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TestHTTPError(description: "connection closed after \(buffer.count) of \(count) bytes") }
        }
        let result = Array(buffer[..<count])
        buffer.removeFirst(count)
        return result
    }

    public func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }

    /// False at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw TestHTTPError(description: errno == EAGAIN ? "read timed out" : "read failed: errno \(errno)") }
        buffer += chunk[..<count]
        return count > 0
    }

    private func firstRange(of delimiter: [UInt8]) -> Range<Int>? {
        guard buffer.count >= delimiter.count else { return nil }
        for start in 0...(buffer.count - delimiter.count) where buffer[start] == delimiter[0] {
            if Array(buffer[start..<(start + delimiter.count)]) == delimiter { return start..<(start + delimiter.count) }
        }
        return nil
    }
}
