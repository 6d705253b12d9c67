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
        // Staged sources (waves of clusters) add where their revision stands, and each cluster's revision.
        let staged = sources.contains { $0.waves != nil }
        var table = TextTable(["NAME", "REVISION", "AGE", "READY", "SUSPENDED"] + (staged ? ["WAVE"] : []) + ["MESSAGE"])
        for source in sources {
            table.add([source.name, revision(source.revision) + (source.pin != nil ? " (pinned)" : ""),
                       source.commit.map { Formatting.duration(now - $0.time) } ?? "-",
                       ready(source.conditions), source.suspension != nil ? "True" : "False"]
                      + (staged ? [wave(source)] : []) + [message(source.conditions)])
        }
        let clusters = self.clusters(sources)
        return table.render() + (clusters.isEmpty ? "" : "\nCLUSTERS\n" + clusters)
    }

    /// `2/3`, `2/3 halted`, `2/3 paused`, `done` (every wave released it), or `-`.
    static func wave(_ source: SourceStatusReport) -> String {
        guard let waves = source.waves, let wave = waves.wave else { return "-" }
        guard wave <= waves.waves.count else { return "done" }
        let position = "\(wave)/\(waves.waves.count)"
        guard let hold = waves.hold else { return position }
        if hold.hasPrefix("waiting for serin promote") { return position + " paused" }
        if hold.hasPrefix("baking") { return position + " baking" }
        return position + " halted"
    }

    /// One line per source and cluster: the wave, the revision it holds, how it stands.
    static func clusters(_ sources: [SourceStatusReport]) -> String {
        var table = TextTable(["SOURCE", "CLUSTER", "WAVE", "REVISION", "STATE"])
        for source in sources {
            guard let targets = source.targets else { continue }
            let waves = source.waves
            let names = waves?.waves.flatMap { $0 } ?? targets.keys.sorted()
            for name in names {
                let target = targets[name]
                let index = waves?.waves.firstIndex { $0.contains(name) }
                let held = waves?.revisions[name] ?? target?.revision
                var state = "-"
                if let target, target.revision == held {
                    state = target.failure.map { "failed: \($0)" } ?? (target.applied ? "applied" : "applying")
                }
                // A later wave keeps its revision until the travelling one reaches it.
                if let waves, let current = waves.wave, let index, index + 1 > current, let travelling = waves.revision, travelling != held {
                    state += "; \(revision(travelling)) comes at wave \(index + 1)"
                }
                table.add([source.name, name, index.map { "\($0 + 1)" } ?? "-", revision(held), state])
            }
        }
        return table.rows.isEmpty ? "" : table.render()
    }

    static func name(_ namespace: String, _ name: String) -> String {
        namespace == "default" ? name : "\(namespace)/\(name)"
    }

    public static func workloads(_ workloads: [WorkloadStatusReport]) -> String {
        guard !workloads.isEmpty else { return "no workloads\n" }
        var table = TextTable(["NAME", "KIND", "PRIMARY", "REPLICAS", "CANARY", "READY", "MESSAGE"])
        for workload in workloads {
            table.add([(workload.cluster.map { "\($0)/" } ?? "") + name(workload.namespace, workload.name), workload.kind, Formatting.short(workload.primaryRevision),
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
        if let waves = source.waves {
            lines.append("waves:     " + waves.waves.enumerated().map { "\($0.offset + 1): \($0.element.joined(separator: ", "))" }.joined(separator: "; "))
            lines.append("wave:      " + waves.summary)
        }
        if source.targets != nil {
            lines.append("clusters:")
            lines += clusters([source]).split(separator: "\n").map { "  " + $0 }
        }
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
