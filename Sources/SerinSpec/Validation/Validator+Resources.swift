extension Validator {
    /// A POSIX user or group name (letters, digits, `_`, `-`, `.`, not
    /// starting with `-`), or a numeric id.
    static func isAccountName(_ name: String) -> Bool {
        guard let first = name.first, first != "-", name.count <= 32 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
    }

    /// Variables Serin sets in every replica's environment.
    static let reservedEnv: Set<String> = ["PORT", "SERIN_WORKLOAD", "SERIN_REVISION", "SERIN_ROLE"]

    func checkWorkload(_ workload: Workload, _ catalog: Catalog, _ findings: inout Findings) {
        let spec = workload.spec
        let source = workload.source
        findings.range(spec.replicas, 0...1000, source, "spec.replicas")
        if let port = spec.service?.port {
            findings.range(port, 1...65535, source, "spec.service.port")
            if let other = catalog.portOwners[port], other.key != workload.key, other.source.document < source.document {
                findings.error(source, "spec.service.port", "\(port) is already the port of Workload \(other.name) (\(other.source.document))")
            }
        } else {
            findings.error(source, "spec.service.port", "is required: the router listens on 127.0.0.1:port for this workload")
        }
        guard let template = spec.template else {
            if !source.contains("spec.template") { findings.error(source, "spec.template", "is required") }
            return
        }
        if let command = template.command {
            if command.isEmpty { findings.error(source, "spec.template.command", "must not be empty") }
            for (index, part) in command.enumerated() where part.isEmpty {
                findings.error(source, "spec.template.command[\(index)]", "must not be empty")
            }
        } else {
            findings.error(source, "spec.template.command", "is required")
        }
        if let dir = template.workingDir {
            if dir.hasPrefix("/") {
                findings.error(source, "spec.template.workingDir", "must be relative to the revision's checkout, got \"\(dir)\"")
            } else if dir.split(separator: "/").contains("..") {
                findings.error(source, "spec.template.workingDir", "must stay inside the revision's checkout, got \"\(dir)\"")
            }
        }
        var names: Set<String> = []
        for (index, variable) in (template.env ?? []).enumerated() {
            let at = "spec.template.env[\(index)]"
            guard let name = variable.name, !name.isEmpty else {
                findings.required(nil, source, "\(at).name")
                continue
            }
            if !Self.isEnvName(name) {
                findings.error(source, "\(at).name", "\"\(name)\" must be letters, digits and '_', not starting with a digit")
            } else if Self.reservedEnv.contains(name) {
                findings.error(source, "\(at).name", "\(name) is set by Serin for every replica and cannot be overridden")
            } else if !names.insert(name).inserted {
                findings.error(source, "\(at).name", "repeats \(name)")
            }
        }
        let known = names.union(Self.reservedEnv)
        for (index, argument) in (template.args ?? []).enumerated() {
            for reference in Self.references(in: argument) where !known.contains(reference) {
                findings.warning(source, "spec.template.args[\(index)]", "refers to $(\(reference)), which is not in env; it is passed as written")
            }
        }
        if let runAs = template.runAs {
            // Whether the names exist is the host's business, checked when a process starts.
            if let user = runAs.user {
                if !Self.isAccountName(user) {
                    findings.error(source, "spec.template.runAs.user", "\"\(user)\" is not a user name or a numeric id")
                }
            } else {
                findings.error(source, "spec.template.runAs.user", "is required: the user the processes run as")
            }
            if let group = runAs.group, !Self.isAccountName(group) {
                findings.error(source, "spec.template.runAs.group", "\"\(group)\" is not a group name or a numeric id")
            }
        }
        checkProbe(template.readinessProbe, at: "spec.template.readinessProbe", source, &findings)
        checkProbe(template.livenessProbe, at: "spec.template.livenessProbe", source, &findings)
        findings.range(template.terminationGracePeriodSeconds, 0...3600, source, "spec.template.terminationGracePeriodSeconds")
    }

    private func checkProbe(_ probe: Probe?, at path: String, _ source: SourceMap, _ findings: inout Findings) {
        guard let probe else { return }
        switch (probe.httpGet, probe.tcpSocket) {
        case (nil, nil): findings.error(source, path, "needs httpGet or tcpSocket")
        case (.some, .some): findings.error(source, path, "must hold one of httpGet or tcpSocket, not both")
        default: break
        }
        if let get = probe.httpGet {
            if let probePath = get.path, !probePath.hasPrefix("/") {
                findings.error(source, "\(path).httpGet.path", "must start with /, got \"\(probePath)\"")
            }
            if let scheme = get.scheme, !["HTTP", "HTTPS"].contains(scheme.uppercased()) {
                findings.error(source, "\(path).httpGet.scheme", "must be HTTP or HTTPS, got \"\(scheme)\"")
            }
            if case .int(let port)? = get.port { findings.range(port, 1...65535, source, "\(path).httpGet.port") }
        }
        if case .int(let port)? = probe.tcpSocket?.port { findings.range(port, 1...65535, source, "\(path).tcpSocket.port") }
        findings.range(probe.initialDelaySeconds, 0...Int.max, source, "\(path).initialDelaySeconds")
        findings.range(probe.periodSeconds, 1...Int.max, source, "\(path).periodSeconds")
        findings.range(probe.timeoutSeconds, 1...Int.max, source, "\(path).timeoutSeconds")
        findings.range(probe.successThreshold, 1...Int.max, source, "\(path).successThreshold")
        findings.range(probe.failureThreshold, 1...Int.max, source, "\(path).failureThreshold")
    }

    func checkMetricTemplate(_ template: MetricTemplate, _ findings: inout Findings) {
        let source = template.source
        let types = MetricProviderType.allCases.map(\.rawValue)
        let type = template.spec.provider?.type ?? MetricProviderType.prometheus.rawValue
        if MetricProviderType(rawValue: type) == nil {
            findings.error(source, "spec.provider.type", "must be one of \(types.joined(separator: ", ")), got \"\(type)\""
                           + Suggestion.hint(for: type, among: types))
        } else if let why = FlaggerFields.refusedProviders[type] {
            findings.error(source, "spec.provider.type", "is \(type), which Serin cannot query: \(why); use one of "
                           + FlaggerFields.queriedProviders.joined(separator: ", "))
        }
        findings.url(template.spec.provider?.address, source, "spec.provider.address")
        if template.spec.provider?.address == nil, type == "prometheus" || type == "graphite" || type == "influxdb" {
            // Prometheus falls back to the operator's; the others have no default.
            if type != "prometheus" { findings.error(source, "spec.provider.address", "is required for provider \(type)") }
        }
        if platform == .local, template.spec.provider?.secretRef != nil {
            findings.warning(source, "spec.provider.secretRef", "names a Kubernetes Secret, which the local platform cannot read; "
                             + "queries go without credentials")
        }
        guard let query = template.spec.query, !query.isEmpty else {
            findings.error(source, "spec.query", "is required")
            return
        }
        switch MetricQuery.placeholders(in: query) {
        case .failure(let problem):
            findings.error(source, "spec.query", problem.message)
        case .success(let placeholders):
            var reported: Set<String> = []
            for case .unknown(let name) in placeholders where reported.insert(name).inserted {
                let known = MetricQuery.builtinVariables + ["variables.NAME"]
                findings.error(source, "spec.query", "uses {{ \(name) }}, which is not a template variable (\(known.joined(separator: ", ")))"
                               + Suggestion.hint(for: name, among: MetricQuery.builtinVariables))
            }
        }
    }

    func checkAlertProvider(_ provider: AlertProvider, _ findings: inout Findings) {
        let source = provider.source
        let serinOnly: Set<AlertProviderType> = [.generic]
        let allowed = AlertProviderType.allCases.filter { !provider.apiVersion.hasPrefix(APIGroup.flagger) || !serinOnly.contains($0) }
        let names = allowed.map(\.rawValue)
        if let type = provider.spec.type, !type.isEmpty {
            if let known = AlertProviderType(rawValue: type), allowed.contains(known) {
                // ok
            } else {
                findings.error(source, "spec.type", "must be one of \(names.joined(separator: ", ")), got \"\(type)\""
                               + Suggestion.hint(for: type, among: names))
            }
        } else {
            findings.error(source, "spec.type", "is required (\(names.joined(separator: ", ")))")
        }
        if provider.spec.address == nil && provider.spec.secretRef == nil {
            findings.error(source, "spec.address", "is required (or secretRef): where should notifications go?")
        }
        findings.url(provider.spec.address, source, "spec.address")
        findings.url(provider.spec.proxy, source, "spec.proxy")
        if platform == .local, provider.spec.secretRef != nil {
            findings.warning(source, "spec.secretRef", "names a Kubernetes Secret, which the local platform cannot read; set address")
        }
    }

    static func isEnvName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !(first.properties.numericType != nil) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_") }
    }

    /// The `$(VAR)` references of an argument; `$$(VAR)` is an escaped literal.
    static func references(in argument: String) -> [String] {
        let bytes = Array(argument.utf8)
        var found: [String] = []
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else { index += 1; continue }
            if bytes[index + 1] == UInt8(ascii: "$") { index += 2; continue }
            guard bytes[index + 1] == UInt8(ascii: "("),
                  let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: ")")) else { index += 1; continue }
            found.append(String(decoding: bytes[(index + 2)..<close], as: UTF8.self))
            index = close + 1
        }
        return found
    }
}
