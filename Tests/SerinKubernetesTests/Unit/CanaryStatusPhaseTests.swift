import Foundation
import SerinEngine
import Testing

@testable import SerinKubernetes

/// The status Serin writes on a Canary is one Flagger's CRD accepts: an
/// apiserver with Flagger's schema refuses a phase outside its enum, and
/// the whole status write with it.
@Suite struct CanaryStatusPhaseTests {
    /// The enum of `status.phase` in Flagger 1.44's CRD (the SerinSpecTests fixture, verbatim).
    static let flaggerPhases: Set<String> = {
        let crd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SerinSpecTests/Fixtures/flagger-crd/crd.yaml")
        let lines = ((try? String(contentsOf: crd, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "- Initializing" }) else { return [] }
        var phases: Set<String> = []
        var index = first - 1 // the enum's `- ""`
        while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("- ") {
            phases.insert(lines[index].trimmingCharacters(in: .whitespaces).dropFirst(2).replacingOccurrences(of: "\"", with: ""))
            index += 1
        }
        return phases
    }()

    static func rollout(_ phase: RolloutPhase) -> RolloutStatus {
        RolloutStatus(name: "podinfo", namespace: "test", workload: "podinfo", phase: phase, canaryWeight: 0, mirrorWeight: 0, failedChecks: 0,
                      step: 0, stepCount: 1, primaryRevision: "a", canaryRevision: nil, message: "held", plan: [], evaluations: [], events: [])
    }

    @Test func theEnumIsRead() {
        #expect(Self.flaggerPhases.contains("Terminated") && Self.flaggerPhases.contains("WaitingPromotion"), "\(Self.flaggerPhases)")
        #expect(!Self.flaggerPhases.contains("Paused"))
    }

    @Test(arguments: RolloutPhase.allCases)
    func everyPhaseIsOneFlaggersCRDAccepts(_ phase: RolloutPhase) {
        let status = CanaryStatusWriter.status(of: Self.rollout(phase), previous: nil, now: Date(timeIntervalSince1970: 0))
        #expect(Self.flaggerPhases.contains(status.phase ?? ""), "\(phase) is written as \(status.phase ?? "nil")")
    }

    /// `serin pause` has no Flagger phase: Waiting, with the condition saying why.
    @Test func aPausedRolloutIsWaitingWithAPausedCondition() {
        let status = CanaryStatusWriter.status(of: Self.rollout(.paused), previous: nil, now: Date(timeIntervalSince1970: 0))
        #expect(status.phase == "Waiting")
        #expect(status.conditions?.first?.reason == "Paused")
        // Resumed, the condition's time moves though the phase stays Waiting.
        let resumed = CanaryStatusWriter.status(of: Self.rollout(.waiting), previous: status, now: Date(timeIntervalSince1970: 60))
        #expect(resumed.phase == "Waiting" && resumed.conditions?.first?.reason == "Waiting")
        #expect(resumed.lastTransitionTime != status.lastTransitionTime)
    }

    /// A remark on a Canary (the note on a target only the cluster
    /// declares, a refusal) is logged as `Canary namespace/name`: its Event
    /// goes to that Canary, not to one named in namespace "Canary namespace".
    @Test func aRemarkOnACanaryIsShownOnIt() {
        #expect(CanaryStatusWriter.canary(of: "apps/web") == RolloutID(namespace: "apps", name: "web"))
        #expect(CanaryStatusWriter.canary(of: "Canary apps/web") == RolloutID(namespace: "apps", name: "web"))
        #expect(CanaryStatusWriter.canary(of: "Deployment apps/web") == nil, "no Canary to show it on")
    }
}
