/// `serin.dev/v1alpha1` Workload: a process template the local platform
/// runs as primary and canary replicas behind Serin's router.
public struct WorkloadSpec: Sendable, Hashable, Decodable {
    public var replicas: Int?
    public var service: WorkloadService?
    public var template: ProcessTemplate?
}

public struct WorkloadService: Sendable, Hashable, Decodable {
    /// The router listens on 127.0.0.1:port for this workload.
    public var port: Int?
}

public struct ProcessTemplate: Sendable, Hashable, Codable {
    public var command: [String]?
    /// `$(VAR)` expands from env; PORT is assigned per replica.
    public var args: [String]?
    /// Relative to the revision's checkout.
    public var workingDir: String?
    public var env: [EnvVar]?
    public var readinessProbe: Probe?
    public var livenessProbe: Probe?
    public var terminationGracePeriodSeconds: Int?
    /// The user (and group) the processes run as: the operator drops to
    /// them when it runs as root. Names or numeric ids.
    public var runAs: RunAs?

    public init(command: [String]? = nil, args: [String]? = nil, workingDir: String? = nil, env: [EnvVar]? = nil,
                readinessProbe: Probe? = nil, livenessProbe: Probe? = nil, terminationGracePeriodSeconds: Int? = nil,
                runAs: RunAs? = nil) {
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.readinessProbe = readinessProbe
        self.livenessProbe = livenessProbe
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.runAs = runAs
    }
}

public struct RunAs: Sendable, Hashable, Codable {
    public var user: String?
    /// Defaults to the user's primary group.
    public var group: String?

    public init(user: String? = nil, group: String? = nil) {
        self.user = user
        self.group = group
    }
}

public struct EnvVar: Sendable, Hashable, Codable {
    public var name: String?
    public var value: String?
}

public struct Probe: Sendable, Hashable, Codable {
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var initialDelaySeconds: Int?
    public var periodSeconds: Int?
    public var timeoutSeconds: Int?
    public var successThreshold: Int?
    public var failureThreshold: Int?
}

public struct HTTPGetAction: Sendable, Hashable, Codable {
    public var path: String?
    /// Defaults to the replica's PORT.
    public var port: IntOrString?
    public var scheme: String?
    public var httpHeaders: [EnvVar]?
}

public struct TCPSocketAction: Sendable, Hashable, Codable {
    public var port: IntOrString?
}
