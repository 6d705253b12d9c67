import SerinSpec

/// A probe with Kubernetes' defaults filled in, in the form the supervisor
/// records next to each process (so a supervisor that adopts the process
/// probes it the same way without the Workload at hand).
public struct ProbeSettings: Sendable, Hashable, Codable {
    public enum Check: Sendable, Hashable, Codable {
        /// `port` nil: the replica's PORT.
        case http(path: String, port: Int?, headers: [Header])
        case tcp(port: Int?)
    }

    public struct Header: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    public var check: Check
    public var initialDelaySeconds: Int
    public var periodSeconds: Int
    public var timeoutSeconds: Int
    public var successThreshold: Int
    public var failureThreshold: Int

    public init(check: Check, initialDelaySeconds: Int = 0, periodSeconds: Int = 10, timeoutSeconds: Int = 1,
                successThreshold: Int = 1, failureThreshold: Int = 3) {
        self.check = check
        self.initialDelaySeconds = max(0, initialDelaySeconds)
        self.periodSeconds = max(1, periodSeconds)
        self.timeoutSeconds = max(1, timeoutSeconds)
        self.successThreshold = max(1, successThreshold)
        self.failureThreshold = max(1, failureThreshold)
    }

    /// What the supervisor uses when a template gives no readiness probe:
    /// ready once the port accepts connections.
    static let portAcceptsConnections = ProbeSettings(check: .tcp(port: nil))

    init(_ probe: Probe, field: String) throws(SupervisorError) {
        let check: Check
        if let http = probe.httpGet {
            if let scheme = http.scheme, scheme.uppercased() != "HTTP" {
                throw SupervisorError("\(field).httpGet.scheme \(scheme) is not supported on the local platform: use HTTP or a tcpSocket probe")
            }
            let headers = (http.httpHeaders ?? []).compactMap { header -> Header? in
                guard let name = header.name else { return nil }
                return Header(name: name, value: header.value ?? "")
            }
            check = .http(path: http.path ?? "/", port: try Self.port(http.port, field: "\(field).httpGet.port"), headers: headers)
        } else if let tcp = probe.tcpSocket {
            check = .tcp(port: try Self.port(tcp.port, field: "\(field).tcpSocket.port"))
        } else {
            throw SupervisorError("\(field) has neither httpGet nor tcpSocket: give one of them (exec probes are not supported on the local platform)")
        }
        self.init(check: check, initialDelaySeconds: probe.initialDelaySeconds ?? 0, periodSeconds: probe.periodSeconds ?? 10,
                  timeoutSeconds: probe.timeoutSeconds ?? 1, successThreshold: probe.successThreshold ?? 1,
                  failureThreshold: probe.failureThreshold ?? 3)
    }

    /// A named port means the replica's PORT: a local process has one port.
    private static func port(_ value: IntOrString?, field: String) throws(SupervisorError) -> Int? {
        switch value {
        case nil, .string?: return nil
        case .int(let port)?:
            guard (1...65535).contains(port) else { throw SupervisorError("\(field) \(port) is not a port: use 1-65535 or leave it out for the replica's PORT") }
            return port
        }
    }
}
