import Foundation

/// Ports on 127.0.0.1 for workload processes.
public enum LoopbackPort {
    /// A port that was free a moment ago: the kernel's pick for port 0.
    /// The process binds it a little later; a clash in between shows up as
    /// a process that fails to start, and is restarted on a new port.
    public static func pick() throws(SupervisorError) -> Int {
        guard let port = bind(0) else { throw .system("cannot pick a free port on 127.0.0.1") }
        return port
    }

    /// Whether nothing listens on `port` (connections in TIME_WAIT do not
    /// count: servers set SO_REUSEADDR, and so does this check).
    static func isFree(_ port: Int) -> Bool { bind(port) != nil }

    private static func bind(_ port: Int) -> Int? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
