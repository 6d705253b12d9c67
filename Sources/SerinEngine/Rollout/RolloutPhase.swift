/// Where a rollout is, with Flagger's names.
public enum RolloutPhase: String, Sendable, Codable, CaseIterable {
    /// The workload's first revision is being deployed as primary.
    case initializing = "Initializing"
    /// The primary runs; no release has happened yet.
    case initialized = "Initialized"
    /// A confirm-rollout gate holds the release before analysis.
    case waiting = "Waiting"
    /// The canary is analysed step by step.
    case progressing = "Progressing"
    /// A confirm-promotion webhook or a manual gate holds the promotion.
    case waitingPromotion = "WaitingPromotion"
    /// The canary's revision is becoming the primary's.
    case promoting = "Promoting"
    /// Traffic is back on the primary; the canary is scaled to zero.
    case finalising = "Finalising"
    case succeeded = "Succeeded"
    case failed = "Failed"
    /// Someone paused the release; resume continues where it stood.
    case paused = "Paused"

    /// No release in progress: a new revision may start one.
    public var isIdle: Bool { self == .initialized || self == .succeeded || self == .failed }
}
