import Foundation
import Synchronization

/// Free ports on 127.0.0.1 for the servers a sandbox or a test starts.
public enum FreePort {
    /// Where servers that tests start get their ports: below both the
    /// kernel's ephemeral range, where every outgoing connection of a
    /// parallel test takes a local port, and the range the local platform
    /// gives workloads (20000–32000).
    static let serverPorts = 10000...19999
    /// Every port handed out in this process, never handed out again: two
    /// tests running in parallel cannot be given the same one.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port that was free a moment ago, not handed out before in this
    /// process.
    public static func next() throws -> Int {
        for _ in 0..<500 {
            let port = Int.random(in: serverPorts)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if bindable(port) { return port }
        }
        throw POSIXError(.EADDRINUSE)
    }

    /// Whether a socket can bind `port` on 127.0.0.1 now (without
    /// SO_REUSEADDR: a port with connections in TIME_WAIT is passed over).
    public static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 }
        }
    }
}
