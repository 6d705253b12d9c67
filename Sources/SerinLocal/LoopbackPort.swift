import Foundation

/// Ports on 127.0.0.1 for workload processes.
///
/// Ports come from a dynamic range kept clear of the kernel's ephemeral
/// range (`net.ipv4.ip_local_port_range`), as Nomad does: a port the kernel
/// hands to an outgoing connection (the router's upstream connections, a
/// probe) can then never be the one a workload is about to bind.
public enum LoopbackPort {
    /// Where workload ports are picked, before the ephemeral range is cut out.
    static let dynamicRange = 20000...32000

    /// A port that was free a moment ago. The process binds it a little
    /// later; a clash in between shows up as a process that fails to start,
    /// and is restarted on a new port.
    public static func pick() throws(SupervisorError) -> Int {
        let candidates = usableRange()
        if let candidates {
            var port = Int.random(in: candidates)
            for _ in 0..<64 {
                if isFree(port) { return port }
                port = port == candidates.upperBound ? candidates.lowerBound : port + 1
            }
        }
        // Every candidate taken, or the ephemeral range covers them all.
        guard let port = bind(0) else { throw .system("cannot pick a free port on 127.0.0.1") }
        return port
    }

    /// `dynamicRange` without the part the kernel uses for ephemeral ports
    /// (the larger side when that part falls in the middle).
    static func usableRange(ephemeral: ClosedRange<Int>? = ephemeralRange()) -> ClosedRange<Int>? {
        guard let ephemeral, ephemeral.overlaps(dynamicRange) else { return dynamicRange }
        let sides = [(dynamicRange.lowerBound, ephemeral.lowerBound - 1), (ephemeral.upperBound + 1, dynamicRange.upperBound)]
            .filter { $0.0 < $0.1 }.map { $0.0...$0.1 }
        return sides.max { $0.count < $1.count }
    }

    /// The kernel's ephemeral port range, when it can be read.
    static func ephemeralRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        return bounds[0]...bounds[1]
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
