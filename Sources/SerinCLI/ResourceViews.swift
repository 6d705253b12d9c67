import SerinEngine

/// `serin get sources` and `serin get workloads`: one line each; and one
/// source or workload in full, conditions first.
public enum ResourceViews {
    /// `main@sha1:<40 hex>` → `main@8e1f2a3b4c5d`.
    static func revision(_ revision: String?) -> String {
        guard let revision else { return "-" }
        guard let range = revision.range(of: "sha1:") else { return Formatting.short(revision) }
        return String(revision[..<range.lowerBound]) + String(revision[range.upperBound...].prefix(12))
    }

    static func ready(_ conditions: [Condition]) -> String {
        conditions["Ready"]?.status.rawValue ?? "Unknown"
    }

    /// The Ready condition's message, or its reason when it has none.
    static func message(_ conditions: [Condition]) -> String {
        guard let ready = conditions["Ready"] else { return "-" }
        return ready.message.isEmpty ? ready.reason : ready.message
    }

    public static func sources(_ sources: [SourceStatusReport], now: Double) -> String {
        guard !sources.isEmpty else { return "no sources\n" }
        var table = TextTable(["NAME", "REVISION", "AGE", "READY", "SUSPENDED", "MESSAGE"])
        for source in sources {
            table.add([source.name, revision(source.revision) + (source.pin != nil ? " (pinned)" : ""),
                       source.commit.map { Formatting.duration(now - $0.time) } ?? "-",
                       ready(source.conditions), source.suspension != nil ? "True" : "False", message(source.conditions)])
        }
        return table.render()
    }

    static func name(_ namespace: String, _ name: String) -> String {
        namespace == "default" ? name : "\(namespace)/\(name)"
    }

    public static func workloads(_ workloads: [WorkloadStatusReport]) -> String {
        guard !workloads.isEmpty else { return "no workloads\n" }
        var table = TextTable(["NAME", "KIND", "PRIMARY", "REPLICAS", "CANARY", "READY", "MESSAGE"])
        for workload in workloads {
            table.add([name(workload.namespace, workload.name), workload.kind, Formatting.short(workload.primaryRevision),
                       "\(workload.readyReplicas)/\(workload.replicas)", Formatting.short(workload.canaryRevision),
                       ready(workload.conditions), message(workload.conditions)])
        }
        return table.render()
    }

    /// `serin status`: sources, workloads, then rollouts.
    public static func overview(sources: [SourceStatusReport], workloads: [WorkloadStatusReport], rollouts: [RolloutStatus],
                                now: Double) -> String {
        "SOURCES\n" + self.sources(sources, now: now) + "\nWORKLOADS\n" + self.workloads(workloads)
            + "\nROLLOUTS\n" + StatusView.render(rollouts)
    }

    static func conditionLines(_ conditions: [Condition], now: Double) -> [String] {
        var table = TextTable(["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"])
        for condition in conditions {
            table.add([condition.type, condition.status.rawValue, condition.reason, Formatting.duration(now - condition.lastTransitionTime) + " ago",
                       condition.message])
        }
        return table.lines(indent: "  ")
    }

    public static func source(_ source: SourceStatusReport, now: Double) -> String {
        var lines = ["\(source.name): \(source.url) (\(source.ref)\(source.path.isEmpty ? "" : ", path \(source.path)"))"]
        lines.append("revision:  \(source.revision ?? "none yet")")
        if let commit = source.commit {
            lines.append("commit:    \(commit.id.prefix(12)) \"\(commit.subject)\" by \(commit.author), \(Formatting.duration(now - commit.time)) ago")
        }
        if let attempted = source.lastAttemptedRevision { lines.append("refused:   \(attempted)") }
        if let applied = source.lastAppliedRevision, applied != source.revision { lines.append("applied:   \(applied)") }
        if let pin = source.pin {
            lines.append("pinned:    \(pin.revision)\(pin.by.map { " by \($0)" } ?? ""), \(Formatting.duration(now - pin.time)) ago (serin rollback \(source.name) --unpin)")
        }
        if let suspension = source.suspension {
            lines.append("suspended: \(suspension.description), \(Formatting.duration(now - suspension.time)) ago (serin resume \(source.name))")
        }
        if let inventory = source.inventory { lines.append("inventory: \(inventory) object(s)") }
        if let synced = source.lastSyncTime { lines.append("synced:    \(Formatting.duration(now - synced)) ago") }
        lines.append("conditions:")
        lines += conditionLines(source.conditions, now: now)
        if !source.errors.isEmpty {
            lines.append("errors:")
            lines += source.errors.map { "  \($0)" }
        }
        if !source.warnings.isEmpty {
            lines.append("warnings:")
            lines += source.warnings.map { "  \($0)" }
        }
        return lines.map(TerminalText.escaped).joined(separator: "\n") + "\n"
    }

    public static func workload(_ workload: WorkloadStatusReport, now: Double) -> String {
        var lines = ["\(name(workload.namespace, workload.name)): \(workload.kind) from source \(workload.source)"]
        lines.append("primary:   \(workload.primaryRevision ?? "-") (\(workload.readyReplicas)/\(workload.replicas) ready)")
        if let desired = workload.desiredRevision, desired != workload.primaryRevision { lines.append("desired:   \(desired)") }
        if let canary = workload.canaryRevision { lines.append("canary:    \(canary)") }
        if let rollout = workload.rollout { lines.append("rollout:   \(rollout)") }
        if let port = workload.port { lines.append("port:      \(port)") }
        lines.append("conditions:")
        lines += conditionLines(workload.conditions, now: now)
        return lines.map(TerminalText.escaped).joined(separator: "\n") + "\n"
    }
}
