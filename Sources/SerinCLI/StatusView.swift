import SerinEngine

/// `serin status`: one line per rollout.
public enum StatusView {
    public static func render(_ rollouts: [RolloutStatus]) -> String {
        guard !rollouts.isEmpty else { return "no rollouts\n" }
        var table = TextTable(["NAME", "PHASE", "PRIMARY", "CANARY", "WEIGHT", "STEP", "LAST CHECK"])
        for rollout in rollouts {
            table.add([
                // With several clusters the same Canary runs in each: cluster/namespace/name tells them apart.
                rollout.cluster == nil ? rollout.name : rollout.qualifiedName, rollout.phase.rawValue, Formatting.short(rollout.primaryRevision), Formatting.short(rollout.canaryRevision),
                "\(rollout.canaryWeight)%", "\(rollout.step)/\(rollout.stepCount)", lastCheck(rollout),
            ])
        }
        return table.render()
    }

    static func lastCheck(_ rollout: RolloutStatus) -> String {
        if let evaluation = Formatting.latestCheck(rollout.evaluations) { return Formatting.check(evaluation) }
        // Nothing measured yet: expected while a release runs, meaningless otherwise.
        return rollout.phase.isIdle ? "-" : "waiting for data"
    }
}
