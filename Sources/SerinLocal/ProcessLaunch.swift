import SerinSpec

/// A Workload's process template, checked and with defaults filled in: what
/// it takes to start (and restart) one of its processes.
public struct ProcessLaunch: Sendable, Hashable, Codable {
    public var command: [String]
    public var args: [String]
    /// In the template's order: later entries may refer to earlier ones.
    public var environment: [Variable]
    /// Relative to the revision's snapshot directory.
    public var workingDirectory: String?
    public var readiness: ProbeSettings
    public var liveness: ProbeSettings?
    public var terminationGracePeriodSeconds: Int
    /// Who the processes run as (`template.runAs`); nil: as the operator.
    public var runAs: RunAs?

    public struct Variable: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    public init(_ template: ProcessTemplate) throws(SupervisorError) {
        guard let command = template.command, let executable = command.first, !executable.isEmpty else {
            throw SupervisorError("template.command is empty: give the program to run, as in `command: [python3, app.py]`")
        }
        self.command = command
        args = template.args ?? []
        environment = try (template.env ?? []).map { variable throws(SupervisorError) in
            guard let name = variable.name, !name.isEmpty else { throw SupervisorError("template.env has an entry without a name: give each variable a `name`") }
            return Variable(name: name, value: variable.value ?? "")
        }
        if let directory = template.workingDir, directory.hasPrefix("/") || directory.split(separator: "/").contains("..") {
            throw SupervisorError("template.workingDir \(directory) leaves the revision's checkout: give a path relative to it")
        }
        workingDirectory = template.workingDir
        readiness = try template.readinessProbe.map { probe throws(SupervisorError) in try ProbeSettings(probe, field: "template.readinessProbe") }
            ?? .portAcceptsConnections
        liveness = try template.livenessProbe.map { probe throws(SupervisorError) in try ProbeSettings(probe, field: "template.livenessProbe") }
        terminationGracePeriodSeconds = max(0, template.terminationGracePeriodSeconds ?? 30)
        runAs = template.runAs
    }
}
