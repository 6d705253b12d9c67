@testable import SerinSpec

/// Flagger's weight walk, ported line by line from `nextStepWeight`,
/// `maxWeight` and the traffic increase in `runCanary`
/// (pkg/controller/scheduler.go), to compare Serin's plans against.
enum FlaggerSchedule {
    static let totalWeight = 100

    static func weights(_ analysis: CanaryAnalysis) -> [Int] {
        var canaryWeight = 0
        var weights: [Int] = []
        while nextStepWeight(analysis, canaryWeight) > 0 && canaryWeight < maxWeight(analysis) {
            canaryWeight += nextStepWeight(analysis, canaryWeight)
            if canaryWeight > totalWeight { canaryWeight = totalWeight }
            weights.append(canaryWeight)
        }
        return weights
    }

    static func maxWeight(_ analysis: CanaryAnalysis) -> Int {
        if let stepWeights = analysis.stepWeights, let last = stepWeights.last {
            return totalWeight * last / 100
        }
        if let max = analysis.maxWeight, max > 0 { return max }
        return totalWeight
    }

    static func nextStepWeight(_ analysis: CanaryAnalysis, _ canaryWeight: Int) -> Int {
        let stepWeights = analysis.stepWeights ?? []
        let step = analysis.stepWeight ?? 0
        if step > 0 || stepWeights.isEmpty { return step }
        let maxStep = totalWeight * stepWeights.last! / 100
        if canaryWeight >= maxStep { return totalWeight - canaryWeight }
        for weight in stepWeights where canaryWeight < totalWeight * weight / 100 {
            return totalWeight * weight / 100 - canaryWeight
        }
        return totalWeight - canaryWeight
    }
}
