import Foundation
import Testing
@testable import SerinSpec

@Suite struct PlanTests {
    /// Every weighted canary among Flagger's examples gets Flagger's weights,
    /// except where Flagger would pass maxWeight: there Serin stops at it and
    /// says so in a warning.
    @Test(arguments: Fixtures.files("flagger-valid"))
    func weightsMatchFlaggersScheduler(_ path: String) {
        let manifests = ManifestLoader().load(paths: [path])
        let compiler = PlanCompiler(manifests: manifests)
        for canary in manifests.canaries {
            guard let analysis = canary.spec.writtenAnalysis?.analysis, canary.spec.skipAnalysis != true else { continue }
            let output = compiler.compile(canary)
            guard let plan = output.plan else {
                Issue.record("\(Fixtures.name(path)): \(canary.name) did not compile: \(output.diagnostics)")
                continue
            }
            switch plan.strategy {
            case .canary:
                let flagger = FlaggerSchedule.weights(analysis)
                let capped = output.diagnostics.contains { $0.message.contains("Serin stops at") }
                if capped {
                    let cap = plan.peakWeight
                    #expect(flagger.last! > cap)
                    #expect(plan.weights == flagger.filter { $0 < cap } + [cap])
                } else {
                    #expect(plan.weights == flagger, "\(Fixtures.name(path)) \(canary.name)")
                }
                if analysis.mirror == true { #expect(plan.steps.first == .mirror(weight: analysis.mirrorWeight.flatMap { $0 > 0 ? $0 : nil } ?? 100)) }
            case .blueGreen:
                #expect(plan.steps.contains(.analyze(ticks: analysis.iterations ?? PlanCompiler.kubernetesIterations)))
                #expect(plan.weights == [100])
            case .abTesting:
                #expect(plan.steps.first == .match(analysis.match!))
                #expect(plan.steps.contains(.analyze(ticks: analysis.iterations!)))
                #expect(plan.weights.isEmpty)
            }
            if case .promote = plan.steps.last {} else { Issue.record("the last step promotes") }
        }
    }

    @Test func stepWeightWalksToMaxWeightAnalysingEachStep() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 30s\nthreshold: 5\nstepWeight: 10\nmaxWeight: 50")).plans.first)
        #expect(plan.strategy == .canary)
        #expect(plan.steps == [
            .setWeight(10), .analyze(ticks: 1), .setWeight(20), .analyze(ticks: 1), .setWeight(30), .analyze(ticks: 1),
            .setWeight(40), .analyze(ticks: 1), .setWeight(50), .analyze(ticks: 1), .promote(primaryWeights: []),
        ])
        #expect(plan.bestTimeToPromotion == .seconds(150))
        #expect(plan.worstTimeToPromotion == .seconds(270))
    }

    @Test func neverExceedsMaxWeightWhereFlaggerWould() throws {
        let (found, diagnostics) = plans(canaryYAML(analysis: "interval: 1m\nstepWeight: 40\nmaxWeight: 50"))
        let plan = try #require(found.first)
        #expect(FlaggerSchedule.weights(CanaryAnalysis(stepWeight: 40, maxWeight: 50)) == [40, 80])
        #expect(plan.weights == [40, 50])
        #expect(diagnostics.warnings.map(\.message) == ["analysis.maxWeight 50 is not a multiple of stepWeight 40: Flagger would send 80% to the canary; Serin stops at 50%"])
    }

    @Test func honoursMaxWeightWithStepWeights() throws {
        let (found, diagnostics) = plans(canaryYAML(analysis: "interval: 1m\nstepWeights: [1, 2, 10, 80]\nmaxWeight: 50"))
        #expect(try #require(found.first).weights == [1, 2, 10, 50])
        #expect(diagnostics.warnings.map(\.message) == ["analysis.maxWeight is 50 but stepWeights reach 80: Flagger ignores maxWeight here and would send 80% to the canary; Serin stops at 50%"])
    }

    @Test func stepWeightsRunInOrder() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 1m\nstepWeights: [1, 2, 10, 80]")).plans.first)
        #expect(plan.weights == [1, 2, 10, 80])
    }

    @Test func blueGreenChecksWithoutTrafficThenSwitches() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 1m\niterations: 5\nmirror: true")).plans.first)
        #expect(plan.strategy == .blueGreen)
        // Flagger's order: one analysed interval at 100% before the promotion.
        #expect(plan.steps == [.mirror(weight: 100), .analyze(ticks: 5), .setWeight(100), .analyze(ticks: 1), .promote(primaryWeights: [])])
    }

    @Test func abTestingSendsMatchingRequestsToTheCanary() throws {
        let yaml = canaryYAML(analysis: """
        interval: 1m
        iterations: 10
        match:
          - headers:
              x-canary: { exact: insider }
          - headers:
              cookie: { regex: "^(.*?;)?(canary=always)(;.*)?$" }
        """)
        let plan = try #require(plans(yaml).plans.first)
        #expect(plan.strategy == .abTesting)
        guard case .match(let conditions) = plan.steps[0] else { Issue.record("first step matches"); return }
        #expect(conditions.count == 2)
        #expect(conditions[0].headers?["x-canary"]?.exact == "insider")
        #expect(Array(plan.steps.dropFirst()) == [.analyze(ticks: 10), .promote(primaryWeights: [])])
    }

    @Test func mirrorsOneTickBeforeAWeightedCanary() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 1m\nmirror: true\nmirrorWeight: 50\nstepWeight: 50")).plans.first)
        #expect(plan.steps == [.mirror(weight: 50), .analyze(ticks: 1), .setWeight(50), .analyze(ticks: 1), .setWeight(100),
                               .analyze(ticks: 1), .promote(primaryWeights: [])])
    }

    @Test func stepWeightPromotionReturnsTrafficGradually() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 1m\nstepWeight: 25\nmaxWeight: 50\nstepWeightPromotion: 20")).plans.first)
        #expect(plan.steps.last == .promote(primaryWeights: [70, 90, 100]))
    }

    @Test func skipAnalysisPromotesAtOnce() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 1m\nstepWeight: 10", extraSpec: "  skipAnalysis: true\n")).plans.first)
        #expect(plan.steps == [.promote(primaryWeights: [])])
    }

    @Test func kubernetesProviderRunsBlueGreenWithTenIterations() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 1m\nthreshold: 2", extraSpec: "  provider: kubernetes\n")).plans.first)
        #expect(plan.strategy == .blueGreen)
        #expect(plan.steps.contains(.analyze(ticks: 10)))
    }

    @Test func explicitStepsAreKeptAsWritten() throws {
        let yaml = canaryYAML(analysis: """
        interval: 30s
        threshold: 3
        maxWeight: 60
        steps:
          - setWeight: 5
          - analyze: 2
          - pause: { duration: 5m }
          - gate: { name: qa }
          - mirror: { weight: 30 }
          - analyze: { ticks: 1 }
          - setWeight: 60
          - pause: {}
          - analyze: 3
        """)
        let (found, diagnostics) = plans(yaml)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics)")
        let plan = try #require(found.first)
        #expect(plan.steps == [.setWeight(5), .analyze(ticks: 2), .pause(.seconds(300)), .gate(name: "qa"), .mirror(weight: 30),
                               .analyze(ticks: 1), .setWeight(60), .gate(name: "step-8"), .analyze(ticks: 3), .promote(primaryWeights: [])])
        #expect(plan.hasManualGate)
        #expect(plan.worstTimeToPromotion == nil)
        #expect(plan.bestTimeToPromotion == .seconds(6 * 30 + 300))
    }

    @Test func strategyRefFillsWhatTheCanaryLeavesOut() throws {
        let yaml = strategyCanaryYAML("canary", analysis: "interval: 10s")
        let (found, diagnostics) = plans(yaml)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let plan = try #require(found.first)
        #expect(plan.strategyRef == "canary")
        #expect(plan.interval == .seconds(10))
        #expect(plan.threshold == 5)
        #expect(plan.weights == [10, 20, 30, 40, 50])
        #expect(plan.metrics.map(\.name) == ["request-success-rate", "request-duration"])
    }

    @Test func aStrategysKindMustFitTheCanary() {
        let yaml = strategyCanaryYAML("ab-testing")
        #expect(validate(yaml).errors.map(\.message) == [
            "strategyRef.name picks strategy ab-testing, which releases by ab-testing and needs analysis.match and iterations; this Canary infers blue-green",
        ])
    }

    @Test func aRepositoryCanDefineItsOwnStrategy() throws {
        let yaml = """
        apiVersion: serin.dev/v1alpha1
        kind: Strategy
        metadata: { name: slow }
        spec:
          analysis: { interval: 5m, threshold: 10, stepWeights: [1, 5, 25] }
        ---
        \(strategyCanaryYAML("slow"))
        """
        let (found, diagnostics) = plans(yaml)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics)")
        #expect(try #require(found.first).weights == [1, 5, 25])
    }

    @Test func nothingThatMovesTrafficIsAnError() {
        #expect(validate(canaryYAML(analysis: "interval: 1m\nthreshold: 2")).errors.map(\.message)
                == ["analysis needs stepWeight, stepWeights, iterations or steps: nothing would move traffic to the canary"])
    }

    @Test func jsonFormIsStable() throws {
        let plan = try #require(plans(canaryYAML(analysis: "interval: 30s\nthreshold: 2\nstepWeight: 50")).plans.first)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(String(data: try encoder.encode(plan), encoding: .utf8))
        #expect(json.contains(#""name":"web","namespace":"default""#))
        #expect(json.contains(#""strategy":"canary""#))
        #expect(json.contains(#""interval":"30s""#))
        #expect(json.contains(#""threshold":2"#))
        #expect(json.contains(#""steps":[{"action":"setWeight","weight":50},{"action":"analyze","ticks":1},{"action":"setWeight","weight":100},{"action":"analyze","ticks":1},{"action":"promote"}]"#))
    }

    @Test func textFormNumbersStepsAndGivesTimes() throws {
        let plan = try #require(plans(canaryYAML(analysis: """
        interval: 1m
        threshold: 3
        stepWeight: 50
        metrics:
          - name: request-success-rate
            thresholdRange: { min: 99 }
        """)).plans.first)
        #expect(plan.text == """
        Canary default/web: canary, checks every 1m, rolls back after 3 failed checks
          1. set canary weight to 50%
          2. analyse 1 tick (1m): request-success-rate >= 99
          3. set canary weight to 100%
          4. analyse 1 tick (1m): request-success-rate >= 99
          5. promote: the canary's revision becomes primary and takes all traffic
          request-success-rate is judged on counts (95% confidence): a clean pass needs 381 canary requests within 1m, about 12.7 requests/s in all at 50%
          time to promotion: 2m if every check passes, 4m at worst (2 failed checks retried)
        """)
    }
}

extension CanaryAnalysis {
    init(stepWeight: Int? = nil, maxWeight: Int? = nil) {
        self.init()
        self.stepWeight = stepWeight
        self.maxWeight = maxWeight
    }
}

/// Canaries written alike share their plans' lists: memory per Canary does
/// not grow with the length of its analysis.
@Suite struct PlanSharingTests {
    func canary(_ name: String, stepWeight: Int) -> String {
        """
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata: { name: \(name), namespace: apps }
        spec:
          targetRef: { apiVersion: apps/v1, kind: Deployment, name: \(name) }
          service: { port: 80 }
          analysis:
            interval: 1m
            threshold: 5
            stepWeight: \(stepWeight)
            maxWeight: 50
            metrics: [{ name: request-success-rate, interval: 1m, thresholdRange: { min: 99 } }]
        ---

        """
    }

    @Test func canariesWrittenAlikeShareTheirSteps() {
        let yaml = canary("a", stepWeight: 10) + canary("b", stepWeight: 10) + canary("c", stepWeight: 5)
        // Weights need a router: Flagger's default provider (kubernetes) is blue/green, whose steps ignore stepWeight.
        let (_, plans) = Validator(platform: .kubernetes, defaultProvider: "gatewayapi:v1").validateAndPlan(ManifestLoader().load(text: yaml, file: "apps.yaml"))
        #expect(plans.map(\.name) == ["a", "b", "c"])
        func storage<T>(_ array: [T]) -> UnsafeRawPointer? { array.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        #expect(storage(plans[0].steps) == storage(plans[1].steps))
        #expect(storage(plans[0].metrics) == storage(plans[1].metrics))
        #expect(plans[0].steps != plans[2].steps, "\(plans[0].steps) \(plans[2].steps)")
        #expect(storage(plans[0].steps) != storage(plans[2].steps))
        #expect(plans[0].steps == plans[1].steps && plans[0].name != plans[1].name)
    }
}
