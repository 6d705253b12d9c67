import SerinEngine

/// Fixed sources and workloads for API, CLI and dashboard tests, on the
/// clock of `SampleRollouts`.
public enum SampleResources {
    static let epoch = SampleRollouts.epoch

    /// In force at a good commit.
    public static let deploy = SourceStatusReport(
        name: "deploy", url: "https://git.example.com/shop/deploy.git", ref: "branch main", path: "clusters/prod",
        revision: "main@sha1:8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b",
        commit: CommitSummary(id: "8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b", subject: "web: greet in French", author: "Ada Lovelace <ada@example.com>",
                              time: epoch + 9 * 3600 - 30),
        lastAttemptedRevision: nil, lastSyncTime: epoch + 9 * 3600 + 25,
        conditions: [Condition(type: "Ready", status: .true, reason: "Succeeded", message: "stored main@sha1:8e1f2a3b4c5d",
                               lastTransitionTime: epoch + 9 * 3600 - 20, observedRevision: "main@sha1:8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b")],
        errors: [], warnings: [])

    /// Its newest commit was refused; the one before stays in force.
    public static let platform = SourceStatusReport(
        name: "platform", url: "ssh://git@git.example.com/shop/platform.git", ref: "branch main", path: ".",
        revision: "main@sha1:1111111111111111111111111111111111111111",
        commit: CommitSummary(id: "1111111111111111111111111111111111111111", subject: "search: 3 replicas", author: "Grace Hopper <grace@example.com>",
                              time: epoch + 8 * 3600),
        lastAttemptedRevision: "main@sha1:2222222222222222222222222222222222222222", lastSyncTime: epoch + 9 * 3600 + 25,
        conditions: [
            Condition(type: "Ready", status: .false, reason: "ValidationFailed",
                      message: "search/canary.yaml:12:19: error: analysis.stepWeight must be between 1 and 100, got 150",
                      lastTransitionTime: epoch + 9 * 3600 + 5, observedRevision: "main@sha1:2222222222222222222222222222222222222222"),
            Condition(type: "Stalled", status: .true, reason: "ValidationFailed", message: "waiting for a commit that fixes it",
                      lastTransitionTime: epoch + 9 * 3600 + 5, observedRevision: "main@sha1:2222222222222222222222222222222222222222"),
        ],
        errors: ["search/canary.yaml:12:19: error: analysis.stepWeight must be between 1 and 100, got 150"], warnings: [])

    public static let sources = [deploy, platform]

    public static let workloads = [
        WorkloadStatusReport(name: "web", namespace: "default", kind: "Workload", source: "deploy", primaryRevision: "3f9a2c1d8e7b6a5f4e3d2c1b",
                             desiredRevision: "a1b2c3d4e5f6a7b8c9d0e1f2", replicas: 2, readyReplicas: 2, canaryRevision: "a1b2c3d4e5f6a7b8c9d0e1f2",
                             rollout: "web", port: 8080,
                             conditions: [Condition(type: "Ready", status: .true, reason: "Serving", message: "2/2 primary replicas ready; canary 1/1",
                                                    lastTransitionTime: epoch + 8 * 3600)]),
        WorkloadStatusReport(name: "worker", namespace: "default", kind: "Workload", source: "deploy", primaryRevision: "77aa88bb99cc00dd11ee22ff",
                             desiredRevision: "77aa88bb99cc00dd11ee22ff", replicas: 1, readyReplicas: 0, canaryRevision: nil, rollout: nil, port: 8090,
                             conditions: [Condition(type: "Ready", status: .false, reason: "RouteRefused",
                                                    message: "port 8090: address already in use; retrying",
                                                    lastTransitionTime: epoch + 9 * 3600 + 10)]),
        WorkloadStatusReport(name: "podinfo", namespace: "test", kind: "Deployment", source: "deploy", primaryRevision: nil, desiredRevision: nil,
                             replicas: 0, readyReplicas: 0, canaryRevision: nil, rollout: "podinfo", port: nil,
                             conditions: [Condition(type: "Ready", status: .false, reason: "UnsupportedPlatform",
                                                    message: "Canary test/podinfo targets a Deployment: it runs on the kubernetes platform",
                                                    lastTransitionTime: epoch + 9 * 3600)]),
    ]
}
