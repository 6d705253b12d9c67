import SerinEngine

/// Fixed rollouts for API and CLI tests and golden files. Times are seconds
/// since 1970 from 2026-01-01 00:00:00 UTC, so rendered times are stable.
public enum SampleRollouts {
    public static let epoch: Double = 1_767_225_600

    static let plan = [
        "set canary weight to 20%",
        "analyse 1 tick (10s): request-success-rate >= 99, request-duration <= 500",
        "set canary weight to 40%",
        "analyse 1 tick (10s): request-success-rate >= 99, request-duration <= 500",
        "set canary weight to 60%",
        "analyse 1 tick (10s): request-success-rate >= 99, request-duration <= 500",
        "promote: the canary's revision becomes primary and takes all traffic",
    ]

    /// A canary in Progressing at step 3 of 7, weight 40%, checks passing.
    public static let web = RolloutStatus(
        name: "web", namespace: "default", workload: "web", phase: .progressing, canaryWeight: 40, mirrorWeight: 0,
        failedChecks: 0, step: 3, stepCount: 7,
        primaryRevision: "3f9a2c1d8e7b6a5f4e3d2c1b", canaryRevision: "a1b2c3d4e5f6a7b8c9d0e1f2",
        message: "advancing: canary weight 40%", plan: plan,
        evaluations: [
            MetricEvaluation(metric: "request-success-rate", query: "srate", value: 99.2, min: 99, max: nil, verdict: .pass,
                             message: "99.2 >= 99", time: epoch + 9 * 3600 + 20),
            MetricEvaluation(metric: "request-duration", query: "p99", value: 182.5, min: nil, max: 500, verdict: .pass,
                             message: "182.5 <= 500", time: epoch + 9 * 3600 + 20),
        ],
        events: [
            event(1, at: 9 * 3600, "web", "a1b2c3d4e5f6a7b8c9d0e1f2", "detected", "new revision a1b2c3d4e5f6 from commit 8e1f2a3 by Ada Lovelace"),
            event(2, at: 9 * 3600 + 2, "web", "a1b2c3d4e5f6a7b8c9d0e1f2", "Progressing", "canary ready: starting analysis"),
            event(3, at: 9 * 3600 + 2, "web", "a1b2c3d4e5f6a7b8c9d0e1f2", "weight", "canary weight 20%"),
            event(4, at: 9 * 3600 + 12, "web", "a1b2c3d4e5f6a7b8c9d0e1f2", "checked", "request-success-rate 99.4 >= 99, request-duration 175 <= 500"),
            event(5, at: 9 * 3600 + 12, "web", "a1b2c3d4e5f6a7b8c9d0e1f2", "weight", "canary weight 40%"),
        ]
    )

    /// Released, nothing in progress.
    public static let api = RolloutStatus(
        name: "api", namespace: "default", workload: "api", phase: .succeeded, canaryWeight: 0, mirrorWeight: 0,
        failedChecks: 0, step: 7, stepCount: 7, primaryRevision: "9c8b7a6d5e4f3a2b1c0d9e8f", canaryRevision: nil,
        message: "promoted 9c8b7a6d5e4f", plan: plan, evaluations: [], events: []
    )

    /// Just started: the metrics have no samples yet.
    public static let checkout = RolloutStatus(
        name: "checkout", namespace: "shop", workload: "checkout", phase: .progressing, canaryWeight: 20, mirrorWeight: 0,
        failedChecks: 0, step: 1, stepCount: 7, primaryRevision: "5d4c3b2a1f0e9d8c7b6a5f4e", canaryRevision: "0f1e2d3c4b5a69788796a5b4",
        message: "waiting for data", plan: plan,
        evaluations: [
            MetricEvaluation(metric: "request-success-rate", query: "srate", value: nil, min: 99, max: nil, verdict: .noData,
                             message: "no samples yet", time: epoch + 9 * 3600 + 30),
        ],
        events: []
    )

    /// Rolled back after failed checks.
    public static let search = RolloutStatus(
        name: "search", namespace: "default", workload: "search", phase: .failed, canaryWeight: 0, mirrorWeight: 0,
        failedChecks: 3, step: 2, stepCount: 7, primaryRevision: "7e6d5c4b3a29180f7e6d5c4b", canaryRevision: "b7c6d5e4f3a2b1c0d9e8f7a6",
        message: "rolled back: 3 failed checks", plan: plan,
        evaluations: [
            MetricEvaluation(metric: "request-success-rate", query: "srate", value: 91.25, min: 99, max: nil, verdict: .fail,
                             message: "91.25 < 99", time: epoch + 8 * 3600 + 40),
            MetricEvaluation(metric: "request-duration", query: "p99", value: 120, min: nil, max: 500, verdict: .pass,
                             message: "120 <= 500", time: epoch + 8 * 3600 + 40),
        ],
        events: []
    )

    public static let all = [web, api, checkout, search]

    public static let histories: [String: [RevisionHistoryEntry]] = [
        "web": [
            RevisionHistoryEntry(revision: "c0ffee00c0ffee00c0ffee00", commit: nil, author: nil,
                                 outcome: .failed(reason: "request-success-rate 91.2 < 99 (3 failed checks)"),
                                 started: epoch - 2 * 86400 + 10 * 3600 + 5, finished: epoch - 2 * 86400 + 10 * 3600 + 3725),
            RevisionHistoryEntry(revision: "c0ffee00c0ffee00c0ffee00", commit: nil, author: nil, outcome: .aborted(by: nil),
                                 started: epoch - 2 * 86400 + 11 * 3600, finished: epoch - 2 * 86400 + 11 * 3600 + 40),
            RevisionHistoryEntry(revision: "3f9a2c1d8e7b6a5f4e3d2c1b", commit: "77aa88bb99cc", author: "Grace Hopper",
                                 outcome: .succeeded, started: epoch - 86400 + 14 * 3600, finished: epoch - 86400 + 14 * 3600 + 95),
            RevisionHistoryEntry(revision: "5eed5eed5eed5eed5eed5eed", commit: "1234abcd5678", author: "Ada Lovelace",
                                 outcome: .superseded(by: "a1b2c3d4e5f6a7b8c9d0e1f2"), started: epoch + 8 * 3600, finished: epoch + 9 * 3600),
            RevisionHistoryEntry(revision: "a1b2c3d4e5f6a7b8c9d0e1f2", commit: "8e1f2a3b4c5d", author: "Ada Lovelace",
                                 outcome: .inProgress, started: epoch + 9 * 3600, finished: nil),
        ],
    ]

    static func event(_ sequence: Int, at offset: Double, _ rollout: String, _ revision: String?, _ decision: String, _ reason: String) -> EventLog.Entry {
        EventLog.Entry(sequence: sequence, time: epoch + offset, rollout: rollout, revision: revision, author: nil, decision: decision, reason: reason)
    }

    /// An entry for the event stream tests (its sequence is set on publishing).
    public static func entry(_ decision: String, rollout: String = "web", reason: String = "") -> EventLog.Entry {
        EventLog.Entry(time: epoch, rollout: rollout, revision: nil, author: nil, decision: decision, reason: reason)
    }
}
