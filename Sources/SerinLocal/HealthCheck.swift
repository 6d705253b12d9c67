import Dispatch
import Foundation

/// One probe attempt against 127.0.0.1: a TCP connect, or an HTTP GET that
/// must answer 2xx or 3xx, both within the probe's timeout.
///
/// The socket work blocks (poll with a timeout), so it runs on a thread of
/// its own: a process that accepts and never answers must not hold one of
/// the few cooperative threads every other task needs, nor wait behind other
/// blocking work on Dispatch's global pool, which is as small as the
/// machine (a long wait parked there by a test once delayed probes by 50 s).
enum HealthCheck {
    static func run(_ check: ProbeSettings.Check, defaultPort: Int, timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: runBlocking(check, defaultPort: defaultPort, timeout: timeout))
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    static func runBlocking(_ check: ProbeSettings.Check, defaultPort: Int, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        switch check {
        case .tcp(let port):
            guard let socket = connect(port: port ?? defaultPort, deadline: deadline) else { return false }
            close(socket)
            return true
        case .http(let path, let port, let headers):
            let port = port ?? defaultPort
            guard let socket = connect(port: port, deadline: deadline) else { return false }
            defer { close(socket) }
            var request = "GET \(path.hasPrefix("/") ? path : "/" + path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: serin-probe\r\nAccept: */*\r\nConnection: close\r\n"
            for header in headers { request += "\(header.name): \(header.value)\r\n" }
            request += "\r\n"
            guard send(Array(request.utf8), on: socket, deadline: deadline),
                  let status = readStatus(from: socket, deadline: deadline) else { return false }
            return (200..<400).contains(status)
        }
    }

    private static func remainingMilliseconds(_ deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - .now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
    }

    /// Waits for `events` on `socket` until the deadline.
    private static func wait(_ socket: Int32, for events: Int16, deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let timeout = remainingMilliseconds(deadline)
            guard timeout > 0 else { return false }
            var entry = pollfd(fd: socket, events: events, revents: 0)
            let result = poll(&entry, 1, timeout)
            if result < 0 && errno == EINTR { continue }
            return result > 0
        }
    }

    private static func connect(port: Int, deadline: ContinuousClock.Instant) -> Int32? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result == 0 { return socket }
        guard errno == EINPROGRESS, wait(socket, for: Int16(POLLOUT), deadline: deadline) else {
            close(socket)
            return nil
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
            close(socket)
            return nil
        }
        return socket
    }

    private static func send(_ bytes: [UInt8], on socket: Int32, deadline: ContinuousClock.Instant) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
            } else if written < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(socket, for: Int16(POLLOUT), deadline: deadline) else { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// The status code of the response's first line, e.g. 200 from
    /// `HTTP/1.1 200 OK`.
    private static func readStatus(from socket: Int32, deadline: ContinuousClock.Instant) -> Int? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 4096 {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
            } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(socket, for: Int16(POLLIN), deadline: deadline) else { return nil }
            } else {
                break
            }
        }
        let line = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
        return status
    }
}
