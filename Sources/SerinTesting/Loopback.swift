import Foundation
import Synchronization
import SerinSandbox

/// Ports and readiness for servers that tests start on 127.0.0.1.
public enum Loopback {
    /// A port that was free a moment ago, not handed out before in this
    /// process (`FreePort`, shared with the demo's sandbox).
    public static func freePort() throws -> Int {
        try FreePort.next()
    }

    /// A loopback port that refuses connections for as long as it is held:
    /// bound and never listened on, so no other server of a parallel test run
    /// can take it meanwhile (a port that was merely free a moment ago can be,
    /// and a probe of it then finds someone else's server). `close()` frees it.
    public final class RefusingPort: Sendable {
        public let port: Int
        /// -1 once closed.
        private let fd: Mutex<Int32>

        /// A port of the tests' server range, never the kernel's ephemeral
        /// one: once closed, no outgoing connection can take it before the
        /// test binds it again.
        public init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            for _ in 0..<20 {
                let port = try Loopback.freePort()
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 }
                }
                if bound {
                    self.fd = Mutex(fd)
                    self.port = port
                    return
                }
            }
            Glibc.close(fd)
            throw POSIXError(.EADDRINUSE)
        }

        public var address: String { "127.0.0.1:\(port)" }

        /// Once: a second `close()` (a test frees the port, then its
        /// `defer` runs) must not close the descriptor number a parallel
        /// test opened since, as it did an in-process operator's event log.
        public func close() {
            fd.withLock { fd in
                guard fd >= 0 else { return }
                Glibc.close(fd)
                fd = -1
            }
        }
    }

    /// A blocking TCP connection to 127.0.0.1:port (close-on-exec, with a
    /// receive timeout), or an error when nothing accepts it.
    public static func connect(port: Int, receiveTimeout: Duration = .seconds(10)) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var time = timeval(tv_sec: Int(receiveTimeout.components.seconds),
                           tv_usec: Int(receiveTimeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
        }
        return fd
    }

    /// Whether something accepts connections on 127.0.0.1:port now.
    public static func isListening(_ port: Int) -> Bool {
        guard let fd = try? connect(port: port) else { return false }
        close(fd)
        return true
    }

    /// Waits until something accepts connections on 127.0.0.1:port.
    public static func waitForPort(_ port: Int, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isListening(port) { return }
            usleep(20_000)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// One HTTP/1.1 request to 127.0.0.1:port on a fresh connection
    /// (`Connection: close`), read to the end: the status and the body.
    /// Throws when nothing listens or the answer is not HTTP.
    public static func request(port: Int, method: String = "GET", path: String, headers: [String: String] = [:],
                               body: [UInt8] = [], timeout: Duration = .seconds(5)) throws -> (status: Int, body: String) {
        let fd = try connect(port: port, receiveTimeout: timeout)
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw POSIXError(.EPIPE) }
            sent += written
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw POSIXError(.ETIMEDOUT) }
            if count == 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: answer, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let statusLine = parts[0].split(separator: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else { throw POSIXError(.EPROTO) }
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
